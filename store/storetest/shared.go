package storetest

import (
	"context"
	"testing"
	"time"

	"parley"
	"parley/live"
	"parley/store"
)

// OpenTwo returns two stores on the same storage, as two servers would
// open it. The caller closes them.
type OpenTwo func(t *testing.T) (store.Store, store.Store)

// RunShared is the contract of stores that several servers may share: two
// stores append to one negotiation in turn; a store whose cached last
// sequence number is stale does not refuse the next event for ever, and an
// event that does not follow the stored ones is refused by both.
func RunShared(t *testing.T, open OpenTwo) {
	a, b := open(t)
	ctx := context.Background()
	n := Negotiation(t, "n1")
	evs := make([]live.Event, 8)
	prev := ""
	for i := range evs {
		evs[i] = live.Event{NegotiationID: n.ID, Seq: int64(i + 1), Time: time.Unix(1800000000+int64(i), 0).UTC(), Type: live.EvInvited, Data: []byte(`{}`)}
		evs[i].Seal(prev)
		prev = evs[i].Hash
	}
	if err := a.Commit(ctx, &live.Batch{Negotiation: n, Events: evs[:2]}); err != nil {
		t.Fatal(err)
	}
	// a appends 3, b 4, a 5 (its cache says 3), b 6 (its cache says 4).
	for i, s := range []store.Store{a, b, a, b} {
		if err := s.Commit(ctx, &live.Batch{Events: evs[i+2 : i+3]}); err != nil {
			t.Fatalf("commit of event %d: %v", evs[i+2].Seq, err)
		}
	}
	for _, s := range []store.Store{a, b} {
		if err := s.Commit(ctx, &live.Batch{Events: evs[3:4]}); parley.ErrorCode(err) != parley.ECONFLICT {
			t.Fatalf("stale event 4 after 6: %v, want a conflict", err)
		}
	}
	got, err := b.Events(ctx, n.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("%d events stored, want 6", len(got))
	}
	if err := live.Verify(live.LinksOf(got)); err != nil {
		t.Fatal(err)
	}
}
