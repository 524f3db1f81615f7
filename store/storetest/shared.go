package storetest

import (
	"bytes"
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

// FingerprintMigrated checks a store opened on a database made before
// replies had fingerprints, holding one reply (token hash {1}, key "old",
// status 200): that reply has no fingerprint, and a new one keeps its own.
// It returns the new reply's fingerprint.
func FingerprintMigrated(t *testing.T, s store.Store) []byte {
	t.Helper()
	ctx := context.Background()
	old, err := s.Reply(ctx, []byte{1}, "old")
	if err != nil || old.Status != 200 || len(old.Fingerprint) != 0 {
		t.Fatalf("old reply: %+v, %v", old, err)
	}
	fp := live.Fingerprint("POST", "/v1/negotiations", []byte("{}"))
	if err := s.Commit(ctx, &live.Batch{Reply: &live.Reply{TokenHash: []byte{1}, Key: "new", Status: 201, Body: []byte("{}"), Fingerprint: fp, Created: time.Unix(6, 0)}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Reply(ctx, []byte{1}, "new")
	if err != nil || !bytes.Equal(got.Fingerprint, fp) {
		t.Fatalf("new reply: %+v, %v", got, err)
	}
	return fp
}
