package forecast

import (
	"context"
	"math"
	"slices"
	"testing"
)

func TestShocksDeterministic(t *testing.T) {
	mc := MonteCarlo{Runs: 300, Shock: Shock{Capability: 0.1, Salience: 0.1, Position: 0.05}, Seed: 42}
	var first *Distribution
	for _, w := range []int{1, 2, 7} {
		mc.Workers = w
		d, err := Shocks(context.Background(), ecInput(), mc)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = d
			continue
		}
		if !slices.Equal(d.Forecasts, first.Forecasts) || !slices.Equal(d.Means, first.Means) || d.Failed != first.Failed {
			t.Errorf("workers %d: results differ from 1 worker", w)
		}
	}
	mc.Seed = 43
	d, err := Shocks(context.Background(), ecInput(), mc)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(d.Forecasts, first.Forecasts) {
		t.Error("seeds 42 and 43 gave the same forecasts")
	}
}

// Without shocks every run is the base case.
func TestShocksZero(t *testing.T) {
	base, err := Run(ecInput(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Shocks(context.Background(), ecInput(), MonteCarlo{Runs: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range d.Forecasts {
		if f != base.Forecast() || d.Means[i] != base.FinalMean() {
			t.Fatalf("run %d: %v, %v; want %v, %v", i, f, d.Means[i], base.Forecast(), base.FinalMean())
		}
	}
}

func TestQuantile(t *testing.T) {
	d := &Distribution{Forecasts: []float64{4, 1, 3, 2, 5}}
	for _, c := range []struct{ q, want float64 }{{0, 1}, {0.5, 3}, {1, 5}, {0.25, 2}, {0.1, 1.4}} {
		if got := d.Quantile(c.q); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if !math.IsNaN((&Distribution{}).Quantile(0.5)) {
		t.Error("quantile of nothing is not NaN")
	}
}

func TestParseShock(t *testing.T) {
	for _, c := range []struct {
		s    string
		want Shock
		ok   bool
	}{
		{"salience=0.1,capability=0.2,position=0.05", Shock{0.2, 0.1, 0.05}, true},
		{"position=1", Shock{Position: 1}, true},
		{"", Shock{}, true},
		{"weight=1", Shock{}, false},
		{"salience=-1", Shock{}, false},
		{"salience", Shock{}, false},
	} {
		got, err := ParseShock(c.s)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseShock(%q) = %+v, %v", c.s, got, err)
		}
	}
}

func TestShocksCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Shocks(ctx, ecInput(), MonteCarlo{Runs: 100}); err == nil {
		t.Error("cancelled run returned no error")
	}
}
