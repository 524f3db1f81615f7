package negotiator

import (
	"math"

	"parley/negotiation"
)

// FrequencyModel is a HardHeaded-like agent (van Krimpen, Looije & Hajizadeh,
// ANAC 2011 winner): a Boulware concession (e = 0.1 by default) plus a
// frequency model of the opponents. An issue whose value the opponents
// rarely change is important to them (its weight grows by 0.1 each time
// their value stays, then weights are normalised); values they offer often
// are preferred (value score = count / highest count). Among the Window
// outcomes nearest above its target it offers the one the model rates best
// for the opponents. It accepts by AC_next.
type FrequencyModel struct {
	// E is the concession exponent; 0 means 0.1.
	E float64
	// Window is the number of candidate outcomes; 0 means 20.
	Window int
	td     TimeDependent
	weight []float64
	counts [][]float64
	top    []float64
	last   []int
	has    bool
}

// Init implements negotiation.Negotiator.
func (a *FrequencyModel) Init(s *negotiation.Setup) error {
	e := a.E
	if e == 0 {
		e = 0.1
	}
	a.td = TimeDependent{E: e}
	if err := a.td.Init(s); err != nil {
		return err
	}
	sp := s.Public.Space
	k := sp.Issues()
	a.weight, a.counts, a.top = make([]float64, k), make([][]float64, k), make([]float64, k)
	for i := range a.weight {
		a.weight[i] = 1 / float64(k)
		a.counts[i] = make([]float64, sp.Card(i))
	}
	a.last, a.has = make([]int, k), false
	return nil
}

// Opponent returns the model's estimate of the opponents' utility of o, in
// [0, 1].
func (a *FrequencyModel) Opponent(o []int) float64 {
	u := 0.0
	for i, v := range o {
		if a.top[i] > 0 {
			u += a.weight[i] * a.counts[i][v] / a.top[i]
		}
	}
	return u
}

func (a *FrequencyModel) learn(o []int) {
	if a.has {
		sum := 0.0
		for i, v := range o {
			if a.last[i] == v {
				a.weight[i] += 0.1
			}
			sum += a.weight[i]
		}
		for i := range a.weight {
			a.weight[i] /= sum
		}
	}
	for i, v := range o {
		a.counts[i][v]++
		a.top[i] = math.Max(a.top[i], a.counts[i][v])
	}
	copy(a.last, o)
	a.has = true
}

// Propose implements negotiation.Negotiator.
func (a *FrequencyModel) Propose(st *negotiation.State) ([]int, error) {
	b := a.td.bids
	end := b.AtLeast(a.td.Target(st.T))
	w := a.Window
	if w == 0 {
		w = 20
	}
	if !a.has {
		return b.Outcome(end), nil
	}
	best, bestU := end, -1.0
	for i := end; i >= 0 && i > end-w; i-- {
		if u := a.Opponent(b.Outcome(i)); u > bestU {
			best, bestU = i, u
		}
	}
	return b.Outcome(best), nil
}

// Respond implements negotiation.Negotiator.
func (a *FrequencyModel) Respond(st *negotiation.State, offer []int) (negotiation.Response, error) {
	if st.Proposer >= 0 {
		a.learn(offer)
	}
	return a.td.Respond(st, offer)
}
