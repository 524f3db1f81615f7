package negotiator

import (
	"math"

	"parley/negotiation"
)

// AgentK is Kawaguchi, Fujita & Ito's AgentK (ANAC 2010 winner). Working in
// its own utility normalised to [0, 1] over its range, it tracks the mean μ
// and variance σ² of the offers it receives and estimates the best it can
// get, e = μ + (1 − μ)·d with d = √(12σ²) (at most 1). Its target at time t
// is
//
//	p(t) = 1 − t^α·(1 − e),  α = 1 + τ + 10μ − 2τμ,  τ = 2 (the tremor)
//	target = r·p + 1 − r,    r = (d + 0.1)/(1 − p) capped at 2
//
// never below its reservation value. It offers a random outcome among the
// ten nearest above a bid target computed the same way with a randomised
// exponent β = α + τ·(u − ½), u uniform. It accepts an offer x (normalised)
// at or above its target; below it, with probability p = t^α/5 + (x −
// target) when p ≥ 0.1 (as the ANAC code); never below its reservation
// value.
type AgentK struct {
	base
	n, sum, sumSq float64
	alpha         float64
}

// Init implements negotiation.Negotiator.
func (a *AgentK) Init(s *negotiation.Setup) error {
	a.n, a.sum, a.sumSq = 0, 0, 0
	return a.init(s, true)
}

const agentKTremor = 2.0

// norm maps own utility to [0, 1]; denorm back.
func (a *AgentK) norm(u float64) float64 {
	lo := a.bids.Worst()
	if a.hi <= lo {
		return 1
	}
	return (u - lo) / (a.hi - lo)
}

func (a *AgentK) denorm(x float64) float64 {
	lo := a.bids.Worst()
	return lo + x*(a.hi-lo)
}

// targets returns the acceptance target and the bid target, normalised,
// and records α.
func (a *AgentK) targets(t float64) (accept, bid float64) {
	mean, dev := 0.0, 0.0
	if a.n > 0 {
		mean = a.sum / a.n
		v := a.sumSq/a.n - mean*mean
		dev = math.Min(1, math.Sqrt(math.Max(0, v)*12))
	}
	e := mean + (1-mean)*dev
	alpha := 1 + agentKTremor + 10*mean - 2*agentKTremor*mean
	beta := alpha + a.rng.Float64()*agentKTremor - agentKTremor/2
	f := func(exp float64) float64 {
		p := 1 - math.Pow(t, exp)*(1-e)
		r := 2.0
		if p < 1 {
			r = math.Min(2, (dev+0.1)/(1-p))
		}
		return math.Min(1, r*p+1-r)
	}
	floor := a.norm(a.floor)
	a.alpha = alpha
	return math.Max(floor, f(alpha)), math.Max(floor, f(beta))
}

// Propose implements negotiation.Negotiator.
func (a *AgentK) Propose(st *negotiation.State) ([]int, error) {
	_, bid := a.targets(st.T)
	end := a.bids.AtLeast(a.denorm(bid))
	start := max(0, end-9)
	return a.bids.Outcome(start + a.rng.IntN(end-start+1)), nil
}

// Respond implements negotiation.Negotiator.
func (a *AgentK) Respond(st *negotiation.State, offer []int) (negotiation.Response, error) {
	u := a.u(offer)
	if st.Proposer >= 0 {
		x := a.norm(u)
		a.n++
		a.sum += x
		a.sumSq += x * x
	}
	if !a.rational(u) {
		return negotiation.Reject, nil
	}
	target, _ := a.targets(st.T)
	x := a.norm(u)
	if x >= target {
		return negotiation.Accept, nil
	}
	p := math.Pow(st.T, a.alpha)/5 + (x - target)
	if p >= 0.1 && a.rng.Float64() < p {
		return negotiation.Accept, nil
	}
	return negotiation.Reject, nil
}
