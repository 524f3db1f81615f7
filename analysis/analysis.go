// Package analysis answers the broker's first questions about a scenario:
// which outcomes every participant prefers to walking away (the zone of
// possible agreement), the Pareto frontier of those outcomes, and the fair
// points on it (Nash, Kalai–Smorodinsky, egalitarian, maximum welfare).
//
// Analysis is exact: floats only speed things up, and every comparison
// that decides rationality, dominance, a duplicate or a tie is made in exact
// arithmetic (see docs/analysis.md). Two methods give the same answers:
// enumeration of every outcome (any kind of preferences), and an
// issue-by-issue Pareto merge for linear additive preferences, whose cost
// follows the frontier instead of the space.
package analysis

import (
	"fmt"
	"math/big"

	"parley"
	"parley/scenario"
	"parley/space"
	"parley/utility"
)

// DefaultMaxCells bounds the work of one enumeration: outcomes ×
// participants. Enumeration streams over the space, so memory does not grow
// with it; the bound keeps its time to seconds.
const DefaultMaxCells = 200_000_000

// Method is how the frontier is found.
type Method string

// Methods.
const (
	Auto      Method = ""          // merge when every participant is additive and the space is large, else enumerate
	Enumerate Method = "enumerate" // evaluate every outcome
	Merge     Method = "merge"     // issue-by-issue Pareto merge (additive preferences only)
)

// autoMergeAbove is the space size above which Auto merges.
const autoMergeAbove = 100_000

// Options tune an analysis.
type Options struct {
	// IgnoreReservation treats every participant as having no reservation
	// value: every outcome is rational.
	IgnoreReservation bool
	// MaxCells refuses enumerations of more than MaxCells outcomes ×
	// participants; 0 means DefaultMaxCells.
	MaxCells int64
	// Method forces a method; Auto chooses.
	Method Method
}

// Point is one point of utility space and the outcomes behind it.
type Point struct {
	// Outcome is the lexicographically smallest outcome (equivalently, the
	// one with the smallest index) among those with these utilities.
	Outcome []int
	// Index is Outcome's index in the space.
	Index *big.Int
	// Utilities are the participants' utilities, in participant order,
	// rounded to the nearest float64.
	Utilities []float64
	// Exact are the same utilities, exactly.
	Exact []*big.Rat
	// Count is the number of rational outcomes with exactly these utilities.
	Count *big.Int
}

// Welfare returns the sum of the point's utilities (in float64).
func (p *Point) Welfare() float64 {
	s := 0.0
	for _, u := range p.Utilities {
		s += u
	}
	return s
}

// ExactWelfare returns the exact sum of the point's utilities.
func (p *Point) ExactWelfare() *big.Rat {
	s := new(big.Rat)
	for _, u := range p.Exact {
		s.Add(s, u)
	}
	return s
}

// Result is the analysis of one scenario.
type Result struct {
	Scenario string
	// Method is the method used: "enumerate" or "merge".
	Method Method
	// Parties are the participants' names, in file order; every utility
	// vector follows this order.
	Parties []string
	// Outcomes is the exact size of the space.
	Outcomes *big.Int
	// Rational is the number of outcomes every participant weakly prefers
	// to its reservation value; −1 when the method does not count them
	// (merge) or the count exceeds int64 (see RationalBig).
	Rational int64
	// RationalBig is the same count exactly; nil when not counted.
	RationalBig *big.Int
	// Reservation holds each participant's reservation value, or nil for
	// none (or when ignored).
	Reservation []*float64
	// Min and Max are each participant's exact utility range over the whole
	// space; Disagreement is max(reservation, min). Rounded to float64;
	// the Exact fields hold them exactly.
	Min, Max, Disagreement                []float64
	ExactMin, ExactMax, ExactDisagreement []*big.Rat
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
	additive := true
	for _, p := range profiles {
		if _, ok := p.Func.(*utility.Additive); !ok {
			additive = false
		}
	}
	method := opts.Method
	if method == Auto {
		method = Enumerate
		if additive && (sp.BigLen().Cmp(big.NewInt(autoMergeAbove)) > 0) {
			method = Merge
		}
	}
	var c *cells
	switch method {
	case Enumerate:
		// Refuse before any costly preparation.
		c = newCells(sp, profiles)
		if err := c.check(opts, n); err != nil {
			return nil, err
		}
	case Merge:
		if !additive {
			return nil, parley.Errorf(parley.EUNSUPPORTED, "the merge method needs linear additive (linear or spatial) preferences for every participant")
		}
	default:
		return nil, parley.Errorf(parley.EINVALID, "unknown method %q: want enumerate or merge", method)
	}
	parties := make([]*party, n)
	for i, p := range profiles {
		pt, err := newParty(p, opts.IgnoreReservation)
		if err != nil {
			return nil, err
		}
		parties[i] = pt
	}
	r := &Result{
		Outcomes:          sp.BigLen(),
		Parties:           make([]string, n),
		Reservation:       make([]*float64, n),
		Min:               make([]float64, n),
		Max:               make([]float64, n),
		Disagreement:      make([]float64, n),
		ExactMin:          make([]*big.Rat, n),
		ExactMax:          make([]*big.Rat, n),
		ExactDisagreement: make([]*big.Rat, n),
	}
	for i, p := range parties {
		r.Parties[i] = p.prof.Name
		r.ExactMin[i], r.ExactMax[i], r.ExactDisagreement[i] = p.min, p.max, p.d
		r.Min[i], _ = p.min.Float64()
		r.Max[i], _ = p.max.Float64()
		r.Disagreement[i], _ = p.d.Float64()
		if p.hasRes {
			v := p.prof.Reservation
			r.Reservation[i] = &v
		}
	}
	var err error
	if method == Enumerate {
		err = enumerate(r, c, parties)
	} else {
		err = merge(r, sp, parties)
	}
	if err != nil {
		return nil, err
	}
	r.Method = method
	sortPoints(r.Pareto)
	r.fairPoints()
	return r, nil
}

// points turns candidates of v (the frontier's representatives) into
// points, with their counts.
func points(c *cells, v *vectors, reps []int, counts []*big.Int) []Point {
	pts := make([]Point, len(reps))
	for j, a := range reps {
		pts[j] = c.point(v, a, counts[j])
	}
	return pts
}
