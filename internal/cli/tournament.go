package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"parley"
	"parley/plot"
	"parley/scenario"
	"parley/tournament"
)

func init() { register(newTournamentCmd) }

// tournamentFlags are the options of `parley tournament`.
type tournamentFlags struct {
	name        string
	negotiators []string
	scenarios   []string
	protocol    string
	rule        string
	rounds      int
	time        time.Duration
	callLimit   time.Duration
	timeout     time.Duration
	repetitions int
	seed        uint64
	selfPlay    bool
	rotate      bool
	rankBy      string

	workers    int
	out        string
	shard      string
	quiet      bool
	plotDir    string
	byScenario bool
	nats       string
}

func newTournamentCmd() *cobra.Command {
	var f tournamentFlags
	cmd := &cobra.Command{
		Use:   "tournament [CONFIG]",
		Short: "Run a tournament: every competitor against every other, on every core",
		Long: `tournament runs every competitor against every other on every scenario, in
every role, as many times as asked, on every core (-j), and scores them.

The tournament is read from CONFIG (YAML or JSON; see docs/tournaments.md),
and any flag given overrides the file. Without CONFIG the flags describe it:

  parley tournament --negotiators boulware,conceder,micro \
      --scenarios examples/us-russia.yaml --rounds 1000 --repetitions 5 \
      --seed 1 -j 2 --out results

Each negotiation has a key (SCENARIO/COMPETITOR,…/REPETITION) and a seed
derived from the master seed and the key; 'parley tournament keys' lists
them and 'parley tournament replay' re-runs one alone.

Results are appended to OUT/results.csv in plan order as they finish (the
file is the same whatever -j is); OUT/scores.csv, scores.json and
summary.txt follow at the end. An interrupted run resumes where it stopped
when started again with the same command. --shard k/n runs one part of the
plan; 'parley tournament merge' joins the parts.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := tournamentConfig(cmd, args, f)
			if err != nil {
				return err
			}
			return runTournament(cmd, cfg, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "tournament name")
	fl.StringSliceVar(&f.negotiators, "negotiators", nil, "competitors: strategy names, with parameters if any, e.g. boulware,timedependent(e=0.5;k=0.1) (strategies: "+strings.Join(tournament.StrategyNames(), ", ")+")")
	fl.StringSliceVar(&f.scenarios, "scenarios", nil, "scenario files or folders, or globs of them")
	fl.StringVar(&f.protocol, "protocol", "saop", "protocol: saop, amop, singletext or broker")
	fl.StringVar(&f.rule, "rule", "", "broker's fairness rule: nash, egalitarian, kalai-smorodinsky or welfare")
	fl.IntVar(&f.rounds, "rounds", 0, "deadline in rounds (default: each scenario's, else 100)")
	fl.DurationVar(&f.time, "time", 0, "deadline in wall time (makes results depend on the machine)")
	fl.DurationVar(&f.callLimit, "call-limit", 0, "time limit of each call to a competitor (0: none)")
	fl.DurationVar(&f.timeout, "timeout", 0, "time limit of each negotiation; overrunning ones are abandoned (0: none)")
	fl.IntVar(&f.repetitions, "repetitions", 1, "negotiations per assignment of competitors to roles")
	fl.Uint64Var(&f.seed, "seed", 1, "master seed")
	fl.BoolVar(&f.selfPlay, "self-play", false, "let a competitor hold several roles of one negotiation")
	fl.BoolVar(&f.rotate, "rotate", true, "play every assignment of competitors to roles (false: each set once)")
	fl.StringVar(&f.rankBy, "rank-by", "", "score to rank by: "+strings.Join(tournament.ScoreNames(), ", ")+" (default advantage)")
	fl.IntVarP(&f.workers, "jobs", "j", 0, "negotiations run at once (default: every core)")
	fl.StringVar(&f.out, "out", "results", "results folder")
	fl.StringVar(&f.shard, "shard", "", "run only shard k of n (k/n)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar")
	fl.StringVar(&f.plotDir, "plot", "", "folder for the tournament's figures, SVG and PNG (default OUT/figures; none: no figures)")
	fl.BoolVar(&f.byScenario, "by-scenario", false, "also print the ranking of each scenario")
	fl.StringVar(&f.nats, "nats", "", "run on parley workers through the NATS JetStream server at `URL` (see docs/scaling.md)")
	cmd.AddCommand(newTournamentMergeCmd(), newTournamentScoresCmd(), newTournamentKeysCmd(), newTournamentReplayCmd(), newTournamentCollectCmd())
	return cmd
}

// tournamentConfig reads CONFIG (if any) and applies the flags given.
func tournamentConfig(cmd *cobra.Command, args []string, f tournamentFlags) (*tournament.Config, error) {
	var cfg *tournament.Config
	if len(args) == 1 {
		c, err := tournament.LoadConfig(args[0])
		if err != nil {
			return nil, err
		}
		cfg = c
	} else {
		c := tournament.Defaults()
		c.File = "command line"
		cfg = &c
		if len(f.negotiators) == 0 || len(f.scenarios) == 0 {
			return nil, usageError{parley.Errorf(parley.EINVALID, "give a CONFIG file, or --negotiators and --scenarios")}
		}
	}
	fl := cmd.Flags()
	set := fl.Changed
	if set("name") {
		cfg.Name = f.name
	}
	if set("negotiators") {
		cfg.Competitors = nil
		for _, n := range f.negotiators {
			n = strings.TrimSpace(n)
			cfg.Competitors = append(cfg.Competitors, tournament.Competitor{Name: tournament.NormalSpec(n), Strategy: n})
		}
	}
	if set("scenarios") {
		cfg.Scenarios, cfg.Dir = nil, ""
		for _, s := range f.scenarios {
			cfg.Scenarios = append(cfg.Scenarios, tournament.ScenarioSpec{Path: s})
		}
	}
	if set("protocol") {
		cfg.Protocol = f.protocol
	}
	if set("rule") {
		cfg.Rule = f.rule
	}
	if set("rounds") {
		cfg.Rounds = f.rounds
	}
	if set("time") {
		cfg.Time = f.time
	}
	if set("call-limit") {
		cfg.CallLimit = f.callLimit
	}
	if set("timeout") {
		cfg.Timeout = f.timeout
	}
	if set("repetitions") {
		cfg.Repetitions = f.repetitions
	}
	if set("seed") {
		cfg.Seed = f.seed
	}
	if set("self-play") {
		cfg.SelfPlay = f.selfPlay
	}
	if set("rotate") {
		cfg.Rotate = f.rotate
	}
	if set("rank-by") {
		cfg.RankBy = f.rankBy
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// stderrTerminal reports whether w is a terminal.
func stderrTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func runTournament(cmd *cobra.Command, cfg *tournament.Config, f tournamentFlags) error {
	var shard tournament.Shard
	if f.shard != "" {
		s, err := tournament.ParseShard(f.shard)
		if err != nil {
			return usageError{err}
		}
		shard = s
	}
	plan, err := tournament.NewPlan(cfg, loadScenario)
	if err != nil {
		return err
	}
	if f.nats != "" {
		return runTournamentOnNATS(cmd, plan, f.nats, f)
	}
	stderr, stdout := cmd.ErrOrStderr(), cmd.OutOrStdout()
	opts := tournament.Options{Dir: f.out, Workers: f.workers, Shard: shard}
	var bar *progressbar.ProgressBar
	var base int64
	if !f.quiet && stderrTerminal(stderr) {
		// Run calls Started, then Progress, from the goroutine that called it.
		opts.Started = func(done, total int64) {
			base = done
			desc := "negotiations"
			if done > 0 {
				desc = fmt.Sprintf("negotiations (%d resumed)", done)
			}
			bar = progressbar.NewOptions64(total-done,
				progressbar.OptionSetWriter(stderr),
				progressbar.OptionSetDescription(desc),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("neg"),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionSetWidth(30),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
			)
		}
		opts.Progress = func(done, _ int64) {
			if bar != nil {
				bar.Set64(done - base)
			}
		}
	}
	sum, err := tournament.Run(cmd.Context(), plan, opts)
	if bar != nil {
		bar.Close()
	}
	if sum == nil {
		sum = &tournament.Summary{}
	}
	if err != nil {
		if errors.Is(err, cmd.Context().Err()) && cmd.Context().Err() != nil {
			return &exitError{code: ExitFailure, msg: fmt.Sprintf("parley: interrupted after %d of %d negotiations; run the same command again to resume", sum.Resumed+sum.Ran, sum.Jobs)}
		}
		return err
	}
	sc, err := tournament.WriteScores(f.out, "")
	if err != nil {
		return err
	}
	what := "tournament"
	if !shard.Whole() {
		what = "shard " + shard.String()
	}
	fmt.Fprintf(stdout, "%s: %d negotiations (%d resumed) in %.1fs, %.0f negotiations/s on %d workers\n\n",
		what, sum.Jobs, sum.Resumed, sum.Elapsed.Seconds(), sum.Rate(), workersOf(f.workers))
	if err := sc.WriteTable(stdout); err != nil {
		return err
	}
	if f.byScenario {
		if err := sc.WriteScenarioTables(stdout); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "\nResults: %s, scores: %s, %s\n", filepath.Join(f.out, tournament.ResultsFile),
		filepath.Join(f.out, tournament.ScoresCSV), filepath.Join(f.out, tournament.ScoresJSON))
	if f.plotDir != "none" {
		dir := f.plotDir
		if dir == "" {
			dir = filepath.Join(f.out, "figures")
		}
		if _, err := plot.TournamentFiles(dir, sc); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Figures: %s (score-*.svg/png, agreement-rate.svg/png)\n", dir)
	}
	return nil
}

func workersOf(j int) int {
	if j > 0 {
		return j
	}
	return runtime.GOMAXPROCS(0)
}

func newTournamentMergeCmd() *cobra.Command {
	var out string
	var partial bool
	cmd := &cobra.Command{
		Use:   "merge --out DIR SHARD_DIR...",
		Short: "Merge the results of the shards of a tournament",
		Long: `merge joins the results folders of shards 1/n … n/n of one tournament (run
with --shard) into --out, as if the whole tournament had run there: its
results.csv is byte-identical to an unsharded run's. Scores are then
computed on the merged results.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := tournament.Merge(out, args, partial)
			if err != nil {
				return err
			}
			sc, err := tournament.WriteScores(out, "")
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "merged %d shards: %d of %d negotiations\n\n", len(args), m.Done, m.Jobs)
			return sc.WriteTable(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&out, "out", "results", "merged results folder")
	cmd.Flags().BoolVar(&partial, "partial", false, "merge even if shards are missing or incomplete")
	return cmd
}

func newTournamentScoresCmd() *cobra.Command {
	var rankBy, plotDir string
	var asJSON, byScenario bool
	cmd := &cobra.Command{
		Use:   "scores DIR",
		Short: "Score the results of a tournament again (e.g. ranked by another score)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := tournament.WriteScores(args[0], rankBy)
			if err != nil {
				return err
			}
			if plotDir != "" {
				if _, err := plot.TournamentFiles(plotDir, sc); err != nil {
					return err
				}
			}
			if asJSON {
				return sc.WriteJSON(cmd.OutOrStdout())
			}
			if err := sc.WriteTable(cmd.OutOrStdout()); err != nil {
				return err
			}
			if byScenario {
				return sc.WriteScenarioTables(cmd.OutOrStdout())
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rankBy, "rank-by", "", "score to rank by: "+strings.Join(tournament.ScoreNames(), ", "))
	cmd.Flags().StringVar(&plotDir, "plot", "", "write the tournament's figures to this folder")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the scores as JSON")
	cmd.Flags().BoolVar(&byScenario, "by-scenario", false, "also print the ranking of each scenario")
	return cmd
}

func newTournamentKeysCmd() *cobra.Command {
	var f tournamentFlags
	cmd := &cobra.Command{
		Use:   "keys [CONFIG]",
		Short: "List a tournament's negotiations: index, key, seed and how to run one alone",
		Long: `keys lists the negotiations of a tournament (or of one --shard) in plan order:
index, key, seed, and the 'parley run' command that runs it alone with the
same seed, hence the same result ('parley tournament replay CONFIG KEY' does
too, and prints the results row).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := tournamentConfig(cmd, args, f)
			if err != nil {
				return err
			}
			var shard tournament.Shard
			if f.shard != "" {
				if shard, err = tournament.ParseShard(f.shard); err != nil {
					return usageError{err}
				}
			}
			plan, err := tournament.NewPlan(cfg, loadScenario)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			for i := int64(0); i < plan.Len(); i++ {
				j := plan.Job(i)
				if !shard.Has(j.KeyString) {
					continue
				}
				fmt.Fprintf(w, "%d\t%s\t%d\t%s\n", j.Index, j.KeyString, j.Seed, plan.RunCommand(j))
			}
			return nil
		},
	}
	addPlanFlags(cmd, &f)
	cmd.Flags().StringVar(&f.shard, "shard", "", "list only shard k of n (k/n)")
	return cmd
}

func newTournamentReplayCmd() *cobra.Command {
	var f tournamentFlags
	var plotFile string
	var pair []string
	cmd := &cobra.Command{
		Use:   "replay [CONFIG] KEY",
		Short: "Run one negotiation of a tournament alone and print its result row",
		Long: `replay runs the negotiation with the given key (see 'parley tournament keys')
alone, with the seed it has in the tournament, and prints its result row:
the same row as in results.csv. --plot draws its utility space.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			key := args[len(args)-1]
			cfg, err := tournamentConfig(cmd, args[:len(args)-1], f)
			if err != nil {
				return err
			}
			plan, err := tournament.NewPlan(cfg, loadScenario)
			if err != nil {
				return err
			}
			job, err := plan.Lookup(key)
			if err != nil {
				return err
			}
			rec := plan.Run(job)
			w := cmd.OutOrStdout()
			h := tournament.Header(len(rec.Competitors))
			row := rec.Row(len(rec.Competitors))
			for i := range h {
				fmt.Fprintf(w, "%-16s %s\n", h[i]+":", row[i])
			}
			if plotFile != "" {
				e, res, err := plan.Trace(job)
				if err != nil {
					return err
				}
				a, b, err := participantPair(e.Scenario, pair)
				if err != nil {
					return err
				}
				if err := plot.SaveNegotiation(plotFile, e.Scenario, res, a, b); err != nil {
					return err
				}
				fmt.Fprintf(w, "figure:          %s\n", plotFile)
			}
			return nil
		},
	}
	addPlanFlags(cmd, &f)
	cmd.Flags().StringVar(&plotFile, "plot", "", "write the utility-space figure of the negotiation to FILE (.svg or .png)")
	cmd.Flags().StringSliceVar(&pair, "pair", nil, "with --plot: the two participants on the axes, by name (default the first two)")
	return cmd
}

// participantPair resolves --pair to two participant indices.
func participantPair(sc *scenario.Scenario, pair []string) (int, int, error) {
	if len(pair) == 0 {
		return 0, 1, nil
	}
	if len(pair) != 2 {
		return 0, 0, usageError{parley.Errorf(parley.EINVALID, "--pair: want two participant names, found %d", len(pair))}
	}
	idx := [2]int{-1, -1}
	for k, name := range pair {
		for i, pi := range sc.Participants() {
			if sc.Parties[pi].Name == strings.TrimSpace(name) {
				idx[k] = i
			}
		}
		if idx[k] < 0 {
			return 0, 0, usageError{parley.Errorf(parley.EINVALID, "--pair: no participant named %q", name)}
		}
	}
	return idx[0], idx[1], nil
}

// addPlanFlags adds the flags that override a tournament file.
func addPlanFlags(cmd *cobra.Command, f *tournamentFlags) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.negotiators, "negotiators", nil, "competitors: strategy names")
	fl.StringSliceVar(&f.scenarios, "scenarios", nil, "scenario files or folders, or globs of them")
	fl.StringVar(&f.protocol, "protocol", "saop", "protocol")
	fl.StringVar(&f.rule, "rule", "", "broker's fairness rule")
	fl.IntVar(&f.rounds, "rounds", 0, "deadline in rounds")
	fl.DurationVar(&f.time, "time", 0, "deadline in wall time")
	fl.DurationVar(&f.callLimit, "call-limit", 0, "time limit of each call")
	fl.DurationVar(&f.timeout, "timeout", 0, "time limit of each negotiation")
	fl.IntVar(&f.repetitions, "repetitions", 1, "repetitions")
	fl.Uint64Var(&f.seed, "seed", 1, "master seed")
	fl.BoolVar(&f.selfPlay, "self-play", false, "self-play")
	fl.BoolVar(&f.rotate, "rotate", true, "rotate roles")
}
