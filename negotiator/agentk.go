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
// exponent β = α + τ·(u − ½), u uniform, and accepts an offer worth at
// least its target, or the best offer received so far once it is above
// the estimate e.
type AgentK struct {
	base
	n, sum, sumSq float64
	bestSeen      float64
}

// Init implements negotiation.Negotiator.
func (a *AgentK) Init(s *negotiation.Setup) error {
	a.n, a.sum, a.sumSq, a.bestSeen = 0, 0, 0, 0
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

// targets returns the acceptance target, the bid target and the estimate,
// in own (not normalised) utility.
func (a *AgentK) targets(t float64) (accept, bid, est float64) {
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
	accept = a.denorm(math.Max(floor, f(alpha)))
	bid = a.denorm(math.Max(floor, f(beta)))
	return accept, bid, a.denorm(e)
}

// Propose implements negotiation.Negotiator.
func (a *AgentK) Propose(st *negotiation.State) ([]int, error) {
	_, bid, _ := a.targets(st.T)
	end := a.bids.AtLeast(bid)
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
	acc, _, est := a.targets(st.T)
	good := u >= acc || (u >= est && u >= a.bestSeen)
	a.bestSeen = math.Max(a.bestSeen, u)
	if good && a.rational(u) {
		return negotiation.Accept, nil
	}
	return negotiation.Reject, nil
}
