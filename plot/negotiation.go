package plot

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"parley"
	"parley/analysis"
	"parley/negotiation"
	"parley/scenario"
	"parley/space"
	"parley/utility"
)

// MaxOutcomePoints bounds the outcomes drawn as points; larger spaces are
// drawn by an even, deterministic sample.
const MaxOutcomePoints = 20000

// Negotiation draws the utility space of participants a and b (indices in
// participant order) of a negotiation on sc: every outcome as a faint
// point, the two parties' Pareto frontier, their reservation values as
// lines, the Nash, Kalai–Smorodinsky and egalitarian points, each party's
// offers in order as a coloured path, and the agreement. res may be nil (the
// space alone); its offers come from its trace (negotiation.Config.Trace).
func Negotiation(sc *scenario.Scenario, res *negotiation.Result, a, b int) (*gplot.Plot, error) {
	profiles, err := utility.Participants(sc)
	if err != nil {
		return nil, fmt.Errorf("plot %q: %w", sc.Name, err)
	}
	if a < 0 || b < 0 || a >= len(profiles) || b >= len(profiles) || a == b {
		return nil, parley.Errorf(parley.EINVALID, "plot %q: participants %d and %d: want two different ones of %d", sc.Name, a, b, len(profiles))
	}
	sp, err := space.Of(sc)
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	pa, pb := profiles[a], profiles[b]
	p := gplot.New()
	p.Title.Text = sc.Name
	if res != nil {
		p.Title.Text += " — " + describe(res, profiles)
	}
	p.X.Label.Text = "utility of " + pa.Name
	p.Y.Label.Text = "utility of " + pb.Name
	// The top right corner, beyond the frontier, holds no outcome.
	p.Legend.Top, p.Legend.Left = true, false
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Add(plotter.NewGrid())
	entries := 0
	legend := func(name string, th ...gplot.Thumbnailer) {
		p.Legend.Add(name, th...)
		entries++
	}

	// Every outcome, faint.
	if pts, err := outcomePoints(sp, pa.Func, pb.Func); err != nil {
		return nil, err
	} else if len(pts) > 0 {
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, fmt.Errorf("plot outcomes: %w", err)
		}
		s.GlyphStyle = draw.GlyphStyle{Color: color.NRGBA{0x80, 0x80, 0x80, 0x50}, Radius: vg.Points(1), Shape: draw.CircleGlyph{}}
		p.Add(s)
		legend("outcomes", s)
	}

	// Reservation lines.
	loA, hiA := pa.Func.Range()
	loB, hiB := pb.Func.Range()
	dash := []vg.Length{vg.Points(4), vg.Points(3)}
	if pa.HasReservation {
		l, err := plotter.NewLine(plotter.XYs{{X: pa.Reservation, Y: loB}, {X: pa.Reservation, Y: hiB}})
		if err != nil {
			return nil, fmt.Errorf("plot reservation of %s: %w", pa.Name, err)
		}
		l.LineStyle = draw.LineStyle{Color: colour(0), Width: vg.Points(1), Dashes: dash}
		p.Add(l)
		legend("reservation of "+pa.Name, l)
	}
	if pb.HasReservation {
		l, err := plotter.NewLine(plotter.XYs{{X: loA, Y: pb.Reservation}, {X: hiA, Y: pb.Reservation}})
		if err != nil {
			return nil, fmt.Errorf("plot reservation of %s: %w", pb.Name, err)
		}
		l.LineStyle = draw.LineStyle{Color: colour(1), Width: vg.Points(1), Dashes: dash}
		p.Add(l)
		legend("reservation of "+pb.Name, l)
	}

	// The two parties' frontier and fair points.
	an, aerr := analysis.AnalyzeProfiles(sp, []*utility.Profile{pa, pb}, analysis.Options{})
	if aerr == nil && len(an.Pareto) > 0 {
		front := make(plotter.XYs, len(an.Pareto))
		for i, pt := range an.Pareto {
			front[i] = plotter.XY{X: pt.Utilities[0], Y: pt.Utilities[1]}
		}
		slices.SortFunc(front, func(x, y plotter.XY) int { return cmp.Compare(x.X, y.X) })
		l, s, err := plotter.NewLinePoints(front)
		if err != nil {
			return nil, fmt.Errorf("plot frontier: %w", err)
		}
		l.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(1)}
		s.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(1.5), Shape: draw.CircleGlyph{}}
		p.Add(l, s)
		legend("Pareto frontier", l, s)
		for _, fp := range []struct {
			name  string
			pts   []analysis.Point
			shape draw.GlyphDrawer
		}{
			{"Nash", an.Nash, draw.SquareGlyph{}},
			{"Kalai–Smorodinsky", an.KalaiSmorodinsky, draw.TriangleGlyph{}},
			{"egalitarian", an.Egalitarian, draw.PyramidGlyph{}},
		} {
			if len(fp.pts) == 0 {
				continue
			}
			xy := plotter.XYs{{X: fp.pts[0].Utilities[0], Y: fp.pts[0].Utilities[1]}}
			s, err := plotter.NewScatter(xy)
			if err != nil {
				return nil, fmt.Errorf("plot %s point: %w", fp.name, err)
			}
			s.GlyphStyle = draw.GlyphStyle{Color: color.RGBA{0x33, 0x33, 0x33, 0xff}, Radius: vg.Points(4), Shape: fp.shape}
			p.Add(s)
			legend(fp.name, s)
		}
	}

	// Each party's offers, in order.
	if res != nil {
		paths := make([]plotter.XYs, len(profiles))
		for _, e := range res.Trace {
			if e.Action != negotiation.ActOffer || e.Party < 0 || e.Party >= len(profiles) {
				continue
			}
			paths[e.Party] = append(paths[e.Party], plotter.XY{X: pa.Func.Utility(e.Outcome), Y: pb.Func.Utility(e.Outcome)})
		}
		for i, path := range paths {
			if len(path) == 0 {
				continue
			}
			l, s, err := plotter.NewLinePoints(path)
			if err != nil {
				return nil, fmt.Errorf("plot offers: %w", err)
			}
			c := colour(i)
			l.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(0.6)}
			s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(1.5), Shape: draw.CircleGlyph{}}
			p.Add(l, s)
			legend("offers of "+profiles[i].Name, l, s)
		}
		if res.Status == negotiation.Agreement {
			s, err := plotter.NewScatter(plotter.XYs{{X: pa.Func.Utility(res.Agreement), Y: pb.Func.Utility(res.Agreement)}})
			if err != nil {
				return nil, fmt.Errorf("plot agreement: %w", err)
			}
			s.GlyphStyle = draw.GlyphStyle{Color: color.RGBA{0xc0, 0x00, 0x00, 0xff}, Radius: vg.Points(6), Shape: draw.RingGlyph{}}
			p.Add(s)
			legend("agreement", s)
		}
	}
	// Room above the data for the legend (about 10 points per entry in a
	// data area about 270 points high), so it hides nothing.
	f := math.Min(0.6, float64(entries)*10/270)
	top := p.Y.Max
	p.Y.Max += (p.Y.Max - p.Y.Min) * f / (1 - f)
	p.Y.Tick.Marker = cappedTicks{top}
	return p, nil
}

// cappedTicks marks the axis only up to the data's maximum (the rest of the
// axis holds the legend).
type cappedTicks struct{ max float64 }

// Ticks implements gplot.Ticker.
func (c cappedTicks) Ticks(lo, hi float64) []gplot.Tick {
	var out []gplot.Tick
	for _, t := range (gplot.DefaultTicks{}).Ticks(lo, math.Min(hi, c.max)) {
		if t.Value <= c.max+1e-12 {
			out = append(out, t)
		}
	}
	return out
}

// SaveNegotiation draws Negotiation(sc, res, a, b) to path (.svg or .png).
func SaveNegotiation(path string, sc *scenario.Scenario, res *negotiation.Result, a, b int) error {
	p, err := Negotiation(sc, res, a, b)
	if err != nil {
		return err
	}
	return Save(path, p)
}

// describe says how a negotiation ended, for titles.
func describe(res *negotiation.Result, profiles []*utility.Profile) string {
	switch res.Status {
	case negotiation.Agreement:
		return fmt.Sprintf("agreement in round %d", res.Rounds)
	case negotiation.Ended, negotiation.Failed:
		who := "mediator"
		if res.Party >= 0 && res.Party < len(profiles) {
			who = profiles[res.Party].Name
		}
		return fmt.Sprintf("%s by %s in round %d", res.Status, who, res.Rounds)
	}
	return fmt.Sprintf("%s after %d rounds", res.Status, res.Rounds)
}

// outcomePoints returns the utility pairs of the outcomes, all of them or
// an even sample of MaxOutcomePoints.
func outcomePoints(sp *space.Space, fa, fb utility.Func) (plotter.XYs, error) {
	n, ok := sp.Len()
	if !ok {
		return nil, nil
	}
	step := int64(1)
	if n > MaxOutcomePoints {
		step = int64(math.Ceil(float64(n) / MaxOutcomePoints))
	}
	pts := make(plotter.XYs, 0, min(n, MaxOutcomePoints))
	o := make([]int, sp.Issues())
	for i := int64(0); i < n; i += step {
		sp.Outcome(i, o)
		pts = append(pts, plotter.XY{X: fa.Utility(o), Y: fb.Utility(o)})
	}
	return pts, nil
}
