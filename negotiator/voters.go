package negotiator

import (
	"math"

	"parley/negotiation"
)

// Threshold is a voter for mediated protocols (and a plain negotiator
// elsewhere): it accepts any outcome worth at least a falling threshold,
// the time-dependent target with exponent E (default 1, linear), and proposes like
// a time-dependent negotiator. After a rejection it names the issue on
// which the text costs it most (additive utilities only), for the broker.
type Threshold struct {
	// E is the concession exponent; 0 means 1 (linear).
	E  float64
	td TimeDependent
}

// Init implements negotiation.Negotiator.
func (a *Threshold) Init(s *negotiation.Setup) error {
	e := a.E
	if e == 0 {
		e = 1
	}
	a.td = TimeDependent{E: e}
	return a.td.Init(s)
}

// Propose implements negotiation.Negotiator.
func (a *Threshold) Propose(st *negotiation.State) ([]int, error) { return a.td.Propose(st) }

// Respond implements negotiation.Negotiator.
func (a *Threshold) Respond(st *negotiation.State, offer []int) (negotiation.Response, error) {
	return a.td.acNext(offer, a.td.Target(st.T)), nil
}

// Objection implements negotiation.Objector.
func (a *Threshold) Objection(_ *negotiation.State, text []int) int { return a.td.objection(text) }

// Truthful is a voter that accepts exactly the outcomes worth at least its
// reservation value (every outcome when it has none): it votes its true
// interest and never bluffs. It proposes its best outcome, and names the
// issue that costs it most after a rejection.
type Truthful struct{ base }

// Init implements negotiation.Negotiator.
func (a *Truthful) Init(s *negotiation.Setup) error { return a.init(s, true) }

// Propose implements negotiation.Negotiator.
func (a *Truthful) Propose(*negotiation.State) ([]int, error) { return a.bids.Outcome(0), nil }

// Respond implements negotiation.Negotiator.
func (a *Truthful) Respond(_ *negotiation.State, offer []int) (negotiation.Response, error) {
	if a.rational(a.u(offer)) {
		return negotiation.Accept, nil
	}
	return negotiation.Reject, nil
}

// Objection implements negotiation.Objector.
func (a *Truthful) Objection(_ *negotiation.State, text []int) int { return a.objection(text) }

// HillClimber is GENIUS's hill-climbing voter: it accepts a mediator's text
// when it is worth at least its reservation value and at least the last
// text every party accepted (any rational text when there is none yet).
// Offered to it by another party (SAOP, AMOP), it behaves as a linear
// time-dependent negotiator.
type HillClimber struct{ td TimeDependent }

// Init implements negotiation.Negotiator.
func (a *HillClimber) Init(s *negotiation.Setup) error {
	a.td = TimeDependent{E: 1}
	return a.td.Init(s)
}

// Propose implements negotiation.Negotiator.
func (a *HillClimber) Propose(st *negotiation.State) ([]int, error) { return a.td.Propose(st) }

// Respond implements negotiation.Negotiator.
func (a *HillClimber) Respond(st *negotiation.State, offer []int) (negotiation.Response, error) {
	if st.Proposer != negotiation.MediatorParty {
		return a.td.Respond(st, offer)
	}
	u := a.td.u(offer)
	if a.td.rational(u) && (st.Accepted == nil || u >= a.td.u(st.Accepted)) {
		return negotiation.Accept, nil
	}
	return negotiation.Reject, nil
}

// Annealer is GENIUS's simulated-annealing voter: like HillClimber, but it
// also accepts a text worse than the last accepted one by Δ with
// probability exp(−Δ/T), the temperature T = T0·(1 − t) falling to 0 at the
// deadline (T0 is 10% of its utility range by default). It never accepts
// below its reservation value.
type Annealer struct {
	// T0 is the initial temperature as a share of the utility range; 0
	// means 0.1.
	T0 float64
	td TimeDependent
}

// Init implements negotiation.Negotiator.
func (a *Annealer) Init(s *negotiation.Setup) error {
	a.td = TimeDependent{E: 1}
	return a.td.Init(s)
}

// Propose implements negotiation.Negotiator.
func (a *Annealer) Propose(st *negotiation.State) ([]int, error) { return a.td.Propose(st) }

// Respond implements negotiation.Negotiator.
func (a *Annealer) Respond(st *negotiation.State, offer []int) (negotiation.Response, error) {
	if st.Proposer != negotiation.MediatorParty {
		return a.td.Respond(st, offer)
	}
	u := a.td.u(offer)
	if !a.td.rational(u) {
		return negotiation.Reject, nil
	}
	if st.Accepted == nil {
		return negotiation.Accept, nil
	}
	d := a.td.u(st.Accepted) - u
	if d <= 0 {
		return negotiation.Accept, nil
	}
	t0 := a.T0
	if t0 == 0 {
		t0 = 0.1
	}
	temp := t0 * (a.td.hi - a.td.bids.Worst()) * (1 - st.T)
	if temp > 0 && a.td.rng.Float64() < math.Exp(-d/temp) {
		return negotiation.Accept, nil
	}
	return negotiation.Reject, nil
}
