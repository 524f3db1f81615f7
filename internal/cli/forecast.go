package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"parley"
	"parley/forecast"
	"parley/scenario"
)

func init() { register(newForecastCmd) }

type forecastFlags struct {
	issues  []string
	rounds  int
	mode    string
	json    bool
	plot    string
	runs    int
	shock   string
	seed    uint64
	workers int
	whatIfs []string
	drops   []string
	adds    []string
}

func newForecastCmd() *cobra.Command {
	var f forecastFlags
	cmd := &cobra.Command{
		Use:   "forecast FILE",
		Short: "Forecast where talks end with the expected-utility model (BDM / Scholz et al.)",
		Long: `Forecast each numeric or ordered issue of a scenario (or an actor table in
CSV) with Bueno de Mesquita's expected-utility model, round by round: who
challenges, compromises or gives way, toward whom and to where, and the
weighted median (the forecast) and mean of every round.

FILE is a scenario (YAML/JSON; each party's position and salience come from
its spatial or linear preferences, its clout from capability) or a CSV actor
table: actor,capability,position,salience, or KTAB's SMP layout.

--runs N with --shock perturbs the inputs N times (seeded, on all cores) and
reports the distribution of forecasts. --what-if, --drop and --add compare a
changed world with the base case. See docs/forecast.md.`,
		Example: `  parley forecast examples/ec-scholz.csv
  parley forecast examples/astana.yaml --issue ceasefire --mode corrected --plot ceasefire.svg
  parley forecast examples/ec-scholz.csv --runs 10000 --shock salience=0.1,capability=0.1,position=0.05
  parley forecast examples/astana.yaml --mode corrected --what-if Kazakhstan.salience=0.9 --drop Iran`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runForecast(cmd, args[0], &f) },
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.issues, "issue", nil, "forecast only these issues (repeatable or comma-separated; default all)")
	fl.IntVar(&f.rounds, "rounds", forecast.DefaultRounds, "number of bargaining rounds")
	fl.StringVar(&f.mode, "mode", "faithful", "faithful (the Scholz 2011 replication, bit for bit) or corrected")
	fl.BoolVar(&f.json, "json", false, "write JSON instead of text")
	fl.StringVar(&f.plot, "plot", "", "draw positions by round (or, with --runs, the histogram of forecasts) to FILE (.svg or .png); several issues get FILE-ISSUE.ext")
	fl.IntVar(&f.runs, "runs", 0, "Monte-Carlo runs with shocked inputs (0: none)")
	fl.StringVar(&f.shock, "shock", "salience=0.1,capability=0.1", "shock sizes for --runs: capability (relative), salience (absolute), position (fraction of the scale)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the Monte-Carlo draws (same seed, same result, whatever the number of workers)")
	fl.IntVar(&f.workers, "workers", 0, "goroutines for --runs (0: all cores)")
	fl.StringArrayVar(&f.whatIfs, "what-if", nil, "change an input, ACTOR.FIELD=VALUE with FIELD capability, salience or position (repeatable)")
	fl.StringArrayVar(&f.drops, "drop", nil, "leave ACTOR out (repeatable)")
	fl.StringArrayVar(&f.adds, "add", nil, "add ACTOR:CAPABILITY,POSITION,SALIENCE (repeatable)")
	return cmd
}

// loadForecastInputs reads a CSV actor table or a scenario.
func loadForecastInputs(path string) ([]forecast.Input, error) {
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return forecast.LoadCSV(path)
	}
	s, err := scenario.Load(path)
	if err != nil {
		return nil, err
	}
	return forecast.FromScenario(s)
}

func runForecast(cmd *cobra.Command, path string, f *forecastFlags) error {
	mode, err := forecast.ParseMode(f.mode)
	if err != nil {
		return usageError{err}
	}
	if f.rounds < 0 {
		return usageError{fmt.Errorf("--rounds must be ≥ 0, found %d", f.rounds)}
	}
	if f.runs < 0 {
		return usageError{fmt.Errorf("--runs must be ≥ 0, found %d", f.runs)}
	}
	var changes []forecast.Change
	for _, s := range f.whatIfs {
		c, err := forecast.ParseWhatIf(s)
		if err != nil {
			return err
		}
		changes = append(changes, c)
	}
	for _, s := range f.drops {
		c, err := forecast.ParseDrop(s)
		if err != nil {
			return err
		}
		changes = append(changes, c)
	}
	for _, s := range f.adds {
		c, err := forecast.ParseAdd(s)
		if err != nil {
			return err
		}
		changes = append(changes, c)
	}
	shock, err := forecast.ParseShock(f.shock)
	if err != nil {
		return err
	}
	ins, err := loadForecastInputs(path)
	if err != nil {
		return err
	}
	ins, err = selectIssues(ins, f.issues)
	if err != nil {
		return err
	}
	opt := forecast.Options{Rounds: f.rounds, Mode: mode}
	if f.rounds == 0 {
		opt.Rounds = -1
	}
	out := cmd.OutOrStdout()
	var docs []any
	var firstErr error
	matched, started := false, false
	for k := range ins {
		in := &ins[k]
		plotPath := issuePlotPath(f.plot, in.Issue, len(ins))
		var cs []forecast.Change
		if len(changes) > 0 {
			if cs = relevant(in, changes); len(cs) == 0 {
				continue
			}
		}
		if started && !f.json {
			fmt.Fprintln(out)
		}
		started = true
		if len(changes) > 0 {
			matched = true
			doc, err := forecastWhatIf(cmd, in, cs, opt, f, shock, plotPath)
			if err != nil {
				return err
			}
			docs = append(docs, doc)
			continue
		}
		var doc any
		if f.runs > 0 {
			doc, err = forecastShocks(cmd, in, opt, f, shock, plotPath)
		} else {
			doc, err = forecastOnce(cmd, in, opt, f, plotPath)
		}
		if err != nil {
			// A degenerate issue does not stop the others; report it last.
			if !errors.Is(err, forecast.ErrDegenerate) || len(ins) == 1 {
				return err
			}
			if !f.json {
				fmt.Fprintf(out, "Stopped: %v\n", err)
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		docs = append(docs, doc)
	}
	if len(changes) > 0 && !matched {
		return parley.Errorf(parley.ENOTFOUND, "no forecast issue has an actor named in the what-ifs (%s)", changeList(changes))
	}
	if f.json {
		var v any = docs
		if len(docs) == 1 {
			v = docs[0]
		} else {
			v = map[string]any{"issues": docs}
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("write forecast: %w", err)
		}
	}
	return firstErr
}

func selectIssues(ins []forecast.Input, want []string) ([]forecast.Input, error) {
	if len(want) == 0 {
		return ins, nil
	}
	var sel []forecast.Input
	for _, w := range want {
		found := false
		for _, in := range ins {
			if in.Issue == w {
				sel = append(sel, in)
				found = true
			}
		}
		if !found {
			names := make([]string, len(ins))
			for i, in := range ins {
				names[i] = in.Issue
			}
			return nil, parley.Errorf(parley.ENOTFOUND, "no issue %q to forecast (issues: %s)", w, strings.Join(names, ", "))
		}
	}
	return sel, nil
}

func issuePlotPath(plot, issue string, n int) string {
	if plot == "" || n == 1 {
		return plot
	}
	ext := filepath.Ext(plot)
	safe := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' {
			return '_'
		}
		return r
	}, issue)
	return strings.TrimSuffix(plot, ext) + "-" + safe + ext
}

func relevant(in *forecast.Input, changes []forecast.Change) []forecast.Change {
	var cs []forecast.Change
	for _, c := range changes {
		if c.Kind == forecast.Add || in.Index(c.Actor) >= 0 {
			cs = append(cs, c)
		}
	}
	return cs
}

func changeList(cs []forecast.Change) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	return strings.Join(s, "; ")
}

// runStop runs the model; a faithful run that stops on convergence is a
// result, other degenerate inputs are errors.
func runStop(in *forecast.Input, opt forecast.Options) (*forecast.Result, error, error) {
	res, err := forecast.Run(*in, opt)
	if err == nil {
		return res, nil, nil
	}
	if errors.Is(err, forecast.ErrConverged) && res != nil && len(res.Rounds) > 0 {
		return res, err, nil
	}
	if errors.Is(err, forecast.ErrDegenerate) {
		return res, nil, degenerateError{err}
	}
	return res, nil, err
}

func forecastOnce(cmd *cobra.Command, in *forecast.Input, opt forecast.Options, f *forecastFlags, plotPath string) (any, error) {
	res, stop, err := runStop(in, opt)
	if err != nil {
		if res != nil && len(res.Rounds) > 0 && !f.json {
			_ = forecast.WriteReport(cmd.OutOrStdout(), in, res, err)
		}
		return nil, err
	}
	if plotPath != "" {
		if err := forecast.PlotRounds(res, plotPath); err != nil {
			return nil, err
		}
	}
	if f.json {
		return res, nil
	}
	return nil, forecast.WriteReport(cmd.OutOrStdout(), in, res, stop)
}

func progress(cmd *cobra.Command, total int, what string) (func(int), func()) {
	f, ok := cmd.ErrOrStderr().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, func() {}
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	var mu sync.Mutex
	most := 0
	return func(done int) {
			mu.Lock()
			defer mu.Unlock()
			if done > most {
				most = done
				_ = bar.Set(done)
			}
		}, func() {
			_ = bar.Finish()
		}
}

func shocked(cmd *cobra.Command, in *forecast.Input, opt forecast.Options, f *forecastFlags, shock forecast.Shock, label string) (*forecast.Distribution, error) {
	cb, done := progress(cmd, f.runs, label)
	defer done()
	return forecast.Shocks(cmd.Context(), *in, forecast.MonteCarlo{
		Options: opt, Runs: f.runs, Shock: shock, Seed: f.seed, Workers: f.workers, Progress: cb,
	})
}

type distDoc struct {
	Issue     string                 `json:"issue"`
	Base      float64                `json:"base_forecast"`
	Quantiles map[string]float64     `json:"quantiles"`
	Dist      *forecast.Distribution `json:"distribution"`
}

func quantiles(d *forecast.Distribution) map[string]float64 {
	q := map[string]float64{}
	for _, p := range []float64{0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95} {
		if v := d.Quantile(p); !math.IsNaN(v) {
			q[fmt.Sprintf("q%02.0f", p*100)] = v
		}
	}
	return q
}

func forecastShocks(cmd *cobra.Command, in *forecast.Input, opt forecast.Options, f *forecastFlags, shock forecast.Shock, plotPath string) (any, error) {
	res, _, err := runStop(in, opt)
	if err != nil {
		return nil, err
	}
	d, err := shocked(cmd, in, opt, f, shock, in.Issue)
	if err != nil {
		return nil, err
	}
	if plotPath != "" {
		if err := forecast.PlotDistribution(d, res.Forecast(), plotPath); err != nil {
			return nil, err
		}
	}
	if f.json {
		return distDoc{Issue: in.Issue, Base: res.Forecast(), Quantiles: quantiles(d), Dist: d}, nil
	}
	return nil, forecast.WriteDistribution(cmd.OutOrStdout(), in, d, res.Forecast())
}

type whatIfDoc struct {
	Issue   string   `json:"issue"`
	Changes []string `json:"changes"`
	Base    any      `json:"base"`
	Changed any      `json:"changed"`
}

func forecastWhatIf(cmd *cobra.Command, in *forecast.Input, cs []forecast.Change, opt forecast.Options, f *forecastFlags, shock forecast.Shock, plotPath string) (any, error) {
	cmp, err := forecast.Compare(*in, cs, opt)
	if err != nil {
		return nil, err
	}
	for _, e := range []error{cmp.BaseErr, cmp.ChangedErr} {
		if e != nil && !errors.Is(e, forecast.ErrConverged) {
			return nil, &parley.Error{Code: parley.EINVALID, Message: e.Error() + " (--mode corrected gives a defined result)"}
		}
	}
	changed := in.Clone()
	for _, c := range cs {
		if _, err := c.Apply(&changed); err != nil {
			return nil, err
		}
	}
	if plotPath != "" {
		ext := filepath.Ext(plotPath)
		if err := forecast.PlotRounds(cmp.Base, strings.TrimSuffix(plotPath, ext)+"-base"+ext); err != nil {
			return nil, err
		}
		if err := forecast.PlotRounds(cmp.Changed, strings.TrimSuffix(plotPath, ext)+"-whatif"+ext); err != nil {
			return nil, err
		}
	}
	var dBase, dChanged *forecast.Distribution
	if f.runs > 0 {
		if dBase, err = shocked(cmd, in, opt, f, shock, in.Issue+" (base)"); err != nil {
			return nil, err
		}
		if dChanged, err = shocked(cmd, &changed, opt, f, shock, in.Issue+" (what-if)"); err != nil {
			return nil, err
		}
	}
	if f.json {
		doc := whatIfDoc{Issue: in.Issue, Changes: strings.Split(changeList(cs), "; "), Base: cmp.Base, Changed: cmp.Changed}
		if f.runs > 0 {
			return map[string]any{"what_if": doc,
				"base_distribution":    distDoc{Issue: in.Issue, Base: cmp.Base.Forecast(), Quantiles: quantiles(dBase), Dist: dBase},
				"what_if_distribution": distDoc{Issue: in.Issue, Base: cmp.Changed.Forecast(), Quantiles: quantiles(dChanged), Dist: dChanged},
			}, nil
		}
		return doc, nil
	}
	return nil, writeComparison(cmd.OutOrStdout(), in, &changed, cmp, dBase, dChanged)
}

func writeComparison(w io.Writer, in, changed *forecast.Input, cmp *forecast.Comparison, dBase, dChanged *forecast.Distribution) error {
	var rows [][3]string
	row := func(label, x, y string) { rows = append(rows, [3]string{label, x, y}) }
	lastB := cmp.Base.Rounds[len(cmp.Base.Rounds)-1]
	lastC := cmp.Changed.Rounds[len(cmp.Changed.Rounds)-1]
	row("", "base", "what-if")
	row("forecast (median)", in.Pos(cmp.Base.Forecast()), changed.Pos(cmp.Changed.Forecast()))
	row("weighted mean", fmt.Sprint(cmp.Base.FinalMean()), fmt.Sprint(cmp.Changed.FinalMean()))
	row("rounds run", fmt.Sprint(lastB.Round), fmt.Sprint(lastC.Round))
	names := append([]string(nil), cmp.Base.Actors...)
	for _, n := range cmp.Changed.Actors {
		if in.Index(n) < 0 {
			names = append(names, n)
		}
	}
	for _, n := range names {
		x, y := "—", "—"
		if i := in.Index(n); i >= 0 {
			x = in.Pos(lastB.Positions[i])
		}
		if i := changed.Index(n); i >= 0 {
			y = changed.Pos(lastC.Positions[i])
		}
		row(n+" ends at", x, y)
	}
	if dBase != nil && dChanged != nil {
		for _, q := range []float64{0.05, 0.25, 0.50, 0.75, 0.95} {
			row(fmt.Sprintf("q%02.0f of %d shocked runs", q*100, dBase.Runs), in.Pos(dBase.Quantile(q)), changed.Pos(dChanged.Quantile(q)))
		}
	}
	w0, w1 := 0, 0
	for _, r := range rows {
		w0 = max(w0, utf8.RuneCountInString(r[0]))
		w1 = max(w1, utf8.RuneCountInString(r[1]))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Issue %s, mode %s: what if %s\n", in.Issue, cmp.Base.Mode, changeList(cmp.Changes))
	pad := func(s string, n int) string { return s + strings.Repeat(" ", n-utf8.RuneCountInString(s)) }
	for _, r := range rows {
		fmt.Fprintf(&b, "  %s  %s  %s\n", pad(r[0], w0), pad(r[1], w1), r[2])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// degenerateError is a faithful run that the replication could not finish:
// invalid input for the command line, with a hint.
type degenerateError struct{ err error }

func (e degenerateError) Error() string {
	return e.err.Error() + " (the replication divides by zero here; --mode corrected gives a defined result)"
}

func (e degenerateError) Unwrap() error { return e.err }

// ErrorCode makes the exit code that of invalid input.
func (e degenerateError) ErrorCode() string { return parley.EINVALID }
