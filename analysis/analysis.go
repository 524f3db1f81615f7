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
// At 8 bytes per utility it keeps memory near 400 MB.
const DefaultMaxCells = 50_000_000

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
	us := make([][]float64, n)
	for i, p := range profiles {
		us[i] = make([]float64, size)
		utility.Fill(p.Func, sp, us[i])
	}
	r.Opposition = opposition(us, r.Min, r.Max)
	rational := rationalSet(us, res)
	r.Rational = int64(len(rational))
	r.Pareto = frontier(sp, us, rational)
	r.fairPoints()
	return r, nil
}

// rationalSet returns the indices of the outcomes where every utility is at
// least the reservation value.
func rationalSet(us [][]float64, res []float64) []int32 {
	size := len(us[0])
	out := make([]int32, 0, size)
	for k := 0; k < size; k++ {
		ok := true
		for i := range us {
			if us[i][k] < res[i] {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, int32(k))
		}
	}
	return out
}

func opposition(us [][]float64, lo, hi []float64) float64 {
	n := len(us)
	best := math.Inf(1)
	for k := range us[0] {
		d := 0.0
		for i := 0; i < n; i++ {
			if hi[i] > lo[i] {
				g := (hi[i] - us[i][k]) / (hi[i] - lo[i])
				d += g * g
			}
		}
		best = math.Min(best, d)
	}
	return math.Sqrt(best) / math.Sqrt(float64(n))
}
