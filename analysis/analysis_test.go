package analysis

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"parley/scenario"
	"parley/space"
	"parley/utility"
)

// brute is an independent reference: it evaluates every outcome with
// Func.Utility (not the bulk fill), finds the rational set, and the frontier by
// comparing every pair.
type brute struct {
	us       [][]float64 // per outcome, per party
	rational []int
	frontier map[string]int64 // utility vector -> count of rational outcomes
	min, max []float64
	d        []float64
}

func key(u []float64) string {
	parts := make([]string, len(u))
	for i, x := range u {
		parts[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

type fataler interface{ Fatal(args ...any) }

func bruteForce(t fataler, sc *scenario.Scenario, ignoreRes bool) *brute {
	profiles, err := utility.Participants(sc)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := space.Of(sc)
	if err != nil {
		t.Fatal(err)
	}
	n := len(profiles)
	b := &brute{frontier: map[string]int64{}, min: make([]float64, n), max: make([]float64, n), d: make([]float64, n)}
	for i := range b.min {
		b.min[i], b.max[i] = math.Inf(1), math.Inf(-1)
	}
	size, _ := sp.Len()
	o := make([]int, sp.Issues())
	for k := int64(0); k < size; k++ {
		o = sp.Outcome(k, o)
		u := make([]float64, n)
		ok := true
		for i, p := range profiles {
			u[i] = p.Func.Utility(o)
			b.min[i], b.max[i] = math.Min(b.min[i], u[i]), math.Max(b.max[i], u[i])
			if p.HasReservation && !ignoreRes && u[i] < p.Reservation {
				ok = false
			}
		}
		b.us = append(b.us, u)
		if ok {
			b.rational = append(b.rational, int(k))
		}
	}
	for i, p := range profiles {
		b.d[i] = b.min[i]
		if p.HasReservation && !ignoreRes {
			b.d[i] = math.Max(p.Reservation, b.min[i])
		}
	}
	for _, k := range b.rational {
		dominated := false
		for _, j := range b.rational {
			if dom(b.us[j], b.us[k]) {
				dominated = true
				break
			}
		}
		if !dominated {
			b.frontier[key(b.us[k])]++
		}
	}
	return b
}

func dom(a, b []float64) bool {
	strict := false
	for i := range a {
		if a[i] < b[i] {
			return false
		}
		if a[i] > b[i] {
			strict = true
		}
	}
	return strict
}

// bestOver returns the best score over the given utility vectors.
func bestOver(vecs [][]float64, score func([]float64) float64) float64 {
	best := math.Inf(-1)
	for _, u := range vecs {
		best = math.Max(best, score(u))
	}
	return best
}

func checkAgainstBrute(t *rapid.T, sc *scenario.Scenario, ignoreRes bool) {
	r, err := Analyze(sc, Options{IgnoreReservation: ignoreRes})
	if err != nil {
		t.Fatal(err)
	}
	b := bruteForce(t, sc, ignoreRes)
	n := len(r.Parties)
	for i := 0; i < n; i++ {
		if r.Min[i] != b.min[i] || r.Max[i] != b.max[i] {
			t.Fatalf("party %d range [%v, %v], brute force [%v, %v]", i, r.Min[i], r.Max[i], b.min[i], b.max[i])
		}
		if r.Disagreement[i] != b.d[i] {
			t.Fatalf("party %d disagreement %v, want %v", i, r.Disagreement[i], b.d[i])
		}
	}
	if int(r.Rational) != len(b.rational) {
		t.Fatalf("rational outcomes %d, brute force %d", r.Rational, len(b.rational))
	}
	got := map[string]int64{}
	for _, p := range r.Pareto {
		got[key(p.Utilities)] = p.Count
		// The representative outcome really has these utilities.
		if k := key(b.us[p.Index]); k != key(p.Utilities) {
			t.Fatalf("point %v has outcome %d with utilities %s", p.Utilities, p.Index, k)
		}
	}
	if len(got) != len(r.Pareto) {
		t.Fatalf("frontier repeats a utility vector: %v", r.Pareto)
	}
	for k, c := range b.frontier {
		if got[k] != c {
			t.Fatalf("frontier point %s: count %d, brute force %d (frontier %v, want %v)", k, got[k], c, got, b.frontier)
		}
	}
	if len(got) != len(b.frontier) {
		t.Fatalf("frontier %v, brute force %v", got, b.frontier)
	}
	// Sorted by welfare, highest first.
	for i := 1; i < len(r.Pareto); i++ {
		if r.Pareto[i].Welfare() > r.Pareto[i-1].Welfare() {
			t.Fatalf("frontier not sorted by welfare at %d", i)
		}
	}
	// Every rational outcome is dominated by or equal to a frontier point.
	for _, k := range b.rational {
		u := b.us[k]
		if _, on := got[key(u)]; on {
			continue
		}
		covered := slices.ContainsFunc(r.Pareto, func(p Point) bool { return dom(p.Utilities, u) })
		if !covered {
			t.Fatalf("rational outcome %d %v is neither on nor below the frontier", k, u)
		}
	}
	var rationalVecs, frontierVecs [][]float64
	for _, k := range b.rational {
		rationalVecs = append(rationalVecs, b.us[k])
	}
	for _, p := range r.Pareto {
		frontierVecs = append(frontierVecs, p.Utilities)
	}
	nash := func(u []float64) float64 {
		p := 1.0
		for i := range u {
			p *= u[i] - b.d[i]
		}
		return p
	}
	egal := func(u []float64) float64 {
		m := math.Inf(1)
		for i := range u {
			m = math.Min(m, u[i]-b.d[i])
		}
		return m
	}
	welfare := func(u []float64) float64 {
		s := 0.0
		for _, x := range u {
			s += x
		}
		return s
	}
	ks := func(u []float64) float64 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := range u {
			g := 1.0
			if b.max[i] > b.d[i] {
				g = (u[i] - b.d[i]) / (b.max[i] - b.d[i])
			}
			lo, hi = math.Min(lo, g), math.Max(hi, g)
		}
		return -(hi - lo)
	}
	for _, c := range []struct {
		name  string
		pts   []Point
		score func([]float64) float64
		over  [][]float64
	}{
		{"nash", r.Nash, nash, rationalVecs},
		{"egalitarian", r.Egalitarian, egal, rationalVecs},
		{"welfare", r.MaxWelfare, welfare, rationalVecs},
		{"kalai-smorodinsky", r.KalaiSmorodinsky, ks, frontierVecs},
	} {
		if len(b.rational) == 0 {
			if len(c.pts) != 0 {
				t.Fatalf("%s: points %v with no rational outcome", c.name, c.pts)
			}
			continue
		}
		best := bestOver(c.over, c.score)
		if len(c.pts) == 0 {
			t.Fatalf("%s: no point", c.name)
		}
		for _, p := range c.pts {
			if !sameFloat(c.score(p.Utilities), best) {
				t.Fatalf("%s: point %v scores %v, brute-force optimum %v", c.name, p.Utilities, c.score(p.Utilities), best)
			}
		}
		// Every frontier point that reaches the optimum is listed.
		for _, u := range frontierVecs {
			if c.score(u) == best && !slices.ContainsFunc(c.pts, func(p Point) bool { return key(p.Utilities) == key(u) }) {
				t.Fatalf("%s: tied frontier point %v missing from %v", c.name, u, c.pts)
			}
		}
	}
}

func TestAnalyzeMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 5).Draw(t, "parties")
		sc := randomScenario(t, n)
		// Small blocks make the scan cross block boundaries.
		defer func(b int) { blockTarget = b }(blockTarget)
		blockTarget = rapid.SampledFrom([]int{1, 2, 5, 1 << 14}).Draw(t, "blockTarget")
		checkAgainstBrute(t, sc, rapid.Bool().Draw(t, "ignoreReservation"))
	})
}

// TestLargerTwoPartySpaces checks the two-party bucket filter on spaces of a
// few thousand outcomes against the pairwise brute force.
func TestLargerTwoPartySpaces(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		sc := linearScenarioOpposed(2, 4, 6, seed, seed%2 == 0)
		rapid.Check(t, func(rt *rapid.T) {
			defer func(b int) { blockTarget = b }(blockTarget)
			blockTarget = rapid.SampledFrom([]int{7, 36, 1 << 14}).Draw(rt, "blockTarget")
			checkAgainstBrute(rt, sc, false)
		})
	}
}
