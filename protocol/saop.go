package protocol

import "parley/negotiation"

// SAOP is the stacked alternating offers protocol (GENIUS, NegMAS), for two
// or more parties. Parties act in party order, one turn each per round. The
// first turn of the session may only offer (or end); every later turn
// responds to the offer on the table: Accept, or Reject followed by a
// counter-offer (which replaces the table and counts as its proposer's
// acceptance), or End. Agreement when every party other than the proposer
// has accepted the offer on the table in turn.
type SAOP struct{}

// Name implements negotiation.Protocol.
func (SAOP) Name() string { return "saop" }

// Mediated implements negotiation.Protocol.
func (SAOP) Mediated() bool { return false }

// Run implements negotiation.Protocol.
func (SAOP) Run(s *negotiation.Session) {
	n := s.Parties()
	table := make([]int, s.Public().Space.Issues())
	proposer, accepts := -1, 0
	for s.NextRound() {
		for i := 0; i < n; i++ {
			if proposer >= 0 {
				r, ok := s.Respond(i, table, proposer)
				if !ok {
					return
				}
				if r == negotiation.Accept {
					accepts++
					if accepts == n {
						s.Agree(table)
						return
					}
					continue
				}
			}
			o, ok := s.Propose(i)
			if !ok {
				return
			}
			copy(table, o)
			proposer, accepts = i, 1
		}
	}
}
