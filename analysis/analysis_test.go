package analysis

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"parley/scenario"
	"parley/space"
)

// rat reads a float64 as the decimal it was written as (the documented
// reading of scenario numbers).
func rat(x float64) *big.Rat {
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
	return r
}

// position is value k's exact position on issue is, straight from the
// definitions in docs/scenario-format.md.
func position(is *scenario.Issue, k int) *big.Rat {
	switch is.Type {
	case scenario.Integer:
		return new(big.Rat).Add(rat(*is.Min), big.NewRat(int64(k), 1))
	case scenario.Real:
		// A grid point is the decimal its label shows.
		x, _ := new(big.Rat).SetString(is.Label(k))
		return x
	}
	if len(is.Positions) > 0 {
		return rat(is.Positions[k])
	}
	return big.NewRat(int64(k), 1)
}

// interpolate evaluates the piecewise-linear function through xs, ys at x.
func interpolate(xs, ys []*big.Rat, x *big.Rat) *big.Rat {
	if x.Cmp(xs[0]) <= 0 {
		return ys[0]
	}
	for i := 1; i < len(xs); i++ {
		if x.Cmp(xs[i]) <= 0 {
			t := new(big.Rat).Quo(new(big.Rat).Sub(x, xs[i-1]), new(big.Rat).Sub(xs[i], xs[i-1]))
			return t.Add(ys[i-1], t.Mul(t, new(big.Rat).Sub(ys[i], ys[i-1])))
		}
	}
	return ys[len(ys)-1]
}

// exactUtility evaluates party p's preferences at outcome o in exact
// arithmetic, independently of package utility.
func exactUtility(sc *scenario.Scenario, p *scenario.Party, o []int) *big.Rat {
	pr := p.Preferences
	u := new(big.Rat)
	switch {
	case pr.Linear != nil:
		for i := range sc.Issues {
			is := &sc.Issues[i]
			li, ok := pr.Linear.Issues[is.Name]
			if !ok {
				continue
			}
			var v *big.Rat
			if is.Type == scenario.Categorical {
				v = rat(li.Values[is.Values[o[i]]])
			} else {
				f := li.Function
				lo, hi := rat(*is.Min), rat(*is.Max)
				switch f.Shape {
				case scenario.ShapeLinear:
					if lo.Cmp(hi) == 0 {
						v = rat(*f.AtMax)
					} else {
						v = interpolate([]*big.Rat{lo, hi}, []*big.Rat{rat(*f.AtMin), rat(*f.AtMax)}, position(is, o[i]))
					}
				default:
					var xs, ys []*big.Rat
					for _, pt := range f.Points {
						xs, ys = append(xs, rat(pt[0])), append(ys, rat(pt[1]))
					}
					v = interpolate(xs, ys, position(is, o[i]))
				}
			}
			if li.Scale != nil {
				v = new(big.Rat).Quo(v, rat(*li.Scale))
			}
			u.Add(u, new(big.Rat).Mul(rat(li.Weight), v))
		}
	case pr.Spatial != nil:
		total := new(big.Rat)
		for _, si := range pr.Spatial.Issues {
			total.Add(total, rat(si.Salience))
		}
		u.SetInt64(1)
		for i := range sc.Issues {
			is := &sc.Issues[i]
			si, ok := pr.Spatial.Issues[is.Name]
			if !ok {
				continue
			}
			lo, hi := position(is, 0), position(is, is.Cardinality()-1)
			if lo.Cmp(hi) == 0 {
				continue
			}
			// A numeric ideal is the decimal written; a categorical one
			// is its value's position.
			var ideal *big.Rat
			if is.Type == scenario.Categorical {
				k, _ := is.Index(si.Ideal)
				ideal = position(is, k)
			} else {
				ideal, _ = new(big.Rat).SetString(si.Ideal)
			}
			d := new(big.Rat).Sub(position(is, o[i]), ideal)
			d.Abs(d)
			d.Mul(d, rat(si.Salience))
			d.Quo(d, total)
			d.Quo(d, new(big.Rat).Sub(hi, lo))
			u.Sub(u, d)
		}
	case pr.Table != nil:
		u = rat(*pr.Table.Default)
		for _, e := range pr.Table.Outcomes {
			match := true
			for i := range sc.Issues {
				if e.Outcome[sc.Issues[i].Name] != sc.Issues[i].Label(o[i]) {
					match = false
				}
			}
			if match {
				u = rat(e.Utility)
			}
		}
	case pr.Constraints != nil:
		in := func(c scenario.Condition) bool {
			i := sc.IssueIndex(c.Issue)
			x := position(&sc.Issues[i], o[i])
			return (c.Min == nil || x.Cmp(rat(*c.Min)) >= 0) && (c.Max == nil || x.Cmp(rat(*c.Max)) <= 0)
		}
		for _, r := range pr.Constraints.Rules {
			ok := true
			for _, c := range r.Includes {
				ok = ok && in(c)
			}
			for _, c := range r.Excludes {
				ok = ok && !in(c)
			}
			if ok {
				u.Add(u, rat(r.Utility))
			}
		}
		if s := pr.Constraints.Scale; s != nil {
			u.Quo(u, rat(*s))
		}
		if c := pr.Constraints.Cap; c != nil && u.Cmp(rat(*c)) > 0 {
			u = rat(*c)
		}
	}
	return u
}

// brute is an independent reference: exact utilities of every outcome, the
// rational set, and the frontier by comparing every pair.
type brute struct {
	us       [][]*big.Rat // per outcome, per party
	rational []int
	frontier map[string]int64 // exact utility vector -> count of rational outcomes
	min, max []*big.Rat
	d        []*big.Rat
}

func key(u []*big.Rat) string {
	parts := make([]string, len(u))
	for i, x := range u {
		parts[i] = x.RatString()
	}
	return strings.Join(parts, ",")
}

func bruteForce(sc *scenario.Scenario, ignoreRes bool) *brute {
	var parts []*scenario.Party
	for _, i := range sc.Participants() {
		parts = append(parts, &sc.Parties[i])
	}
	sp, _ := space.Of(sc)
	n := len(parts)
	b := &brute{frontier: map[string]int64{}, min: make([]*big.Rat, n), max: make([]*big.Rat, n), d: make([]*big.Rat, n)}
	size, _ := sp.Len()
	for k := int64(0); k < size; k++ {
		o := sp.Outcome(k, nil)
		u := make([]*big.Rat, n)
		ok := true
		for i, p := range parts {
			u[i] = exactUtility(sc, p, o)
			if b.min[i] == nil || u[i].Cmp(b.min[i]) < 0 {
				b.min[i] = u[i]
			}
			if b.max[i] == nil || u[i].Cmp(b.max[i]) > 0 {
				b.max[i] = u[i]
			}
			if p.Reservation != nil && !ignoreRes && u[i].Cmp(rat(*p.Reservation)) < 0 {
				ok = false
			}
		}
		b.us = append(b.us, u)
		if ok {
			b.rational = append(b.rational, int(k))
		}
	}
	for i, p := range parts {
		b.d[i] = b.min[i]
		if p.Reservation != nil && !ignoreRes && rat(*p.Reservation).Cmp(b.min[i]) > 0 {
			b.d[i] = rat(*p.Reservation)
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

func dom(a, b []*big.Rat) bool {
	strict := false
	for i := range a {
		switch a[i].Cmp(b[i]) {
		case -1:
			return false
		case 1:
			strict = true
		}
	}
	return strict
}

type fataler interface {
	Fatalf(format string, args ...any)
}

func checkAgainstBrute(t fataler, sc *scenario.Scenario, opts Options) {
	r, err := Analyze(sc, opts)
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	b := bruteForce(sc, opts.IgnoreReservation)
	n := len(r.Parties)
	for i := 0; i < n; i++ {
		if r.ExactMin[i].Cmp(b.min[i]) != 0 || r.ExactMax[i].Cmp(b.max[i]) != 0 {
			t.Fatalf("party %d range [%v, %v], brute force [%v, %v]", i, r.ExactMin[i], r.ExactMax[i], b.min[i], b.max[i])
		}
		if r.ExactDisagreement[i].Cmp(b.d[i]) != 0 {
			t.Fatalf("party %d disagreement %v, want %v", i, r.ExactDisagreement[i], b.d[i])
		}
	}
	if r.Rational >= 0 && int(r.Rational) != len(b.rational) {
		t.Fatalf("rational outcomes %d, brute force %d", r.Rational, len(b.rational))
	}
	got := map[string]int64{}
	for _, p := range r.Pareto {
		got[key(p.Exact)] = p.Count.Int64()
		idx := int(p.Index.Int64())
		if k := key(b.us[idx]); k != key(p.Exact) {
			t.Fatalf("point %v has outcome %d with utilities %s", key(p.Exact), idx, k)
		}
		// The representative is the smallest outcome with these utilities.
		for _, k := range b.rational {
			if key(b.us[k]) == key(p.Exact) {
				if k != idx {
					t.Fatalf("point %s: representative %d, smallest outcome %d", key(p.Exact), idx, k)
				}
				break
			}
		}
		for i, u := range p.Utilities {
			if f, _ := p.Exact[i].Float64(); f != u {
				t.Fatalf("float utility %v is not the rounding of %v", u, p.Exact[i])
			}
		}
	}
	if len(got) != len(r.Pareto) {
		t.Fatalf("frontier repeats a utility vector")
	}
	for k, c := range b.frontier {
		if got[k] != c {
			t.Fatalf("frontier point %s: count %d, brute force %d (frontier %v, want %v)", k, got[k], c, got, b.frontier)
		}
	}
	if len(got) != len(b.frontier) {
		t.Fatalf("frontier %v, brute force %v", got, b.frontier)
	}
	for i := 1; i < len(r.Pareto); i++ {
		if r.Pareto[i].ExactWelfare().Cmp(r.Pareto[i-1].ExactWelfare()) > 0 {
			t.Fatalf("frontier not sorted by welfare at %d", i)
		}
	}
	// Every rational outcome is dominated by or equal to a frontier point.
	for _, k := range b.rational {
		u := b.us[k]
		if _, on := got[key(u)]; on {
			continue
		}
		if !slices.ContainsFunc(r.Pareto, func(p Point) bool { return dom(p.Exact, u) }) {
			t.Fatalf("rational outcome %d %s is neither on nor below the frontier", k, key(u))
		}
	}
	var rationalVecs, frontierVecs [][]*big.Rat
	for _, k := range b.rational {
		rationalVecs = append(rationalVecs, b.us[k])
	}
	for _, p := range r.Pareto {
		frontierVecs = append(frontierVecs, p.Exact)
	}
	sub := func(a, b *big.Rat) *big.Rat { return new(big.Rat).Sub(a, b) }
	nash := func(u []*big.Rat) *big.Rat {
		p := big.NewRat(1, 1)
		for i := range u {
			p.Mul(p, sub(u[i], b.d[i]))
		}
		return p
	}
	egal := func(u []*big.Rat) *big.Rat {
		var m *big.Rat
		for i := range u {
			if g := sub(u[i], b.d[i]); m == nil || g.Cmp(m) < 0 {
				m = g
			}
		}
		return m
	}
	welfare := func(u []*big.Rat) *big.Rat {
		s := new(big.Rat)
		for _, x := range u {
			s.Add(s, x)
		}
		return s
	}
	ks := func(u []*big.Rat) *big.Rat {
		var lo, hi *big.Rat
		for i := range u {
			g := big.NewRat(1, 1)
			if b.max[i].Cmp(b.d[i]) > 0 {
				g = new(big.Rat).Quo(sub(u[i], b.d[i]), sub(b.max[i], b.d[i]))
			}
			if lo == nil || g.Cmp(lo) < 0 {
				lo = g
			}
			if hi == nil || g.Cmp(hi) > 0 {
				hi = g
			}
		}
		return sub(lo, hi)
	}
	for _, c := range []struct {
		name  string
		pts   []Point
		score func([]*big.Rat) *big.Rat
		over  [][]*big.Rat
	}{
		{"nash", r.Nash, nash, rationalVecs},
		{"egalitarian", r.Egalitarian, egal, rationalVecs},
		{"welfare", r.MaxWelfare, welfare, rationalVecs},
		{"kalai-smorodinsky", r.KalaiSmorodinsky, ks, frontierVecs},
	} {
		if len(b.rational) == 0 {
			if len(c.pts) != 0 {
				t.Fatalf("%s: points with no rational outcome", c.name)
			}
			continue
		}
		var best *big.Rat
		for _, u := range c.over {
			if s := c.score(u); best == nil || s.Cmp(best) > 0 {
				best = s
			}
		}
		want := map[string]bool{}
		for _, u := range frontierVecs {
			if c.score(u).Cmp(best) == 0 {
				want[key(u)] = true
			}
		}
		gotPts := map[string]bool{}
		for _, p := range c.pts {
			gotPts[key(p.Exact)] = true
		}
		if len(want) == 0 || fmt.Sprint(sortedKeys(want)) != fmt.Sprint(sortedKeys(gotPts)) || len(c.pts) != len(gotPts) {
			t.Fatalf("%s: points %v, want every frontier point scoring the optimum %v: %v", c.name, sortedKeys(gotPts), best, sortedKeys(want))
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestAnalyzeMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 5).Draw(t, "parties")
		sc := randomScenario(t, n)
		// Small blocks make the scan cross block boundaries.
		defer func(b int) { blockTarget = b }(blockTarget)
		blockTarget = rapid.SampledFrom([]int{1, 2, 5, 1 << 14}).Draw(t, "blockTarget")
		checkAgainstBrute(t, sc, Options{IgnoreReservation: rapid.Bool().Draw(t, "ignoreReservation"), Method: Enumerate})
	})
}

// TestLargerTwoPartySpaces checks the two-party bucket filter on spaces of a
// few thousand outcomes against the pairwise brute force.
func TestLargerTwoPartySpaces(t *testing.T) {
	defer func(b int) { blockTarget = b }(blockTarget)
	for seed := uint64(1); seed <= 4; seed++ {
		sc := linearScenarioOpposed(2, 4, 5, seed, seed%2 == 0)
		for _, bt := range []int{7, 1 << 14} {
			blockTarget = bt
			checkAgainstBrute(t, sc, Options{Method: Enumerate})
		}
	}
}

// TestMergeMatchesBruteForce checks the issue-by-issue merge against the
// brute force on random linear and spatial scenarios.
func TestMergeMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 4).Draw(t, "parties")
		sc := randomScenarioKinds(t, n, 1)
		checkAgainstBrute(t, sc, Options{IgnoreReservation: rapid.Bool().Draw(t, "ignoreReservation"), Method: Merge})
	})
}

// TestIssueOrderInvariance: reordering the issues changes no frontier
// utility vector, count, or fair point.
func TestIssueOrderInvariance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 3).Draw(t, "parties")
		sc := randomScenarioKinds(t, n, 1)
		perm := rapid.Permutation(sc.Issues).Draw(t, "order")
		sc2 := *sc
		sc2.Issues = perm
		method := rapid.SampledFrom([]Method{Enumerate, Merge}).Draw(t, "method")
		a, err := Analyze(sc, Options{Method: method})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Analyze(&sc2, Options{Method: method})
		if err != nil {
			t.Fatal(err)
		}
		summary := func(r *Result) string {
			var s []string
			for _, pts := range [][]Point{r.Pareto, r.Nash, r.KalaiSmorodinsky, r.Egalitarian, r.MaxWelfare} {
				var keys []string
				for _, p := range pts {
					keys = append(keys, key(p.Exact)+"×"+p.Count.String())
				}
				slices.Sort(keys)
				s = append(s, strings.Join(keys, " "))
			}
			return strings.Join(s, " | ")
		}
		if x, y := summary(a), summary(b); x != y {
			t.Fatalf("issue order changes the analysis:\n%s\n%s", x, y)
		}
	})
}

// TestMergeEqualsEnumerate compares both methods on spaces of thousands of
// outcomes, too large for the pairwise brute force.
func TestMergeEqualsEnumerate(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		for _, parties := range []int{2, 3} {
			sc := linearScenarioOpposed(parties, 5, 6, seed, seed%2 == 0)
			a, err := Analyze(sc, Options{Method: Enumerate})
			if err != nil {
				t.Fatal(err)
			}
			b, err := Analyze(sc, Options{Method: Merge})
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Pareto) != len(b.Pareto) || len(a.Pareto) == 0 {
				t.Fatalf("seed %d: enumerate finds %d points, merge %d", seed, len(a.Pareto), len(b.Pareto))
			}
			for i := range a.Pareto {
				pa, pb := a.Pareto[i], b.Pareto[i]
				if key(pa.Exact) != key(pb.Exact) || pa.Count.Cmp(pb.Count) != 0 || pa.Index.Cmp(pb.Index) != 0 {
					t.Fatalf("seed %d point %d: enumerate %s ×%v at %v, merge %s ×%v at %v", seed, i,
						key(pa.Exact), pa.Count, pa.Index, key(pb.Exact), pb.Count, pb.Index)
				}
			}
			if math.Abs(a.Opposition-b.Opposition) > 1e-12 {
				t.Fatalf("seed %d: opposition %v vs %v", seed, a.Opposition, b.Opposition)
			}
		}
	}
}
