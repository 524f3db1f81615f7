package negotiator

import "parley/negotiation"

// Random offers a uniformly random outcome among those it values at least
// at its reservation value, and accepts any such outcome with probability
// AcceptProb (default 0.5). It is the baseline of ANAC and NegMAS
// tournaments.
type Random struct {
	// AcceptProb is the probability of accepting an acceptable offer; 0
	// means 0.5.
	AcceptProb float64
	base
	n int // bids worth at least the floor
}

// Init implements negotiation.Negotiator.
func (a *Random) Init(s *negotiation.Setup) error {
	if err := a.init(s, true); err != nil {
		return err
	}
	a.n = max(a.bids.Above(a.floor), 1)
	return nil
}

// Propose implements negotiation.Negotiator.
func (a *Random) Propose(*negotiation.State) ([]int, error) {
	return a.bids.Outcome(a.rng.IntN(a.n)), nil
}

// Respond implements negotiation.Negotiator.
func (a *Random) Respond(_ *negotiation.State, offer []int) (negotiation.Response, error) {
	p := a.AcceptProb
	if p == 0 {
		p = 0.5
	}
	if a.rational(a.u(offer)) && a.rng.Float64() < p {
		return negotiation.Accept, nil
	}
	return negotiation.Reject, nil
}
