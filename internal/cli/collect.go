package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"parley"
	"parley/natsqueue"
	"parley/plot"
	"parley/tournament"
)

// newTournamentCollectCmd is `parley tournament collect`.
func newTournamentCollectCmd() *cobra.Command {
	var qf queueFlags
	var out, plotDir string
	var quiet, byScenario bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "collect FINGERPRINT --nats URL",
		Short: "Gather the results of a tournament run by workers on NATS",
		Long: `collect reads the results of the tournament FINGERPRINT (printed by
'parley tournament CONFIG --nats URL') from the NATS JetStream queue as
workers publish them, and writes OUT/results.csv, tournament.json and the
scores exactly as a local run of the same tournament would: one row per
negotiation, in plan order, duplicates from redelivered jobs dropped. It
waits until every negotiation has a result (or --timeout); it can be run
again at any time, the results stay in the queue.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			q, nc, err := openQueue(ctx, qf, "parley collect")
			if err != nil {
				return err
			}
			defer nc.Close()
			t, err := q.Load(ctx, args[0])
			if err != nil {
				return err
			}
			return collectTournament(cmd, q, t, out, timeout, quiet, plotDir, byScenario)
		},
	}
	addQueueFlags(cmd, &qf)
	cmd.Flags().StringVar(&out, "out", "results", "results folder")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "stop waiting after this long (0: until every result is in)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	cmd.Flags().StringVar(&plotDir, "plot", "", "folder for the tournament's figures (default OUT/figures; none: no figures)")
	cmd.Flags().BoolVar(&byScenario, "by-scenario", false, "also print the ranking of each scenario")
	return cmd
}

// runTournamentOnNATS submits plan to the queue at url and collects its
// results into f.out, as `parley tournament CONFIG --nats URL`.
func runTournamentOnNATS(cmd *cobra.Command, plan *tournament.Plan, url string, f tournamentFlags) error {
	if f.shard != "" {
		return usageError{parley.Errorf(parley.EINVALID, "--shard and --nats do not go together: workers share the whole plan")}
	}
	ctx := cmd.Context()
	q, nc, err := openQueue(ctx, queueFlags{url: url, prefix: natsqueue.DefaultPrefix}, "parley tournament")
	if err != nil {
		return err
	}
	defer nc.Close()
	t := natsqueue.FromPlan(plan)
	sub, err := q.Submit(ctx, t, natsqueue.SubmitOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "tournament %s: %d negotiations, %d queued on %s (the others have results); start workers with 'parley worker --nats %s'; collect again with 'parley tournament collect %s --nats %s'\n",
		sub.Fingerprint, sub.Jobs, sub.Published, url, url, sub.Fingerprint, url)
	return collectTournament(cmd, q, t, f.out, 0, f.quiet, f.plotDir, f.byScenario)
}

// collectTournament collects t's results into out with a progress bar,
// then scores them and prints the ranking, as a local run does.
func collectTournament(cmd *cobra.Command, q *natsqueue.Queue, t *natsqueue.Tournament, out string, timeout time.Duration, quiet bool, plotDir string, byScenario bool) error {
	ctx := cmd.Context()
	if timeout > 0 {
		var cancel func()
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	stderr, stdout := cmd.ErrOrStderr(), cmd.OutOrStdout()
	var opts natsqueue.CollectOptions
	var bar *progressbar.ProgressBar
	if !quiet && stderrTerminal(stderr) {
		opts.Started = func(_, total int64) { bar = collectBar(stderr, total) }
		opts.Progress = func(done, _ int64) { bar.Set64(done) }
	}
	col, err := q.Collect(ctx, t, out, opts)
	if bar != nil {
		bar.Close()
	}
	if err != nil {
		if col != nil && errors.Is(err, ctx.Err()) {
			return &exitError{code: ExitFailure, msg: fmt.Sprintf("parley: stopped collecting after %d of %d negotiations; run 'parley tournament collect %s' to go on", col.Done, col.Jobs, t.Fingerprint)}
		}
		return err
	}
	sc, err := tournament.WriteScores(out, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tournament %s: %d negotiations collected in %.1fs from %d workers (%d redelivered, %d duplicates dropped)\n\n",
		t.Fingerprint, col.Done, col.Elapsed.Seconds(), len(col.Workers), col.Redelivered, col.Duplicates)
	if err := sc.WriteTable(stdout); err != nil {
		return err
	}
	if byScenario {
		if err := sc.WriteScenarioTables(stdout); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "\nResults: %s, scores: %s, %s\n", filepath.Join(out, tournament.ResultsFile),
		filepath.Join(out, tournament.ScoresCSV), filepath.Join(out, tournament.ScoresJSON))
	if plotDir != "none" {
		dir := plotDir
		if dir == "" {
			dir = filepath.Join(out, "figures")
		}
		if _, err := plot.TournamentFiles(dir, sc); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Figures: %s (score-*.svg/png, agreement-rate.svg/png)\n", dir)
	}
	return nil
}

func collectBar(w io.Writer, total int64) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("negotiations"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("neg"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}
