package plot

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"parley"
	"parley/tournament"
)

// bars holds bar heights and error half-widths at x = 0, 1, ….
type bars struct {
	y, err []float64
}

// plotter.Valuer, plotter.XYer and plotter.YErrorer.

func (b bars) Len() int                        { return len(b.y) }
func (b bars) Value(i int) float64             { return b.y[i] }
func (b bars) XY(i int) (float64, float64)     { return float64(i), b.y[i] }
func (b bars) YError(i int) (float64, float64) { return b.err[i], b.err[i] }

// Scores draws one score of every competitor (overall, in rank order) as
// bars with error bars: the mean and the half-width of its confidence
// interval.
func Scores(sc *tournament.Scores, score string) (*gplot.Plot, error) {
	if len(sc.Overall) == 0 {
		return nil, parley.Errorf(parley.EINVALID, "plot scores: no competitors")
	}
	b := bars{}
	var names []string
	for _, c := range sc.Overall {
		st, ok := c.Scores[score]
		if !ok {
			return nil, parley.Errorf(parley.EINVALID, "plot scores: unknown score %q", score)
		}
		m, e := st.Mean, st.CI
		if math.IsNaN(m) {
			m = 0
		}
		if math.IsNaN(e) {
			e = 0
		}
		b.y, b.err = append(b.y, m), append(b.err, e)
		names = append(names, c.Competitor)
	}
	p := gplot.New()
	p.Title.Text = fmt.Sprintf("%s per competitor (mean, %.0f%% confidence interval)", strings.ReplaceAll(score, "_", " "), 100*sc.Confidence)
	p.Y.Label.Text = strings.ReplaceAll(score, "_", " ")
	p.Add(plotter.NewGrid())
	bc, err := plotter.NewBarChart(b, vg.Points(24))
	if err != nil {
		return nil, fmt.Errorf("plot scores: %w", err)
	}
	bc.Color = colour(0)
	bc.LineStyle.Width = 0
	eb, err := plotter.NewYErrorBars(b)
	if err != nil {
		return nil, fmt.Errorf("plot scores: %w", err)
	}
	eb.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(1)}
	p.Add(bc, eb)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	p.Y.Min = math.Min(0, p.Y.Min)
	return p, nil
}

// AgreementRates draws the share of negotiations that reached agreement on
// each scenario.
func AgreementRates(sc *tournament.Scores) (*gplot.Plot, error) {
	if len(sc.Scenarios) == 0 {
		return nil, parley.Errorf(parley.EINVALID, "plot agreement rates: no scenarios")
	}
	b := bars{}
	var names []string
	for _, s := range sc.Scenarios {
		r := s.AgreementRate()
		if math.IsNaN(r) {
			r = 0
		}
		b.y, b.err = append(b.y, r), append(b.err, 0)
		names = append(names, s.Scenario)
	}
	p := gplot.New()
	p.Title.Text = "agreement rate per scenario"
	p.Y.Label.Text = "share of negotiations with agreement"
	p.Add(plotter.NewGrid())
	bc, err := plotter.NewBarChart(b, vg.Points(24))
	if err != nil {
		return nil, fmt.Errorf("plot agreement rates: %w", err)
	}
	bc.Color = colour(2)
	bc.LineStyle.Width = 0
	p.Add(bc)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	p.Y.Min, p.Y.Max = 0, 1
	if len(names) > 6 {
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	return p, nil
}

// TournamentFiles writes a tournament's figures to dir, as SVG and PNG:
// score-<score>.svg/.png for advantage, utility, welfare and
// nash_distance, and agreement-rate.svg/.png. It returns the files
// written.
func TournamentFiles(dir string, sc *tournament.Scores) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	var files []string
	save := func(name string, p *gplot.Plot) error {
		for _, ext := range []string{".svg", ".png"} {
			path := filepath.Join(dir, name+ext)
			if err := Save(path, p); err != nil {
				return err
			}
			files = append(files, path)
		}
		return nil
	}
	for _, s := range []string{tournament.ScoreAdvantage, tournament.ScoreUtility, tournament.ScoreWelfare, tournament.ScoreNash} {
		p, err := Scores(sc, s)
		if err != nil {
			return nil, err
		}
		if err := save("score-"+s, p); err != nil {
			return nil, err
		}
	}
	p, err := AgreementRates(sc)
	if err != nil {
		return nil, err
	}
	if err := save("agreement-rate", p); err != nil {
		return nil, err
	}
	return files, nil
}
