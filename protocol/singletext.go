package protocol

import (
	"parley/negotiation"
)

// SingleText is the mediated single text protocol (GENIUS "Simple Mediator
// Based Protocol"): each round the mediator proposes a text, every party
// votes accept or reject (in party order), and the mediator learns the
// votes. A text all accept becomes the accepted text, shown to parties as
// State.Accepted. Without Broker, the session runs to its deadline and the
// agreement is the last text all accepted (none: timed out); with Broker, it
// ends in agreement on the first text all accept.
type SingleText struct {
	// Broker stops at the first text all parties accept.
	Broker bool
}

// Name implements negotiation.Protocol.
func (p SingleText) Name() string {
	if p.Broker {
		return "broker"
	}
	return "singletext"
}

// Mediated implements negotiation.Protocol.
func (SingleText) Mediated() bool { return true }

// Run implements negotiation.Protocol.
func (p SingleText) Run(s *negotiation.Session) {
	for s.NextRound() {
		text, ok := s.MediatorPropose()
		if !ok {
			return
		}
		votes, ok := s.Vote(text)
		if !ok {
			return
		}
		all := true
		for _, v := range votes {
			if v.Response != negotiation.Accept {
				all = false
			}
		}
		if all {
			s.SetAccepted(text)
			if p.Broker {
				s.Agree(text)
				return
			}
		}
		if !s.MediatorLearn(text, votes) {
			return
		}
	}
	s.AgreeOnAccepted()
}
