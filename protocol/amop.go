package protocol

import "parley/negotiation"

// AMOP is the alternating multiple offers protocol: each round, every party
// posts an offer (in party order), then every party votes on every offer on
// the table (offers in party order, voters in party order; a proposer
// accepts its own offer without being asked). The session ends in agreement
// on the first offer, in that order, that every party accepts.
type AMOP struct{}

// Name implements negotiation.Protocol.
func (AMOP) Name() string { return "amop" }

// Mediated implements negotiation.Protocol.
func (AMOP) Mediated() bool { return false }

// Run implements negotiation.Protocol.
func (AMOP) Run(s *negotiation.Session) {
	n, k := s.Parties(), s.Public().Space.Issues()
	table := make([]int, n*k)
	for s.NextRound() {
		for i := 0; i < n; i++ {
			o, ok := s.Propose(i)
			if !ok {
				return
			}
			copy(table[i*k:i*k+k], o)
		}
		for j := 0; j < n; j++ {
			offer := table[j*k : j*k+k]
			all := true
			for i := 0; i < n; i++ {
				if i == j {
					continue
				}
				r, ok := s.Respond(i, offer, j)
				if !ok {
					return
				}
				if r != negotiation.Accept {
					all = false
				}
			}
			if all {
				s.Agree(offer)
				return
			}
		}
	}
}
