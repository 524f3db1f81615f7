// Package memstore is an in-memory store.Store for unit tests and
// throw-away servers (`parley serve --db memory`). Nothing survives Close.
package memstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"slices"
	"sync"

	"parley"
	"parley/live"
	"parley/store"
)

// Store is an in-memory store.Store.
type Store struct {
	mu      sync.RWMutex
	negs    map[string][]byte // negotiation JSON, so callers cannot alias it
	order   []string
	tokens  map[string]live.Token
	events  map[string][]live.Event
	replies map[string]live.Reply
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{negs: map[string][]byte{}, tokens: map[string]live.Token{}, events: map[string][]live.Event{}, replies: map[string]live.Reply{}}
}

// replyKey is the key of a reply in Store.replies: the token hash's length
// (a varint), the hash and the idempotency key, so that no two (hash, key)
// pairs share it. One allocation.
func replyKey(hash []byte, key string) string {
	var n [binary.MaxVarintLen64]byte
	return string(binary.AppendUvarint(n[:0], uint64(len(hash)))) + string(hash) + key
}

// Commit implements store.Store.
func (s *Store) Commit(ctx context.Context, b *live.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exists := func(id string) bool {
		_, ok := s.negs[id]
		return ok || (b.Negotiation != nil && b.Negotiation.ID == id)
	}
	var nj []byte
	if n := b.Negotiation; n != nil {
		if _, ok := s.negs[n.ID]; ok {
			return parley.Errorf(parley.ECONFLICT, "negotiation %s already exists", n.ID)
		}
		var err error
		if nj, err = json.Marshal(n); err != nil {
			// The service built n: a value it cannot encode is its fault,
			// not the caller's.
			return parley.Errorf(parley.EINTERNAL, "encode negotiation %s: %v", n.ID, err)
		}
	}
	for _, t := range b.Tokens {
		if !exists(t.NegotiationID) {
			return parley.Errorf(parley.ENOTFOUND, "token for unknown negotiation %s", t.NegotiationID)
		}
		if _, dup := s.tokens[string(t.Hash)]; dup {
			return parley.Errorf(parley.ECONFLICT, "token already exists")
		}
	}
	last := map[string]int64{}
	for _, e := range b.Events {
		if !exists(e.NegotiationID) {
			return parley.Errorf(parley.ENOTFOUND, "event for unknown negotiation %s", e.NegotiationID)
		}
		l, ok := last[e.NegotiationID]
		if !ok {
			l = int64(len(s.events[e.NegotiationID]))
		}
		if e.Seq != l+1 {
			return parley.Errorf(parley.ECONFLICT, "negotiation %s: event %d does not follow event %d", e.NegotiationID, e.Seq, l)
		}
		last[e.NegotiationID] = e.Seq
	}
	var rk string
	if r := b.Reply; r != nil {
		rk = replyKey(r.TokenHash, r.Key)
		if _, dup := s.replies[rk]; dup {
			return parley.Errorf(parley.ECONFLICT, "idempotency key %q already used", r.Key)
		}
	}
	if b.Negotiation != nil {
		s.negs[b.Negotiation.ID] = nj
		s.order = append(s.order, b.Negotiation.ID)
	}
	for _, t := range b.Tokens {
		t.Hash = slices.Clone(t.Hash)
		s.tokens[string(t.Hash)] = t
	}
	for _, e := range b.Events {
		e.To = slices.Clone(e.To)
		e.Data = slices.Clone(e.Data)
		s.events[e.NegotiationID] = append(s.events[e.NegotiationID], e)
	}
	if r := b.Reply; r != nil {
		cp := *r
		cloneInto(&cp.Body, &cp.TokenHash, &cp.Fingerprint)
		s.replies[rk] = cp
	}
	return nil
}

// cloneInto replaces each slice by a copy, all copies in one new array
// (each capped at its length, so that an append cannot reach the next); a
// nil slice stays nil, as with slices.Clone.
func cloneInto(ps ...*[]byte) {
	n := 0
	for _, p := range ps {
		n += len(*p)
	}
	buf := make([]byte, 0, n)
	for _, p := range ps {
		if *p != nil {
			start := len(buf)
			buf = append(buf, *p...)
			*p = buf[start:len(buf):len(buf)]
		}
	}
}

// Negotiation implements store.Store.
func (s *Store) Negotiation(ctx context.Context, id string) (*live.Negotiation, error) {
	s.mu.RLock()
	nj, ok := s.negs[id]
	s.mu.RUnlock()
	if !ok {
		return nil, parley.Errorf(parley.ENOTFOUND, "no negotiation %q", id)
	}
	var n live.Negotiation
	if err := json.Unmarshal(nj, &n); err != nil {
		return nil, parley.Errorf(parley.EINTERNAL, "negotiation %s: %v", id, err)
	}
	return &n, nil
}

// Negotiations implements store.Store.
func (s *Store) Negotiations(ctx context.Context) ([]*live.Negotiation, error) {
	s.mu.RLock()
	ids := slices.Clone(s.order)
	s.mu.RUnlock()
	var out []*live.Negotiation
	for _, id := range ids {
		n, err := s.Negotiation(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// Token implements store.Store.
func (s *Store) Token(ctx context.Context, hash []byte) (*live.Token, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tokens[string(hash)]
	if !ok {
		return nil, parley.Errorf(parley.ENOTFOUND, "no such token")
	}
	t.Hash = slices.Clone(t.Hash)
	return &t, nil
}

// Events implements store.Store.
func (s *Store) Events(ctx context.Context, negotiation string, after int64, limit int) ([]live.Event, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	evs := s.events[negotiation]
	if after < 0 {
		after = 0
	}
	if after >= int64(len(evs)) {
		return nil, nil
	}
	evs = evs[after:]
	if limit > 0 && len(evs) > limit {
		evs = evs[:limit]
	}
	out := make([]live.Event, len(evs))
	for i, e := range evs {
		e.To, e.Data = slices.Clone(e.To), slices.Clone(e.Data)
		out[i] = e
	}
	return out, nil
}

// Reply implements store.Store.
func (s *Store) Reply(ctx context.Context, tokenHash []byte, key string) (*live.Reply, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.replies[replyKey(tokenHash, key)]
	if !ok {
		return nil, parley.Errorf(parley.ENOTFOUND, "no reply for key %q", key)
	}
	r.Body, r.TokenHash, r.Fingerprint = slices.Clone(r.Body), slices.Clone(r.TokenHash), slices.Clone(r.Fingerprint)
	return &r, nil
}

// Close implements store.Store.
func (s *Store) Close() error { return nil }
