package protocol

import (
	"parley"
	"parley/negotiation"
)

// Broker is a placeholder.
type Broker struct{}

// Init implements negotiation.Mediator.
func (b *Broker) Init(t *negotiation.Trusted) error {
	return parley.Errorf(parley.EUNSUPPORTED, "broker not yet implemented")
}

// Propose implements negotiation.Mediator.
func (b *Broker) Propose(st *negotiation.State) ([]int, string, error) { return nil, "", nil }

// Learn implements negotiation.Mediator.
func (b *Broker) Learn(*negotiation.State, []int, []negotiation.Vote) error { return nil }
