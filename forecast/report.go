package forecast

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Pos formats a position, with the name of the issue's value at that point
// (or "≈ name" of the nearest one) when the issue has labels.
func (in *Input) Pos(x float64) string {
	s := strconv.FormatFloat(x, 'g', -1, 64)
	for _, l := range in.Labels {
		if l.Position == x {
			return s + " (" + l.Name + ")"
		}
	}
	if name, ok := in.Nearest(x); ok {
		return s + " (≈ " + name + ")"
	}
	return s
}

func moveVerb(k MoveKind) string {
	switch k {
	case Confrontation:
		return "loses a confrontation to"
	case Compromise:
		return "compromises with"
	}
	return "capitulates to"
}

// WriteReport writes a round-by-round account of a run: who moved, how,
// toward whom and to where, with the two expected utilities behind each
// move (12 significant digits, as the replication prints them), the
// weighted median and mean of each round, and the forecast. stop is the
// error that ended a faithful run early, or nil: after ErrConverged the
// forecast is the agreed position; after another error the report ends
// with the last round, without a forecast.
func WriteReport(w io.Writer, in *Input, res *Result, stop error) error {
	if len(res.Rounds) == 0 || len(in.Actors) != len(res.Actors) {
		return fmt.Errorf("report on %q: the result does not match its input", res.Issue)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Issue %s: %d actors, mode %s\n", res.Issue, len(res.Actors), res.Mode)
	for _, note := range in.Notes {
		fmt.Fprintf(&b, "  note: %s\n", note)
	}
	for _, rd := range res.Rounds {
		if rd.Round == 0 {
			fmt.Fprintf(&b, "Round 0 (initial)\n")
			for i, name := range res.Actors {
				a := in.Actors[i]
				fmt.Fprintf(&b, "  %-24s capability %-8v salience %-8v position %s\n", name, a.Capability, a.Salience, in.Pos(rd.Positions[i]))
			}
		} else {
			fmt.Fprintf(&b, "Round %d\n", rd.Round)
			if len(rd.Moves) == 0 {
				b.WriteString("  nobody moves\n")
			}
			for _, m := range rd.Moves {
				fmt.Fprintf(&b, "  %s %s %s: %s → %s\n", m.Actor, moveVerb(m.Kind), m.Toward, strconv.FormatFloat(m.From, 'g', -1, 64), in.Pos(m.To))
				fmt.Fprintf(&b, "      E[%s challenges %s] = %.12g vs E[%s challenges %s] = %.12g (as %s sees them)\n",
					m.Actor, m.Toward, m.EUOwn, m.Toward, m.Actor, m.EUOther, m.Actor)
			}
		}
		fmt.Fprintf(&b, "  median %s, mean %s\n", in.Pos(rd.Median), strconv.FormatFloat(rd.Mean, 'g', -1, 64))
	}
	last := res.Rounds[len(res.Rounds)-1]
	switch {
	case errors.Is(stop, ErrConverged):
		fmt.Fprintf(&b, "Round %d: every actor holds %s; the replication would divide by zero here, so the run stops.\n",
			last.Round+1, in.Pos(last.Positions[0]))
	case stop != nil:
		// The caller reports the error; there is no forecast.
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "Forecast: %s (weighted median after round %d); weighted mean %s\n",
		in.Pos(res.Forecast()), last.Round, strconv.FormatFloat(res.FinalMean(), 'g', -1, 64))
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteDistribution writes the quantiles of a Monte-Carlo run.
func WriteDistribution(w io.Writer, in *Input, d *Distribution, base float64) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Issue %s: %d runs (seed %d, mode %s), shocks capability=%v salience=%v position=%v\n",
		d.Issue, d.Runs, d.Seed, d.Mode, d.Shock.Capability, d.Shock.Salience, d.Shock.Position)
	if d.Failed > 0 {
		fmt.Fprintf(&b, "  %d runs hit a degenerate input and are left out\n", d.Failed)
	}
	fmt.Fprintf(&b, "  base forecast %s\n", in.Pos(base))
	for _, q := range []float64{0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95} {
		fmt.Fprintf(&b, "  q%02.0f  %s\n", q*100, in.Pos(d.Quantile(q)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
