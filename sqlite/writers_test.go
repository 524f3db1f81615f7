package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"parley"
	"parley/live"
	"parley/sqlite"
	"parley/store/storetest"
)

// TestTwoWriters opens one database file twice (two writers) and appends
// to one negotiation through each in turn: a writer whose cached last
// sequence number is stale does not refuse the next event for ever, and a
// stale event is refused.
func TestTwoWriters(t *testing.T) {
	p := filepath.Join(t.TempDir(), "parley.db")
	var st [2]*sqlite.Store
	for i := range st {
		s, err := sqlite.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		st[i] = s
	}
	a, b := st[0], st[1]
	ctx := context.Background()
	n := storetest.Negotiation(t, "n1")
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
	for i, s := range []*sqlite.Store{a, b, a, b} {
		if err := s.Commit(ctx, &live.Batch{Events: evs[i+2 : i+3]}); err != nil {
			t.Fatalf("commit of event %d: %v", evs[i+2].Seq, err)
		}
	}
	for _, s := range []*sqlite.Store{a, b} {
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
