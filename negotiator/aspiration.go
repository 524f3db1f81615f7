package negotiator

import (
	"math"

	"parley/negotiation"
)

// Aspiration follows an exponential aspiration curve, as NegMAS's
// AspirationNegotiator family:
//
//	asp(t) = Pmin + (Pmax − Pmin)·(1 − (e^{βt} − 1)/(e^β − 1))
//
// (β > 0 concedes late, β < 0 early; default β = 3). It offers a random
// outcome among those worth between asp(t) and asp(t) + 5% of its range
// (the nearest above when none is), and accepts any offer worth at least
// asp(t).
type Aspiration struct {
	// Beta shapes the curve; 0 means 3.
	Beta float64
	base
}

// Init implements negotiation.Negotiator.
func (a *Aspiration) Init(s *negotiation.Setup) error { return a.init(s, true) }

// Target returns asp(t).
func (a *Aspiration) Target(t float64) float64 {
	b := a.Beta
	if b == 0 {
		b = 3
	}
	f := (math.Exp(b*t) - 1) / (math.Exp(b) - 1)
	return a.floor + (a.hi-a.floor)*(1-f)
}

// Propose implements negotiation.Negotiator.
func (a *Aspiration) Propose(st *negotiation.State) ([]int, error) {
	asp := a.Target(st.T)
	top := asp + 0.05*(a.hi-a.floor)
	lo := a.bids.AtLeast(asp)
	start := 0
	if i := a.bids.AtLeast(top); a.bids.Utility(i) >= top {
		start = i + 1
	}
	if start > lo {
		start = lo
	}
	return a.bids.Outcome(start + a.rng.IntN(lo-start+1)), nil
}

// Respond implements negotiation.Negotiator.
func (a *Aspiration) Respond(st *negotiation.State, offer []int) (negotiation.Response, error) {
	return a.acNext(offer, a.Target(st.T)), nil
}
