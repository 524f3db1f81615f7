package service

import (
	"encoding/json"
	"sync"

	"parley/live"
	"parley/space"
)

// SubscriptionBuffer is how many events a subscriber may fall behind before
// it is dropped (it then reconnects with Last-Event-ID and catches up from
// the store).
const SubscriptionBuffer = 1024

// Subscription receives a negotiation's new events that its token may see.
type Subscription struct {
	// C delivers the events; it is closed when the subscription ends.
	C     <-chan live.Event
	c     chan live.Event
	role  live.Role
	party string
	// invitation is the subscriber's invitation: a revocation ends the
	// subscription.
	invitation string
	once       sync.Once
	s          *Service
	e          *entry
}

func (sub *Subscription) close() { sub.once.Do(func() { close(sub.c); sub.s.Subscribers.Add(-1) }) }

// Subscribe starts delivering tok's negotiation's new events visible to it.
// Call Unsubscribe when done.
func (s *Service) Subscribe(tok *live.Token) (*Subscription, error) {
	e, err := s.entry(tok.NegotiationID)
	if err != nil {
		return nil, err
	}
	c := make(chan live.Event, SubscriptionBuffer)
	sub := &Subscription{C: c, c: c, role: tok.Role, party: tok.Party, invitation: tok.InvitationID(), s: s, e: e}
	e.mu.Lock()
	if s.Revoked(tok) {
		e.mu.Unlock()
		return nil, errRevoked()
	}
	e.subs[sub] = struct{}{}
	e.mu.Unlock()
	s.Subscribers.Add(1)
	return sub, nil
}

// Unsubscribe ends a subscription.
func (s *Service) Unsubscribe(sub *Subscription) {
	sub.e.mu.Lock()
	delete(sub.e.subs, sub)
	sub.e.mu.Unlock()
	sub.close()
}

// publish sends events to the subscribers that may see them (entry locked).
// A subscriber whose buffer is full is dropped rather than slowing the
// negotiation.
func (s *Service) publish(e *entry, evs []live.Event) {
	for sub := range e.subs {
		for _, ev := range evs {
			if !ev.VisibleTo(sub.role, sub.party) {
				continue
			}
			select {
			case sub.c <- ev:
			default:
				delete(e.subs, sub)
				sub.close()
				s.Dropped.Add(1)
			}
			if _, ok := e.subs[sub]; !ok {
				break
			}
		}
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func labels(st *live.State, o []int) map[string]string { return space.Labels(st.N.Scenario, o) }
