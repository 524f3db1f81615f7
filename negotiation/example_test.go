package negotiation_test

import (
	"fmt"

	"parley/negotiation"
	"parley/negotiator"
	"parley/negotiator/negotiatortest"
	"parley/protocol"
	"parley/utility"
)

// Halfway is a user-written negotiator: it demands its best outcome until
// half the time has passed, then anything worth at least the midpoint of
// its utility range (never below its reservation value). It sees only its
// own profile (Setup.Profile) and the public view (Setup.Public).
type Halfway struct {
	own  *utility.Profile
	best []int
	mid  float64
}

// Init keeps the negotiator's own profile and finds its best outcome.
func (h *Halfway) Init(s *negotiation.Setup) error {
	h.own = s.Profile
	lo, hi := s.Profile.Func.Range()
	h.mid = (lo + hi) / 2
	if s.Profile.HasReservation && s.Profile.Reservation > h.mid {
		h.mid = s.Profile.Reservation
	}
	it := s.Public.Space.Iter()
	for it.Next() {
		if h.best == nil || h.own.Func.Utility(it.Outcome()) > h.own.Func.Utility(h.best) {
			h.best = append(h.best[:0], it.Outcome()...)
		}
	}
	return nil
}

// Propose always offers the best outcome.
func (h *Halfway) Propose(*negotiation.State) ([]int, error) { return h.best, nil }

// Respond accepts the best outcome at any time, and after t = ½ anything
// worth at least the midpoint.
func (h *Halfway) Respond(st *negotiation.State, offer []int) (negotiation.Response, error) {
	u := h.own.Func.Utility(offer)
	if u >= h.own.Func.Utility(h.best) || (st.T >= 0.5 && u >= h.mid) {
		return negotiation.Accept, nil
	}
	return negotiation.Reject, nil
}

// A user-written negotiator against a library one, under SAOP.
func Example() {
	sc, err := negotiatortest.Scenario("bilateral")
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := negotiation.Run(negotiation.Config{
		Scenario:    sc,
		Protocol:    protocol.SAOP{},
		Negotiators: []negotiation.Negotiator{&Halfway{}, negotiator.Conceder()},
		Rounds:      50,
		Seed:        1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status, "in round", res.Rounds, "on", res.Agreement)
	// Output: agreement in round 26 on [6 2 8]
}
