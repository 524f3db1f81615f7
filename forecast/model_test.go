package forecast

import (
	"errors"
	"math"
	"testing"
)

// ecInput is the European Community example of Scholz et al. (2011), in the
// published actor order.
func ecInput() Input {
	return Input{Issue: "ec", Actors: []Actor{
		{"Netherlands", .08, 4, .8}, {"Belgium", .08, 7, .4}, {"Luxembourg", .03, 4, .2},
		{"Germany", .16, 4, .8}, {"France", .16, 10, .6}, {"Italy", .16, 10, .6},
		{"UK", .16, 10, .9}, {"Ireland", .05, 7, .1}, {"Denmark", .05, 4, 1.0},
		{"Greece", .08, 7, .7},
	}}
}

func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// TestECGolden checks the numbers given in issue 8 (from the replication).
func TestECGolden(t *testing.T) {
	res, err := Run(ecInput(), Options{Rounds: 10, Mode: Faithful})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rounds) != 11 {
		t.Fatalf("%d rounds, want 11", len(res.Rounds))
	}
	r0, r1 := res.Rounds[0], res.Rounds[1]
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"round 0 median", r0.Median, 7},
		{"round 0 mean", r0.Mean, 7.389955686853767},
		{"round 1 median", r1.Median, 8.415932315426764},
		{"round 1 mean", r1.Mean, 7.461314378277189},
	} {
		if !near(c.got, c.want, 1e-12) {
			t.Errorf("%s = %.17g, want %.17g", c.name, c.got, c.want)
		}
	}
	want := []struct {
		actor, toward string
		kind          MoveKind
		to            float64
	}{
		{"Belgium", "France", Compromise, 8.415932315426764},
		{"Luxembourg", "Belgium", Confrontation, 7},
		{"Ireland", "Luxembourg", Confrontation, 4},
	}
	if len(r1.Moves) != len(want) {
		t.Fatalf("round 1: %d moves %+v, want %d", len(r1.Moves), r1.Moves, len(want))
	}
	for i, w := range want {
		m := r1.Moves[i]
		if m.Actor != w.actor || m.Toward != w.toward || m.Kind != w.kind || !near(m.To, w.to, 1e-12) {
			t.Errorf("round 1 move %d = %+v, want %+v", i, m, w)
		}
	}
}

// TestECRounds checks every round against the replication's output
// (testdata/ec-replication.json, written by the replication itself; see
// testdata/replication-gen.py for how it is run).
func TestECRounds(t *testing.T) {
	ref := loadECReference(t)
	res, err := Run(ecInput(), Options{Rounds: 10, Mode: Faithful})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range ref {
		got := res.Rounds[k]
		if !same(got.Median, want.Median) || !same(got.Mean, want.Mean) {
			t.Errorf("round %d: median, mean = %.17g, %.17g; want %.17g, %.17g", k, got.Median, got.Mean, want.Median, want.Mean)
		}
		for i, x := range want.Positions {
			if !same(got.Positions[i], x) {
				t.Errorf("round %d: %s at %.17g, want %.17g", k, res.Actors[i], got.Positions[i], x)
			}
		}
	}
	// The published quirk K2: Belgium jumps toward Netherlands in round 4.
	if m := res.Rounds[4].Moves[0]; m.Actor != "Belgium" || m.Toward != "Netherlands" || !near(m.To, 4.800881140632622, 1e-12) {
		t.Errorf("round 4 first move = %+v, want Belgium compromising with Netherlands to 4.80088", m)
	}
}

// TestTwoActors works a two-actor case by hand. A (c 1, s 1, x 0) and
// B (c 1, s 0.5, x 1): R = 1, Z = 1·2 + 0.5·2 = 3, P(A,B) = 1/3,
// P(B,A) = 1/6. With all r = 1, U_s = 2, U_f = −2, U_sq = 0 for δ = 1:
// D_A = 1·(2/6 − 2·5/6) = −4/3, D_B = 0.5·(2/3 − 4/3) + 0.5·2 = 2/3, so
// α_A = −1, α_B = 1, r_A = 2, r_B = 1/2. Round 1: A sees
// E(U_AB) = 0.5(2/3 − 4/3) + 1 − U_sq(2) = −1/3 and E(U_BA) = −4/3 − 1 = −7/3:
// no offer. B (r = 1/2, U_sq = 2 − 2√2) sees A = E(U_BA) = −4/3 − U_sq and
// B = E(U_AB) = −1/3 + 1 − U_sq: a compromise, to 1 − |A/B|.
// Mean = 0.5/1.5; median 0 since F(0) = 0.5 < F(1) = 1.
func TestTwoActors(t *testing.T) {
	in := Input{Issue: "two", Actors: []Actor{{"A", 1, 0, 1}, {"B", 1, 1, 0.5}}}
	usq := 2 - 2*math.Sqrt2
	a := -4.0/3 - usq
	b := -1.0/3 + 1 - usq
	target := 1 - math.Abs(a/b)
	for _, mode := range []Mode{Faithful, Corrected} {
		res, err := Run(in, Options{Rounds: 1, Mode: mode})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		r0, r1 := res.Rounds[0], res.Rounds[1]
		checks := []struct {
			name      string
			got, want float64
		}{
			{"round 0 mean", r0.Mean, 1.0 / 3},
			{"round 0 median", r0.Median, 0},
			{"r_A", r1.Risk[0], 2},
			{"r_B", r1.Risk[1], 0.5},
			{"A stays", r1.Positions[0], 0},
			{"B moves", r1.Positions[1], target},
			{"round 1 mean", r1.Mean, 0.5 * target / 1.5},
			{"round 1 median", r1.Median, 0},
		}
		for _, c := range checks {
			if !near(c.got, c.want, 1e-14) {
				t.Errorf("%s: %s = %.17g, want %.17g", mode, c.name, c.got, c.want)
			}
		}
		if len(r1.Moves) != 1 || r1.Moves[0].Kind != Compromise || !near(r1.Moves[0].EUOwn, a, 1e-14) || !near(r1.Moves[0].EUOther, b, 1e-14) {
			t.Errorf("%s: moves %+v, want B compromising with A, A=%v B=%v", mode, r1.Moves, a, b)
		}
	}
}

// TestThreeActors works the static formulas for A (c 1, s 1, x 0),
// B (c 1, s .5, x 1), C (c 2, s .5, x 3) by hand (R = 3, c·s = 1, .5, 1):
//
//	mean = (0 + .5 + 3)/2.5 = 1.4; F(0) = 3.5, F(1) = 3, F(3) = 4 → median 1
//	Z = 1·4 + .5·8/3 + 1·4 = 28/3
//	P(A,B) = (1/3)/Z = 1/28, P(B,A) = (1/6+1/3)/Z = 3/56
//	P(A,C) = (7/6)/Z = 1/8,  P(C,A) = 1/Z·1 = 3/28
//	P(B,C) = 1/Z = 3/28,     P(C,B) = (2/3)/Z = 1/14
//
// With r = 1, U_s = 2δ/R = u, U_f = −u, U_sq = 0, so
// E^a(U_ka) = u (1 − 2 s_a + 2 s_a p):
//
//	D_A = (2/3)(−1 + 3/28) + 2(−1 + 3/14) = −13/6
//	D_B = (2/3)(1/28) + (4/3)(1/14) = 5/42
//	D_C = 2(1/8) + (4/3)(3/28) = 11/28
//
// so α = −1, 169/215, 1 and r = 2, 238/407, 1/2.
func TestThreeActors(t *testing.T) {
	in := Input{Issue: "three", Actors: []Actor{{"A", 1, 0, 1}, {"B", 1, 1, .5}, {"C", 2, 3, .5}}}
	var e engine
	e.reset(&in, Faithful, false)
	med, mean, err := e.summary()
	if err != nil {
		t.Fatal(err)
	}
	if !near(mean, 1.4, 1e-15) || med != 1 {
		t.Errorf("median, mean = %v, %v; want 1, 1.4", med, mean)
	}
	if err := e.risk(); err != nil {
		t.Fatal(err)
	}
	if !near(e.z, 28.0/3, 1e-15) {
		t.Errorf("Z = %v, want 28/3", e.z)
	}
	probs := []struct {
		i, j int
		want float64
	}{{0, 1, 1.0 / 28}, {1, 0, 3.0 / 56}, {0, 2, 1.0 / 8}, {2, 0, 3.0 / 28}, {1, 2, 3.0 / 28}, {2, 1, 1.0 / 14}, {1, 1, 0}}
	for _, p := range probs {
		if got, _ := e.prob(p.i, p.j); !near(got, p.want, 1e-15) {
			t.Errorf("P(%d,%d) = %v, want %v", p.i, p.j, got, p.want)
		}
	}
	for a, want := range []float64{-13.0 / 6, 5.0 / 42, 11.0 / 28} {
		if !near(e.dz[a], want, 1e-15) {
			t.Errorf("D_%d = %v, want %v", a, e.dz[a], want)
		}
	}
	for a, want := range []float64{2, 238.0 / 407, 0.5} {
		if !near(e.r[a], want, 1e-15) {
			t.Errorf("r_%d = %v, want %v", a, e.r[a], want)
		}
	}
}

// TestExpectedUtility checks E^k(U_ij) on hand-computed values:
// s_j (p U_s + (1−p) U_f) + (1 − s_j) U_s − U_sq.
func TestExpectedUtility(t *testing.T) {
	for _, c := range []struct {
		sj, p, us, uf, usq, want float64
	}{
		{1, 0, 2, -2, 0, -2},
		{0, 0.3, 2, -2, 0, 2},
		{0.5, 0.5, 1, -1, 0, 0.5},         // .5(.5 − .5) + .5
		{0.4, 0.25, 0.8, -0.4, 0.2, 0.24}, // .4(.2 − .3) + .6·.8 − .2
		{1, 1, 0.5, -3, 1 - math.Sqrt2, 0.5 - (1 - math.Sqrt2)},
	} {
		if got := eu(c.sj, c.p, c.us, c.uf, c.usq); !near(got, c.want, 1e-15) {
			t.Errorf("eu(%v) = %v, want %v", c, got, c.want)
		}
	}
}

// TestClassify covers §8 of the reference: the order of the tests, the dead
// capitulation branch of faithful mode and the exact tie B = |A|.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		a, b      float64
		faithful  MoveKind
		corrected MoveKind
	}{
		{0.2, 0.5, Confrontation, Confrontation},
		{0.5, 0.2, "", ""}, // i would win: nobody moves on i's side
		{-0.1, 0.3, Compromise, Compromise},
		{-0.5, 0.3, "", Capitulation}, // K1: dead in the replication
		{-0.3, 0.3, "", ""},           // tie B = |A|
		{-0.2, -0.1, "", ""},
		{0.1, -0.3, "", ""},
		{0, 0.3, "", ""},
		{0.3, 0.3, "", ""},
	} {
		if got := classify(c.a, c.b, Faithful); got != c.faithful {
			t.Errorf("faithful classify(%v, %v) = %q, want %q", c.a, c.b, got, c.faithful)
		}
		if got := classify(c.a, c.b, Corrected); got != c.corrected {
			t.Errorf("corrected classify(%v, %v) = %q, want %q", c.a, c.b, got, c.corrected)
		}
	}
}

func TestDegenerate(t *testing.T) {
	cases := []struct {
		name string
		in   Input
		// corrected: forecast after 10 rounds
		forecast float64
	}{
		{"one actor", Input{Issue: "x", Actors: []Actor{{"A", 1, 3, 0.5}}}, 3},
		{"all at one position", Input{Issue: "x", Actors: []Actor{{"A", 1, 2, 0.5}, {"B", 2, 2, 0.9}, {"C", 1, 2, 0.1}}}, 2},
		{"zero capability", Input{Issue: "x", Actors: []Actor{{"A", 0, 1, 0.5}, {"B", 0, 5, 0.9}}}, 1},
		{"zero salience", Input{Issue: "x", Actors: []Actor{{"A", 1, 1, 0}, {"B", 2, 5, 0}}}, 1},
		{"symmetric", Input{Issue: "x", Actors: []Actor{{"A", 1, 0, 0.5}, {"B", 1, 1, 0.5}}}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Run(c.in, Options{Mode: Faithful})
			if !errors.Is(err, ErrDegenerate) {
				t.Errorf("faithful: err = %v, want ErrDegenerate", err)
			}
			res, err := Run(c.in, Options{Mode: Corrected})
			if err != nil {
				t.Fatalf("corrected: %v", err)
			}
			if len(res.Rounds) != DefaultRounds+1 {
				t.Errorf("corrected: %d rounds, want %d", len(res.Rounds), DefaultRounds+1)
			}
			if res.Forecast() != c.forecast {
				t.Errorf("corrected forecast = %v, want %v", res.Forecast(), c.forecast)
			}
		})
	}
}

func TestInvalidInput(t *testing.T) {
	for _, c := range []struct {
		name string
		in   Input
	}{
		{"no actors", Input{Issue: "x"}},
		{"duplicate", Input{Issue: "x", Actors: []Actor{{"A", 1, 0, 1}, {"A", 1, 1, 1}}}},
		{"negative capability", Input{Issue: "x", Actors: []Actor{{"A", -1, 0, 1}}}},
		{"salience above 1", Input{Issue: "x", Actors: []Actor{{"A", 1, 0, 1.5}}}},
		{"NaN position", Input{Issue: "x", Actors: []Actor{{"A", 1, math.NaN(), 1}}}},
		{"empty name", Input{Issue: "x", Actors: []Actor{{" ", 1, 0, 1}}}},
		{"range overflows", Input{Issue: "x", Actors: []Actor{{"A", 1, -1e308, 1}, {"B", 1, 1e308, 1}}}},
	} {
		if _, err := Run(c.in, Options{}); err == nil || errors.Is(err, ErrDegenerate) {
			t.Errorf("%s: err = %v, want a validation error", c.name, err)
		}
	}
	if _, err := Run(ecInput(), Options{Mode: "bogus"}); err == nil {
		t.Error("unknown mode accepted")
	}
}

// TestConverged: a faithful run whose actors all meet stops with
// ErrConverged and keeps its rounds. In the replication this input raises
// ZeroDivisionError in round 2, after Iran and Gov yield to Russia at 100
// in round 1.
func TestConverged(t *testing.T) {
	in := Input{Issue: "zones", Actors: []Actor{
		{"Russia", 90, 100, 0.1}, {"Iran", 60, 50, 0.1}, {"Turkey", 55, 100, 0.2},
		{"Gov", 70, 50, 0.1}, {"Opp", 30, 100, 0.1}, {"Kaz", 10, 100, 0.2},
	}}
	res, err := Run(in, Options{Mode: Faithful})
	if !errors.Is(err, ErrConverged) || !errors.Is(err, ErrDegenerate) {
		t.Fatalf("err = %v, want ErrConverged", err)
	}
	if len(res.Rounds) != 2 || res.Forecast() != 100 {
		t.Errorf("%d rounds, forecast %v; want 2 rounds, 100", len(res.Rounds), res.Forecast())
	}
	last := res.Rounds[len(res.Rounds)-1]
	for i, x := range last.Positions {
		if x != last.Positions[0] {
			t.Errorf("actor %d at %v, others at %v", i, x, last.Positions[0])
		}
	}
	if len(res.Rounds) < 2 {
		t.Errorf("only %d rounds recorded", len(res.Rounds))
	}
}

// TestChoice works §9 by hand for an actor at 5 receiving three bids:
//
//	from 1 at 2: A = −0.3, B = 0.4: compromise to 5 − 3·0.75 = 2.75 (moves 2.25),
//	             κ = (0.3·5 + 0.4·2)/0.7 = 23/7 ≈ 3.29
//	from 2 at 9: A = −0.1, B = 0.5: compromise to 5 + 4·0.2 = 5.8 (moves 0.8),
//	             κ = (0.1·5 + 0.5·9)/0.6 = 25/3 ≈ 8.33
//	from 3 at 0: A = 0.1, B = 0.2: confrontation, to 0 (moves 5)
//	from 4 at 8: A = −0.5, B = 0.3: capitulation (corrected only), to 8 (moves 3)
//
// Faithful: the confrontation wins (K3); without it, the lowest κ (K2), 2.75.
// Corrected: least movement in one pool, 5.8; without bid 2, the
// capitulation (3) loses to the compromise with 1 (2.25).
func TestChoice(t *testing.T) {
	b1 := bid{from: 1, x: 2, a: -0.3, b: 0.4}
	b2 := bid{from: 2, x: 9, a: -0.1, b: 0.5}
	b3 := bid{from: 3, x: 0, a: 0.1, b: 0.2}
	b4 := bid{from: 4, x: 8, a: -0.5, b: 0.3}
	for _, c := range []struct {
		name      string
		bids      []bid
		faithful  offer
		corrected offer
	}{
		{"all", []bid{b1, b2, b3, b4},
			offer{from: 3, kind: Confrontation, target: 0}, offer{from: 2, kind: Compromise, target: 5.8}},
		{"no confrontation", []bid{b1, b2, b4},
			offer{from: 1, kind: Compromise, target: 2.75}, offer{from: 2, kind: Compromise, target: 5.8}},
		{"compromise or capitulation", []bid{b4, b1},
			offer{from: 1, kind: Compromise, target: 2.75}, offer{from: 1, kind: Compromise, target: 2.75}},
		{"capitulation only", []bid{b4},
			offer{}, offer{from: 4, kind: Capitulation, target: 8}},
		{"tie goes to the earliest", []bid{{from: 5, x: 9, a: 0.1, b: 0.3}, {from: 6, x: 1, a: 0.2, b: 0.3}},
			offer{from: 5, kind: Confrontation, target: 9}, offer{from: 5, kind: Confrontation, target: 9}},
	} {
		for _, m := range []struct {
			mode Mode
			want offer
			f    func(float64, []bid) (offer, bool)
		}{{Faithful, c.faithful, chooseFaithful}, {Corrected, c.corrected, chooseCorrected}} {
			got, ok := m.f(5, c.bids)
			if ok != (m.want.kind != "") || got.from != m.want.from || got.kind != m.want.kind || !near(got.target, m.want.target, 1e-15) {
				t.Errorf("%s, %s: got %+v (%v), want %+v", c.name, m.mode, got, ok, m.want)
			}
		}
	}
}
