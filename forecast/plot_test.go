package forecast

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlots(t *testing.T) {
	dir := t.TempDir()
	res, err := Run(ecInput(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Shocks(context.Background(), ecInput(), MonteCarlo{Runs: 50, Shock: Shock{Salience: 0.1}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		draw func(string) error
	}{
		{"rounds.svg", func(p string) error { return PlotRounds(res, p) }},
		{"rounds.png", func(p string) error { return PlotRounds(res, p) }},
		{"hist.svg", func(p string) error { return PlotDistribution(d, res.Forecast(), p) }},
		{"hist-nobase.png", func(p string) error { return PlotDistribution(d, math.NaN(), p) }},
	} {
		path := filepath.Join(dir, c.name)
		if err := c.draw(path); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(c.name, ".svg") && !strings.Contains(string(data), "<svg") {
			t.Errorf("%s is not SVG", c.name)
		}
		if strings.HasSuffix(c.name, ".png") && !strings.HasPrefix(string(data), "\x89PNG") {
			t.Errorf("%s is not PNG", c.name)
		}
	}
	if err := PlotRounds(res, filepath.Join(dir, "x.gif")); err == nil || !strings.Contains(err.Error(), ".svg") {
		t.Errorf("unknown format: err = %v", err)
	}
	if err := PlotDistribution(&Distribution{}, 0, filepath.Join(dir, "empty.svg")); err == nil {
		t.Error("empty distribution plotted")
	}
}
