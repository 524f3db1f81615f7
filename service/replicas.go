package service

import (
	"context"
	"errors"
	"sync"
	"time"

	"parley"
	"parley/live"
	"parley/store"
)

// Replicas: several servers on one shared store (PostgreSQL).
//
// The store is the authority and each replica's in-memory states are
// caches. Replicas do not coordinate before writing: every write carries
// the sequence number that must follow the stored events, and the store
// refuses it (parley.ECONFLICT) when another replica appended first. The
// loser catches up — reads the events after its cached state, applies them
// and publishes them to its subscribers — and decides again, so that an
// action is judged against the state every replica agrees on. Deadlines
// and the broker's texts go the same way: every replica arms the timers,
// one timeout is stored and the others catch up on it.
//
// The store notifies every other replica's commits (store.Notifier); a
// notice of events a replica does not hold makes it catch up, so that its subscribers see
// the events written through the others, in order and once (all of it
// happens under the entry's lock, and an event is published only when
// applied, in sequence). Negotiations created through another replica are
// loaded on their first notice or use.

// maxAttempts bounds how often an action, a deadline or a broker text is
// decided again after another replica wrote first.
const maxAttempts = 8

// standbyGrace is how long a replica that caught up on events lets the
// replica that stored them draft the broker's next text before drafting
// it itself.
var standbyGrace = 3 * time.Second

// catchUpTimeout bounds a catch-up done outside a request.
const catchUpTimeout = 10 * time.Second

// replicas is the listening side of a service on a shared store.
type replicas struct {
	cancel context.CancelFunc
	done   chan struct{}
	// resync serialises full resynchronisations.
	resync sync.Mutex
}

// listen starts following the store's notices.
func (s *Service) listen(n store.Notifier) {
	ctx, cancel := context.WithCancel(context.Background())
	s.rep.cancel, s.rep.done = cancel, make(chan struct{})
	go func() {
		defer close(s.rep.done)
		n.Listen(ctx, s.notice)
	}()
}

// stopListening stops following the store's notices and waits for the
// listener to return.
func (s *Service) stopListening() {
	if s.rep.cancel != nil {
		s.rep.cancel()
		<-s.rep.done
	}
}

// notice handles one notice of the store, on the listener's goroutine: the
// work goes to other goroutines so that a slow negotiation does not hold
// up the others.
func (s *Service) notice(n store.Notice) {
	if s.closed.Load() {
		return
	}
	switch {
	case n.Err != nil:
		s.log.Warn("store notifications interrupted; reconnecting", "err", n.Err)
	case n.Resync:
		go s.resyncAll()
	default:
		go s.noticed(n.Negotiation, n.Seq)
	}
}

// noticed brings a negotiation up to event seq, loading it when it is new.
func (s *Service) noticed(id string, seq int64) {
	s.mu.Lock()
	e := s.negs[id]
	s.mu.Unlock()
	if e == nil {
		if _, err := s.load(id); err != nil {
			s.log.Error("load negotiation", "negotiation", id, "err", err)
		}
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.Seq >= seq || s.closed.Load() {
		return // already caught up
	}
	ctx, cancel := context.WithTimeout(context.Background(), catchUpTimeout)
	defer cancel()
	if _, err := s.catchUp(ctx, e); err != nil {
		s.log.Error("catch up", "negotiation", id, "err", err)
	}
}

// resyncAll loads the negotiations this replica does not hold and catches
// up on the others: after (re)connecting to the notices, some may have
// been missed.
func (s *Service) resyncAll() {
	s.rep.resync.Lock()
	defer s.rep.resync.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	ns, err := s.store.Negotiations(ctx)
	if err != nil {
		s.log.Error("resync: list negotiations", "err", err)
		return
	}
	caught := 0
	for _, n := range ns {
		if s.closed.Load() {
			return
		}
		s.mu.Lock()
		e := s.negs[n.ID]
		s.mu.Unlock()
		if e == nil {
			if _, err := s.load(n.ID); err != nil {
				s.log.Error("resync: load negotiation", "negotiation", n.ID, "err", err)
			}
			continue
		}
		e.mu.Lock()
		k, err := 0, error(nil)
		if !e.st.Phase.Over() { // an ended negotiation gets no more events
			k, err = s.catchUp(ctx, e)
		}
		e.mu.Unlock()
		if err != nil {
			s.log.Error("resync: catch up", "negotiation", n.ID, "err", err)
		}
		caught += k
	}
	s.log.Info("resynchronised with the store", "negotiations", len(ns), "events", caught)
}

// load reads a negotiation that another replica created, replays it, and
// adds it, arming its deadline; it returns the entry held, which is
// another's when two loads race.
func (s *Service) load(id string) (*entry, error) {
	ctx, cancel := context.WithTimeout(context.Background(), catchUpTimeout)
	defer cancel()
	n, err := s.store.Negotiation(ctx, id)
	if err != nil {
		return nil, err
	}
	st, err := s.replay(ctx, n)
	if err != nil {
		return nil, err
	}
	e := &entry{st: st, subs: map[*Subscription]struct{}{}}
	s.mu.Lock()
	if old := s.negs[id]; old != nil {
		s.mu.Unlock()
		old.mu.Lock()
		defer old.mu.Unlock()
		if _, err := s.catchUp(ctx, old); err != nil {
			return nil, err
		}
		return old, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s.negs[id] = e
	s.mu.Unlock()
	s.schedule(id, e)
	s.standBy(e)
	return e, nil
}

// catchUp applies the events stored after the state of a locked entry
// (written by another replica, or by this one in a commit that reported
// an error), publishes them, re-arms or stops its deadline, and returns
// how many there were.
func (s *Service) catchUp(ctx context.Context, e *entry) (int, error) {
	evs, err := s.store.Events(ctx, e.st.N.ID, e.st.Seq, 0)
	if err != nil {
		return 0, parley.Errorf(parley.ErrorCode(err), "catch up on %s: %v", e.st.N.ID, err)
	}
	for i := range evs {
		if err := e.st.Apply(&evs[i]); err != nil {
			s.applied(e, evs[:i])
			return i, err
		}
	}
	s.applied(e, evs)
	s.CaughtUp.Add(int64(len(evs)))
	return len(evs), nil
}

// applied publishes events just applied by catchUp and arms or stops the
// deadline timer accordingly.
func (s *Service) applied(e *entry, evs []live.Event) {
	if len(evs) == 0 {
		return
	}
	s.publish(e, evs)
	for i := range evs {
		if evs[i].Type == live.EvStarted {
			s.schedule(e.st.N.ID, e)
		}
	}
	if e.st.Phase.Over() && e.timer != nil {
		e.timer.Stop()
	}
	s.standBy(e)
}

// resync brings a locked entry in step with the store after a failed
// commit: it catches up, or rebuilds the state from the store when the
// stored events do not apply.
func (s *Service) resync(ctx context.Context, e *entry) {
	if _, err := s.catchUp(ctx, e); err != nil {
		if st, rerr := s.replay(ctx, e.st.N); rerr == nil {
			e.st = st
		}
	}
}

// freshen catches up a locked entry before it is read on a shared store,
// so that a client sees its own writes made through another replica.
func (s *Service) freshen(e *entry) {
	ctx, cancel := context.WithTimeout(context.Background(), catchUpTimeout)
	defer cancel()
	if _, err := s.catchUp(ctx, e); err != nil {
		s.log.Error("catch up", "negotiation", e.st.N.ID, "err", err)
	}
}

// lostRace reports whether a commit failed because another replica wrote
// first (the state was caught up since).
func (s *Service) lostRace(err error) bool {
	return s.shared && parley.ErrorCode(err) == parley.ECONFLICT && !errors.Is(err, context.Canceled)
}

// standBy arms, on a locked entry of a shared store, the drafting of the
// broker's next text by this replica, in case the replica that stored the
// last answer does not draft it (it died): standbyGrace after the text is
// due, if no text came meanwhile.
func (s *Service) standBy(e *entry) {
	st := e.st
	if !s.shared || st.N.Protocol != live.Broker || st.Phase != live.Running || e.standby != nil || s.closed.Load() {
		return
	}
	cur := st.Current()
	if cur != nil && !st.VotesComplete() {
		return
	}
	due := s.now()
	if cur != nil {
		due = later(due, cur.At.Add(st.N.Pace()))
	}
	versions := len(st.Versions)
	e.standby = time.AfterFunc(due.Sub(s.now())+standbyGrace, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.standby = nil
		if s.closed.Load() || e.st.Phase != live.Running {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), catchUpTimeout)
		defer cancel()
		if _, err := s.catchUp(ctx, e); err != nil {
			s.log.Error("broker standby", "negotiation", e.st.N.ID, "err", err)
			return
		}
		if len(e.st.Versions) != versions {
			s.standBy(e) // the other replica drafted it: stand by for the next
			return
		}
		if err := s.followUp(ctx, e); err != nil {
			s.log.Error("broker standby", "negotiation", e.st.N.ID, "err", err)
		}
	})
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
