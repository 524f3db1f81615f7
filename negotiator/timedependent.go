package negotiator

import (
	"math"

	"parley/negotiation"
)

// TimeDependent is the time-dependent family of Faratin, Sierra & Jennings
// (1998), as GENIUS's TimeDependentAgent: at relative time t it aims at
//
//	target(t) = Pmin + (Pmax − Pmin)·(1 − f(t)),  f(t) = k + (1 − k)·t^(1/e)
//
// with Pmax its best utility and Pmin the larger of its reservation value
// and its worst utility. It offers the outcome of lowest own utility at or
// above the target, and accepts by AC_next: an offer worth at least its own
// next offer. e = 0 never concedes.
type TimeDependent struct {
	// E is the concession exponent: < 1 Boulware, 1 linear, > 1 conceder,
	// 0 hardliner.
	E float64
	// K is the initial concession f(0), in [0, 1].
	K float64
	base
	// cached position of the target at time cacheT (targets are computed
	// once per round, not once per call).
	cacheT   float64
	cachePos int
}

// Boulware returns a time-dependent negotiator with e = 0.2 (concedes late).
func Boulware() *TimeDependent { return &TimeDependent{E: 0.2} }

// Linear returns a time-dependent negotiator with e = 1.
func Linear() *TimeDependent { return &TimeDependent{E: 1} }

// Conceder returns a time-dependent negotiator with e = 2 (concedes early).
func Conceder() *TimeDependent { return &TimeDependent{E: 2} }

// Hardliner returns a time-dependent negotiator with e = 0 (never concedes).
func Hardliner() *TimeDependent { return &TimeDependent{E: 0} }

// Init implements negotiation.Negotiator.
func (a *TimeDependent) Init(s *negotiation.Setup) error {
	a.cacheT = math.NaN()
	return a.init(s, true)
}

// next returns the position in the ordered bids of the outcome it offers at
// time t.
func (a *TimeDependent) next(t float64) int {
	if t != a.cacheT {
		a.cacheT, a.cachePos = t, a.bids.AtLeast(a.Target(t))
	}
	return a.cachePos
}

// Target returns the utility aimed at at relative time t.
func (a *TimeDependent) Target(t float64) float64 {
	f := a.K
	if a.E > 0 {
		switch {
		case t <= 0:
		case t >= 1:
			f = 1
		case a.E == 1:
			f = a.K + (1-a.K)*t
		default:
			f = a.K + (1-a.K)*math.Pow(t, 1/a.E)
		}
	}
	return a.floor + (a.hi-a.floor)*(1-f)
}

// Propose implements negotiation.Negotiator.
func (a *TimeDependent) Propose(st *negotiation.State) ([]int, error) {
	return a.bids.Outcome(a.next(st.T)), nil
}

// Respond implements negotiation.Negotiator with AC_next.
func (a *TimeDependent) Respond(st *negotiation.State, offer []int) (negotiation.Response, error) {
	return a.acNext(offer, a.bids.Utility(a.next(st.T))), nil
}
