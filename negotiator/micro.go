package negotiator

import (
	"parley/negotiation"
)

// MiCRO is de Jonge's MiCRO (2022): it proposes its outcomes in descending
// order of own utility (only those worth at least its reservation value),
// but makes a new proposal only when the opponents have made at least as
// many distinct offers as it has; otherwise it repeats a random one of its
// earlier proposals. It accepts any offer worth at least the worst outcome
// it has proposed or would propose next.
type MiCRO struct {
	base
	made     int    // distinct proposals made: bids 0..made-1
	limit    int    // bids worth at least the reservation value
	received int    // distinct offers received
	seen     []bool // by space index
}

// Init implements negotiation.Negotiator.
func (a *MiCRO) Init(s *negotiation.Setup) error {
	if err := a.init(s, true); err != nil {
		return err
	}
	a.made, a.received = 0, 0
	a.limit = max(a.bids.Above(a.floor), 1)
	a.seen = make([]bool, a.bids.Len())
	return nil
}

// ready reports whether MiCRO will make a new proposal.
func (a *MiCRO) ready() bool { return a.made < a.limit && a.received >= a.made }

// Propose implements negotiation.Negotiator.
func (a *MiCRO) Propose(*negotiation.State) ([]int, error) {
	if a.ready() || a.made == 0 {
		a.made++
		return a.bids.Outcome(a.made - 1), nil
	}
	return a.bids.Outcome(a.rng.IntN(a.made)), nil
}

// Respond implements negotiation.Negotiator.
func (a *MiCRO) Respond(_ *negotiation.State, offer []int) (negotiation.Response, error) {
	if k := a.pub.Space.Index(offer); !a.seen[k] {
		a.seen[k] = true
		a.received++
	}
	worst := 0
	if a.made > 0 {
		worst = a.made - 1
	}
	if a.ready() {
		worst = a.made
	}
	return a.acNext(offer, a.bids.Utility(worst)), nil
}
