package negotiator

import (
	"math"

	"parley/negotiation"
)

// TitForTat is the naive relative tit-for-tat of Faratin, Sierra & Jennings
// (1998) as in NegMAS's NaiveTitForTatNegotiator: it concedes, as a share of
// its own possible concession (Pmax − Pmin), the share the opponents have
// conceded measured in its own utility — from their first offer u₀ to their
// best offer so far u*: c = (u* − u₀)/(Pmax − u₀). It starts at its best
// outcome, never goes below Pmin (reservation or worst utility), and accepts
// by AC_next.
type TitForTat struct {
	base
	first, best float64
	seen        bool
}

// Init implements negotiation.Negotiator.
func (a *TitForTat) Init(s *negotiation.Setup) error {
	a.seen, a.first, a.best = false, 0, math.Inf(-1)
	return a.init(s, true)
}

func (a *TitForTat) target() float64 {
	if !a.seen || a.hi <= a.first {
		return a.hi
	}
	c := (a.best - a.first) / (a.hi - a.first)
	c = math.Max(0, math.Min(1, c))
	return a.hi - (a.hi-a.floor)*c
}

// Propose implements negotiation.Negotiator.
func (a *TitForTat) Propose(*negotiation.State) ([]int, error) {
	return a.bids.Outcome(a.bids.AtLeast(a.target())), nil
}

// Respond implements negotiation.Negotiator.
func (a *TitForTat) Respond(_ *negotiation.State, offer []int) (negotiation.Response, error) {
	u := a.u(offer)
	if !a.seen {
		a.first, a.seen = u, true
	}
	a.best = math.Max(a.best, u)
	return a.acNext(offer, a.bids.Utility(a.bids.AtLeast(a.target()))), nil
}
