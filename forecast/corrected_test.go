package forecast

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"pgregory.net/rapid"
)

// genInput draws a valid input of 1 to 9 actors; positions come from a small
// grid half of the time so that ties and co-located actors are common.
func genInput(t *rapid.T) Input {
	n := rapid.IntRange(1, 9).Draw(t, "n")
	grid := rapid.Bool().Draw(t, "grid")
	in := Input{Issue: "prop"}
	for i := 0; i < n; i++ {
		var x float64
		if grid {
			x = float64(rapid.IntRange(0, 4).Draw(t, "x"))
		} else {
			x = rapid.Float64Range(-50, 50).Draw(t, "x")
		}
		in.Actors = append(in.Actors, Actor{
			Name:       fmt.Sprintf("A%d", i),
			Capability: rapid.Float64Range(0, 10).Draw(t, "c"),
			Position:   x,
			Salience:   rapid.Float64Range(0, 1).Draw(t, "s"),
		})
	}
	return in
}

func TestCorrectedStaysInRange(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		res, err := Run(in, Options{Mode: Corrected, Rounds: 8})
		if err != nil {
			t.Fatalf("corrected mode failed: %v", err)
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, a := range in.Actors {
			lo, hi = math.Min(lo, a.Position), math.Max(hi, a.Position)
		}
		for _, rd := range res.Rounds {
			for i, x := range rd.Positions {
				if x < lo || x > hi || math.IsNaN(x) {
					t.Fatalf("round %d: %s at %v outside [%v, %v]", rd.Round, res.Actors[i], x, lo, hi)
				}
			}
			if rd.Median < lo || rd.Median > hi || rd.Mean < lo-1e-9*math.Abs(lo) || rd.Mean > hi+1e-9*math.Abs(hi) {
				t.Fatalf("round %d: median %v / mean %v outside [%v, %v]", rd.Round, rd.Median, rd.Mean, lo, hi)
			}
		}
	})
}

func TestCorrectedLoneActorNeverMoves(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := Actor{
			Name:       "solo",
			Capability: rapid.Float64Range(0, 10).Draw(t, "c"),
			Position:   rapid.Float64Range(-100, 100).Draw(t, "x"),
			Salience:   rapid.Float64Range(0, 1).Draw(t, "s"),
		}
		res, err := Run(Input{Issue: "solo", Actors: []Actor{a}}, Options{Mode: Corrected})
		if err != nil {
			t.Fatal(err)
		}
		for _, rd := range res.Rounds {
			if rd.Positions[0] != a.Position || len(rd.Moves) != 0 || rd.Median != a.Position || !near(rd.Mean, a.Position, 1e-15) {
				t.Fatalf("round %d: %+v, want it to stay at %v", rd.Round, rd, a.Position)
			}
		}
	})
}

// Two actors with the same capability, position and salience receive the
// same offers and so move identically, wherever they stand in the order.
func TestCorrectedIdenticalActorsMoveIdentically(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		src := rapid.IntRange(0, len(in.Actors)-1).Draw(t, "src")
		at := rapid.IntRange(0, len(in.Actors)).Draw(t, "at")
		twin := in.Actors[src]
		twin.Name = "twin"
		in.Actors = append(in.Actors[:at], append([]Actor{twin}, in.Actors[at:]...)...)
		orig := src
		if at <= src {
			orig++
		}
		res, err := Run(in, Options{Mode: Corrected, Rounds: 8})
		if err != nil {
			t.Fatal(err)
		}
		for _, rd := range res.Rounds {
			if rd.Positions[at] != rd.Positions[orig] {
				t.Fatalf("round %d: twin at %v, original at %v", rd.Round, rd.Positions[at], rd.Positions[orig])
			}
		}
	})
}

// The corrected median is the c·s-weighted median: no other actor position
// has a smaller total weighted distance (brute force).
func TestCorrectedMedianMinimises(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		var e engine
		e.reset(&in, Corrected, false)
		m, _, err := e.summary()
		if err != nil {
			t.Fatal(err)
		}
		cost := func(y float64) float64 {
			f := 0.0
			for _, a := range in.Actors {
				f += a.Capability * a.Salience * math.Abs(a.Position-y)
			}
			return f
		}
		for _, a := range in.Actors {
			if cost(a.Position) < cost(m) || (cost(a.Position) == cost(m) && a.Position < m) {
				t.Fatalf("median %v (F=%v), but %v has F=%v", m, cost(m), a.Position, cost(a.Position))
			}
		}
	})
}

// K2/K3: in corrected mode Belgium never makes the faithful mode's jump
// toward the Netherlands; every move is the smallest on offer.
func TestCorrectedEC(t *testing.T) {
	res, err := Run(ecInput(), Options{Mode: Corrected})
	if err != nil {
		t.Fatal(err)
	}
	for _, rd := range res.Rounds {
		for _, m := range rd.Moves {
			if m.Actor == "Belgium" && math.Abs(m.To-m.From) > 3 {
				t.Errorf("round %d: Belgium moves %v → %v", rd.Round, m.From, m.To)
			}
		}
	}
}

// Faithful mode on any valid input either finishes or stops with
// ErrDegenerate, and never leaves the initial range.
func TestFaithfulTotal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		res, err := Run(in, Options{Mode: Faithful, Rounds: 6})
		if err != nil && !errors.Is(err, ErrDegenerate) {
			t.Fatalf("unexpected error %v", err)
		}
		if res == nil {
			return
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, a := range in.Actors {
			lo, hi = math.Min(lo, a.Position), math.Max(hi, a.Position)
		}
		for _, rd := range res.Rounds {
			for i, x := range rd.Positions {
				if !(x >= lo && x <= hi) {
					t.Fatalf("round %d: %s at %v outside [%v, %v]", rd.Round, res.Actors[i], x, lo, hi)
				}
			}
		}
	})
}
