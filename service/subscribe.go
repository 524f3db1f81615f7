package service

import (
	"encoding/json"
	"fmt"
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
	// C delivers the events in order; it is closed when the subscription
	// ends (Unsubscribe, a revocation, falling behind, the service
	// closing).
	C     <-chan *Published
	c     chan *Published
	role  live.Role
	party string
	// invitation is the subscriber's invitation: a revocation ends the
	// subscription.
	invitation string
	once       sync.Once
	s          *Service
	e          *entry
}

// Published is one new event as every subscriber who may see it receives
// it: one value shared by all of them, with the event's Server-Sent Events
// message encoded at most once. Read it; never modify it or its event.
type Published struct {
	// Event is the event.
	Event live.Event

	once sync.Once
	sse  []byte
	err  error
}

// SSE returns the event as one Server-Sent Events message
// (live.Event.AppendSSE): encoded by the first subscriber who asks, and
// the same bytes for the others. The bytes are shared: do not modify them.
func (p *Published) SSE() ([]byte, error) {
	p.once.Do(func() {
		p.sse, p.err = p.Event.AppendSSE(make([]byte, 0, 320+len(p.Event.NegotiationID)+len(p.Event.Data)))
		if p.err != nil {
			p.err = fmt.Errorf("server-sent event: %w", p.err)
		}
	})
	return p.sse, p.err
}

func (sub *Subscription) close() { sub.once.Do(func() { close(sub.c); sub.s.Subscribers.Add(-1) }) }

// Subscribe starts delivering tok's negotiation's new events visible to it.
// Call Unsubscribe when done.
func (s *Service) Subscribe(tok *live.Token) (*Subscription, error) {
	e, err := s.entry(tok.NegotiationID)
	if err != nil {
		return nil, err
	}
	c := make(chan *Published, SubscriptionBuffer)
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

// publish sends events to the subscribers that may see them (entry
// locked): each event goes as one Published to all of them, made only if
// one may see it. A subscriber whose buffer is full is dropped rather than
// slowing the negotiation, and gets nothing more.
func (s *Service) publish(e *entry, evs []live.Event) {
	for i := range evs {
		var p *Published
		for sub := range e.subs {
			if !evs[i].VisibleTo(sub.role, sub.party) {
				continue
			}
			if p == nil {
				p = &Published{Event: evs[i]}
			}
			select {
			case sub.c <- p:
			default:
				delete(e.subs, sub)
				sub.close()
				s.Dropped.Add(1)
			}
		}
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func labels(st *live.State, o []int) map[string]string { return space.Labels(st.N.Scenario, o) }
