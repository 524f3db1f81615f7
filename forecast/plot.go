package forecast

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// plotFormat checks that the file name ends in a format gonum/plot writes.
func plotFormat(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".svg", ".png", ".pdf", ".jpg", ".jpeg", ".eps", ".tif", ".tiff":
		return nil
	}
	return fmt.Errorf("plot %s: unknown format %q: want .svg or .png (or .pdf, .jpg, .eps, .tif)", path, filepath.Ext(path))
}

// PlotRounds draws each actor's position across the rounds, with the
// weighted median (thick) and mean (dashed), and saves it to path; the
// format follows the extension (.svg, .png, …).
func PlotRounds(res *Result, path string) error {
	if err := plotFormat(path); err != nil {
		return err
	}
	if len(res.Rounds) == 0 {
		return fmt.Errorf("plot %s: no rounds to draw", path)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: positions by round (%s)", res.Issue, res.Mode)
	p.X.Label.Text = "round"
	p.Y.Label.Text = "position"
	p.Legend.Top = true
	p.Legend.Left = false
	for i, name := range res.Actors {
		pts := make(plotter.XYs, len(res.Rounds))
		for k, rd := range res.Rounds {
			pts[k] = plotter.XY{X: float64(rd.Round), Y: rd.Positions[i]}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i / 7) // plotutil has 7 colours
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(name, l)
	}
	med := make(plotter.XYs, len(res.Rounds))
	mean := make(plotter.XYs, len(res.Rounds))
	for k, rd := range res.Rounds {
		med[k] = plotter.XY{X: float64(rd.Round), Y: rd.Median}
		mean[k] = plotter.XY{X: float64(rd.Round), Y: rd.Mean}
	}
	lm, err := plotter.NewLine(med)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	lm.Color, lm.Width = color.Black, vg.Points(3)
	la, err := plotter.NewLine(mean)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	la.Color, la.Width, la.Dashes = color.Gray{Y: 80}, vg.Points(2), []vg.Length{vg.Points(6), vg.Points(3)}
	p.Add(lm, la)
	p.Legend.Add("weighted median", lm)
	p.Legend.Add("weighted mean", la)
	// Leave the right third free for the legend.
	last := float64(res.Rounds[len(res.Rounds)-1].Round)
	p.X.Min, p.X.Max = 0, math.Max(1, last)*1.45
	p.Legend.XOffs = -vg.Points(4)
	var ticks []plot.Tick
	step := math.Max(1, math.Ceil(last/10))
	for k := 0.0; k <= last; k += step {
		ticks = append(ticks, plot.Tick{Value: k, Label: fmt.Sprint(k)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	if err := p.Save(9*vg.Inch, 5*vg.Inch, path); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}

// PlotDistribution draws a histogram of the Monte-Carlo forecasts (final
// weighted medians), with the base forecast as a vertical line when base is
// not NaN, and saves it to path.
func PlotDistribution(d *Distribution, base float64, path string) error {
	if err := plotFormat(path); err != nil {
		return err
	}
	if len(d.Forecasts) == 0 {
		return fmt.Errorf("plot %s: no successful runs to draw", path)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: %d shocked runs (%s)", d.Issue, d.Runs, d.Mode)
	p.X.Label.Text = "forecast (final weighted median)"
	p.Y.Label.Text = "runs"
	bins := 40
	h, err := plotter.NewHist(plotter.Values(d.Forecasts), bins)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	h.FillColor = color.RGBA{R: 70, G: 110, B: 180, A: 255}
	p.Add(h)
	if base == base { // not NaN
		top := 0.0
		for _, b := range h.Bins {
			top = max(top, b.Weight)
		}
		l, err := plotter.NewLine(plotter.XYs{{X: base, Y: 0}, {X: base, Y: top}})
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		l.Color, l.Width = color.RGBA{R: 200, A: 255}, vg.Points(2)
		p.Add(l)
		p.Legend.Add("base forecast", l)
		p.Legend.Top = true
	}
	p.Add(plotter.NewGrid())
	if err := p.Save(8*vg.Inch, 5*vg.Inch, path); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}
