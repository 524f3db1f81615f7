// Package analysis answers the broker's first questions about a scenario:
// which outcomes every participant prefers to walking away (the zone of
// possible agreement), the Pareto frontier of those outcomes, and the fair
// points on it (Nash, Kalai–Smorodinsky, egalitarian, maximum welfare).
//
// Analysis is exact over the finite outcome space (real issues on their
// grid): it evaluates every outcome. docs/analysis.md gives the definitions
// and tie rules.
package analysis

import (
	"fmt"
	"math"

	"parley"
	"parley/scenario"
	"parley/space"
	"parley/utility"
)

// DefaultMaxCells bounds the work of one analysis: outcomes × participants.
// Analysis streams over the space, so memory does not grow with it; the
// bound keeps the time of one analysis to seconds.
const DefaultMaxCells = 200_000_000

// Options tune an analysis.
type Options struct {
	// IgnoreReservation treats every participant as having no reservation
	// value: every outcome is rational.
	IgnoreReservation bool
	// MaxCells refuses spaces with more than MaxCells outcomes ×
	// participants; 0 means DefaultMaxCells.
	MaxCells int64
}

// Point is one point of utility space and the outcomes behind it.
type Point struct {
	// Outcome is the outcome with the smallest index among those with
	// these utilities (value indices per issue).
	Outcome []int
	// Index is Outcome's index in the space.
	Index int64
	// Utilities are the participants' utilities, in participant order.
	Utilities []float64
	// Count is the number of rational outcomes with exactly these utilities.
	Count int64
}

// Welfare returns the sum of the point's utilities.
func (p *Point) Welfare() float64 {
	s := 0.0
	for _, u := range p.Utilities {
		s += u
	}
	return s
}

// Result is the analysis of one scenario.
type Result struct {
	Scenario string
	// Parties are the participants' names, in file order; every utility
	// vector follows this order.
	Parties []string
	// Outcomes is the size of the space; Rational the number of outcomes
	// every participant weakly prefers to its reservation value.
	Outcomes int64
	Rational int64
	// Reservation holds each participant's reservation value, or nil for
	// none (or when ignored).
	Reservation []*float64
	// Min and Max are each participant's exact utility range over the whole
	// space; Disagreement is max(reservation, min).
	Min, Max, Disagreement []float64
	// Pareto is the frontier of the rational outcomes, one point per
	// distinct utility vector, sorted by welfare (highest first), ties by
	// utilities in lexicographic order (highest first).
	Pareto []Point
	// The fair points, each a list of every frontier point that ties for
	// the optimum, in frontier order. Empty when no outcome is rational.
	Nash, KalaiSmorodinsky, Egalitarian, MaxWelfare []Point
	// Opposition is the distance from the ideal point (every party at its
	// maximum) to the closest outcome, with each party's utility normalised
	// to [0, 1] over its range and the distance divided by √n, so 0 means
	// some outcome gives everyone its best and 1 the most opposed.
	Opposition float64
}

// Analyze analyses a scenario's participants over its outcome space.
func Analyze(sc *scenario.Scenario, opts Options) (*Result, error) {
	profiles, err := utility.Participants(sc)
	if err != nil {
		return nil, fmt.Errorf("analyze %q: %w", sc.Name, err)
	}
	sp, err := space.Of(sc)
	if err != nil {
		return nil, err
	}
	r, err := AnalyzeProfiles(sp, profiles, opts)
	if err != nil {
		return nil, fmt.Errorf("analyze %q: %w", sc.Name, err)
	}
	r.Scenario = sc.Name
	return r, nil
}

// AnalyzeProfiles analyses the given participant profiles over sp.
func AnalyzeProfiles(sp *space.Space, profiles []*utility.Profile, opts Options) (*Result, error) {
	n := len(profiles)
	if n == 0 {
		return nil, parley.Errorf(parley.EINVALID, "no participants to analyse")
	}
	size, ok := sp.Len()
	limit := opts.MaxCells
	if limit <= 0 {
		limit = DefaultMaxCells
	}
	if !ok || size > limit/int64(n) || size > math.MaxInt32 {
		return nil, parley.Errorf(parley.EUNSUPPORTED,
			"the space has %s outcomes; exact analysis by enumeration handles at most %d outcomes for %d participants",
			sp.BigLen().String(), limit/int64(n), n)
	}
	r := &Result{
		Outcomes:     size,
		Parties:      make([]string, n),
		Reservation:  make([]*float64, n),
		Min:          make([]float64, n),
		Max:          make([]float64, n),
		Disagreement: make([]float64, n),
	}
	res := make([]float64, n)
	for i, p := range profiles {
		r.Parties[i] = p.Name
		r.Min[i], r.Max[i] = p.Func.Range()
		res[i] = math.Inf(-1)
		if p.HasReservation && !opts.IgnoreReservation {
			v := p.Reservation
			r.Reservation[i] = &v
			res[i] = v
		}
		r.Disagreement[i] = math.Max(res[i], r.Min[i])
	}
	sc := newScan(sp, profiles)
	acc := newAccumulator(r.Min, r.Max, res, size)
	sc.each(acc.add)
	r.Opposition = math.Sqrt(acc.opp) / math.Sqrt(float64(n))
	r.Rational = acc.rational
	if n == 2 {
		r.Pareto = frontier2(sp, sc, acc)
	} else {
		r.Pareto = frontierN(sp, n, acc.candIdx, acc.candU)
	}
	sortPoints(r.Pareto)
	r.fairPoints()
	return r, nil
}

// scan walks a space block by block: a block is every outcome sharing the
// values of the first m issues, small enough to stay in cache. Utilities are
// computed per block, so memory does not grow with the space.
type scan struct {
	sp       *space.Space
	profiles []*utility.Profile
	m        int   // issues fixed per block
	blocks   int64 // number of blocks
	size     int   // outcomes per block
}

// blockTarget is the largest block the scan builds (when issues allow);
// a variable so tests can force many small blocks.
var blockTarget = 1 << 14

func newScan(sp *space.Space, profiles []*utility.Profile) *scan {
	s := &scan{sp: sp, profiles: profiles, m: sp.Issues(), blocks: 1, size: 1}
	for s.m > 0 && (s.size*sp.Card(s.m-1) <= blockTarget || s.size == 1) {
		s.m--
		s.size *= sp.Card(s.m)
	}
	for i := 0; i < s.m; i++ {
		s.blocks *= int64(sp.Card(i))
	}
	return s
}

// each calls fn for every block with the index of its first outcome and the
// utilities of its outcomes per party (reused between calls).
func (s *scan) each(fn func(start int64, us [][]float64)) {
	us := make([][]float64, len(s.profiles))
	for i := range us {
		us[i] = make([]float64, s.size)
	}
	prefix := make([]int, s.m)
	for b := int64(0); b < s.blocks; b++ {
		for i, p := range s.profiles {
			utility.FillBlock(p.Func, s.sp, prefix, us[i])
		}
		fn(b*int64(s.size), us)
		for i := s.m - 1; i >= 0; i-- {
			prefix[i]++
			if prefix[i] < s.sp.Card(i) {
				break
			}
			prefix[i] = 0
		}
	}
}

// accumulator gathers, in one pass over the space, the opposition, the
// number of rational outcomes and what each frontier algorithm needs: for
// two parties the largest u₂ per u₁ bucket, for other counts the rational
// outcomes themselves.
type accumulator struct {
	lo, hi, res []float64
	n           int
	opp         float64 // smallest squared normalised distance to the ideal point
	rational    int64
	// two parties
	b2 *buckets
	// other counts: rational outcomes and their utilities, n per outcome
	candIdx []int64
	candU   []float64
}

func newAccumulator(lo, hi, res []float64, outcomes int64) *accumulator {
	a := &accumulator{lo: lo, hi: hi, res: res, n: len(lo), opp: math.Inf(1)}
	if a.n == 2 {
		a.b2 = newBuckets(lo[0], hi[0], outcomes)
	}
	return a
}

func (a *accumulator) add(start int64, us [][]float64) {
	n := a.n
	for k := range us[0] {
		d := 0.0
		ok := true
		for i := 0; i < n; i++ {
			u := us[i][k]
			if a.hi[i] > a.lo[i] {
				g := (a.hi[i] - u) / (a.hi[i] - a.lo[i])
				d += g * g
			}
			if u < a.res[i] {
				ok = false
			}
		}
		if d < a.opp {
			a.opp = d
		}
		if !ok {
			continue
		}
		a.rational++
		if n == 2 {
			a.b2.observe(us[0][k], us[1][k])
			continue
		}
		a.candIdx = append(a.candIdx, start+int64(k))
		for i := 0; i < n; i++ {
			a.candU = append(a.candU, us[i][k])
		}
	}
}
