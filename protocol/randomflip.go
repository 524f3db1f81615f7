package protocol

import (
	"math/rand/v2"

	"parley/negotiation"
)

// RandomFlip is GENIUS's RandomFlippingMediator: until some text is accepted
// by every party it proposes uniformly random texts; after that it takes the
// last text all accepted and changes one random issue to another random
// value. It uses no party's preferences.
type RandomFlip struct {
	pub *negotiation.Public
	rng *rand.Rand
	buf []int
}

// Init implements negotiation.Mediator; it ignores the profiles.
func (m *RandomFlip) Init(t *negotiation.Trusted) error {
	m.pub, m.rng = t.Public, t.Rand
	m.buf = make([]int, t.Public.Space.Issues())
	return nil
}

// Propose implements negotiation.Mediator.
func (m *RandomFlip) Propose(st *negotiation.State) ([]int, string, error) {
	sp := m.pub.Space
	if st.Accepted == nil {
		for i := range m.buf {
			m.buf[i] = m.rng.IntN(sp.Card(i))
		}
		return m.buf, "", nil
	}
	copy(m.buf, st.Accepted)
	var flippable []int
	for i := range m.buf {
		if sp.Card(i) > 1 {
			flippable = append(flippable, i)
		}
	}
	if len(flippable) == 0 {
		return m.buf, "", nil
	}
	i := flippable[m.rng.IntN(len(flippable))]
	v := m.rng.IntN(sp.Card(i) - 1)
	if v >= m.buf[i] {
		v++
	}
	m.buf[i] = v
	return m.buf, "", nil
}

// Learn implements negotiation.Mediator; the protocol keeps the accepted
// text.
func (m *RandomFlip) Learn(*negotiation.State, []int, []negotiation.Vote) error { return nil }
