// Package storetest is the contract suite of store.Store: every
// implementation (memstore, sqlite, postgres) runs Run against a real
// instance of itself.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"parley"
	"parley/live"
	"parley/scenario"
	"parley/store"
)

// Open returns a new, empty store for one test. The suite closes it.
type Open func(t *testing.T) store.Store

// Reopen closes a store and opens the same storage again, to check
// durability; nil for stores that do not persist.
type Reopen func(t *testing.T, s store.Store) store.Store

const tinyYAML = `name: tiny
issues:
  - {name: price, type: categorical, values: [low, mid, high]}
  - {name: days, type: integer, min: 1, max: 3}
parties:
  - name: Buyer
    role: participant
    reservation: 0.25
    preferences: {linear: {issues: {price: {weight: 0.6, values: {low: 1, mid: 0.5, high: 0}}, days: {weight: 0.4, function: {shape: linear, at_min: 0, at_max: 1}}}}}
  - name: Seller
    role: participant
    preferences: {linear: {issues: {price: {weight: 0.7, values: {low: 0, mid: 0.5, high: 1}}, days: {weight: 0.3, function: {shape: linear, at_min: 1, at_max: 0}}}}}
`

// Negotiation returns a new negotiation over a small scenario, with the
// given ID.
func Negotiation(t testing.TB, id string) *live.Negotiation {
	t.Helper()
	sc, err := scenario.Parse([]byte(tinyYAML), "tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc.File = ""
	return &live.Negotiation{ID: id, Title: "Tiny " + id, Protocol: live.SAOP, Duration: time.Hour, Scenario: sc,
		Created: time.Date(2026, 11, 29, 12, 0, 0, 123456789, time.UTC)}
}

// events returns n sealed events of negotiation id starting after seq
// from, chained to prev.
func events(id string, from int64, prev string, n int) []live.Event {
	var out []live.Event
	for i := 0; i < n; i++ {
		e := live.Event{NegotiationID: id, Seq: from + int64(i) + 1, Time: time.Unix(1700000000, int64(from)+int64(i)*1001).UTC(),
			Type: live.EvOffer, Party: "Buyer", Data: json.RawMessage(fmt.Sprintf(`{"outcome": {"price": "low", "days": "%d"}}`, i%3+1))}
		if i%2 == 1 {
			e.To = []string{"Buyer", live.ToMediators}
		}
		e.Seal(prev)
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func code(t *testing.T, err error, want string) {
	t.Helper()
	if got := parley.ErrorCode(err); got != want {
		t.Fatalf("error %v: code %q, want %q", err, got, want)
	}
}

// Run runs the contract suite.
func Run(t *testing.T, open Open, reopen Reopen) {
	ctx := context.Background()
	fresh := func(t *testing.T) store.Store {
		s := open(t)
		t.Cleanup(func() { s.Close() })
		return s
	}

	t.Run("NegotiationRoundTrip", func(t *testing.T) {
		s := fresh(t)
		n := Negotiation(t, "n1")
		if err := s.Commit(ctx, &live.Batch{Negotiation: n}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Negotiation(ctx, "n1")
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(n)
		b, _ := json.Marshal(got)
		if !bytes.Equal(a, b) || !got.Created.Equal(n.Created) {
			t.Fatalf("round trip changed the negotiation:\n%s\n%s", a, b)
		}
		code(t, s.Commit(ctx, &live.Batch{Negotiation: Negotiation(t, "n1")}), parley.ECONFLICT)
		_, err = s.Negotiation(ctx, "nope")
		code(t, err, parley.ENOTFOUND)
	})

	t.Run("NegotiationsOldestFirst", func(t *testing.T) {
		s := fresh(t)
		ids := []string{"c", "a", "b"}
		for _, id := range ids {
			if err := s.Commit(ctx, &live.Batch{Negotiation: Negotiation(t, id)}); err != nil {
				t.Fatal(err)
			}
		}
		ns, err := s.Negotiations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 3 {
			t.Fatalf("%d negotiations, want 3", len(ns))
		}
		for i, n := range ns {
			if n.ID != ids[i] {
				t.Fatalf("negotiation %d is %s, want %s", i, n.ID, ids[i])
			}
		}
	})

	t.Run("Tokens", func(t *testing.T) {
		s := fresh(t)
		secret, hash, err := live.NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		tok := live.Token{Hash: hash, NegotiationID: "n1", Role: live.Participant, Party: "Buyer", Created: time.Unix(1700000000, 5).UTC()}
		code(t, s.Commit(ctx, &live.Batch{Tokens: []live.Token{tok}}), parley.ENOTFOUND)
		if err := s.Commit(ctx, &live.Batch{Negotiation: Negotiation(t, "n1"), Tokens: []live.Token{tok}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Token(ctx, live.HashSecret(secret))
		if err != nil {
			t.Fatal(err)
		}
		if !got.Matches(secret) || got.Role != live.Participant || got.Party != "Buyer" || got.NegotiationID != "n1" || !got.Created.Equal(tok.Created) {
			t.Fatalf("token %+v, want %+v", got, tok)
		}
		_, err = s.Token(ctx, live.HashSecret(secret+"x"))
		code(t, err, parley.ENOTFOUND)
		code(t, s.Commit(ctx, &live.Batch{Tokens: []live.Token{tok}}), parley.ECONFLICT)
	})

	// A negotiation that cannot be encoded as JSON was built by the
	// service, not given by a caller: an internal error, and nothing of
	// its batch is stored.
	t.Run("UnencodableNegotiation", func(t *testing.T) {
		s := fresh(t)
		late := Negotiation(t, "late")
		late.Created = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // after what JSON times can hold
		nan := Negotiation(t, "nan")
		nan.Scenario.Parties[0].Preferences.Linear.Issues["price"].Values["low"] = math.NaN()
		for _, n := range []*live.Negotiation{late, nan} {
			secret, hash, err := live.NewSecret()
			if err != nil {
				t.Fatal(err)
			}
			tok := live.Token{Hash: hash, NegotiationID: n.ID, Role: live.Convener, Created: time.Unix(1700000000, 0).UTC()}
			code(t, s.Commit(ctx, &live.Batch{Negotiation: n, Tokens: []live.Token{tok}, Events: events(n.ID, 0, "", 2)}), parley.EINTERNAL)
			_, err = s.Negotiation(ctx, n.ID)
			code(t, err, parley.ENOTFOUND)
			_, err = s.Token(ctx, live.HashSecret(secret))
			code(t, err, parley.ENOTFOUND)
			if evs, err := s.Events(ctx, n.ID, 0, 0); err != nil || len(evs) != 0 {
				t.Fatalf("%s: events %v, %v after a refused batch; want none", n.ID, evs, err)
			}
		}
		if ns, err := s.Negotiations(ctx); err != nil || len(ns) != 0 {
			t.Fatalf("negotiations %v, %v after refused batches; want none", ns, err)
		}
	})

	t.Run("EventsInOrder", func(t *testing.T) {
		s := fresh(t)
		if err := s.Commit(ctx, &live.Batch{Negotiation: Negotiation(t, "n1")}); err != nil {
			t.Fatal(err)
		}
		evs := events("n1", 0, "", 7)
		if err := s.Commit(ctx, &live.Batch{Events: evs[:3]}); err != nil {
			t.Fatal(err)
		}
		for _, e := range evs[3:] {
			if err := s.Commit(ctx, &live.Batch{Events: []live.Event{e}}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Events(ctx, "n1", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		sameEvents(t, got, evs)
		if err := live.Verify(live.LinksOf(got)); err != nil {
			t.Fatalf("stored chain does not verify: %v", err)
		}
		got, err = s.Events(ctx, "n1", 2, 3)
		if err != nil {
			t.Fatal(err)
		}
		sameEvents(t, got, evs[2:5])
		got, err = s.Events(ctx, "n1", 7, 0)
		if err != nil || len(got) != 0 {
			t.Fatalf("after the last: %d events, %v", len(got), err)
		}
		got, err = s.Events(ctx, "other", 0, 0)
		if err != nil || len(got) != 0 {
			t.Fatalf("unknown negotiation: %d events, %v", len(got), err)
		}
	})

	t.Run("SeqConflictChangesNothing", func(t *testing.T) {
		s := fresh(t)
		if err := s.Commit(ctx, &live.Batch{Negotiation: Negotiation(t, "n1")}); err != nil {
			t.Fatal(err)
		}
		evs := events("n1", 0, "", 3)
		if err := s.Commit(ctx, &live.Batch{Events: evs[:1]}); err != nil {
			t.Fatal(err)
		}
		// A batch whose second event repeats seq 1: nothing of it is stored,
		// not the valid first event, not its token, not its reply.
		_, hash, _ := live.NewSecret()
		bad := &live.Batch{
			Tokens: []live.Token{{Hash: hash, NegotiationID: "n1", Role: live.Observer, Created: time.Now().UTC()}},
			Events: []live.Event{evs[1], evs[0]},
			Reply:  &live.Reply{TokenHash: hash, Key: "k", Status: 200, Body: []byte("{}"), Created: time.Now().UTC()},
		}
		code(t, s.Commit(ctx, bad), parley.ECONFLICT)
		// A gap is refused too.
		code(t, s.Commit(ctx, &live.Batch{Events: evs[2:3]}), parley.ECONFLICT)
		// So is a repeat of a stored seq.
		code(t, s.Commit(ctx, &live.Batch{Events: evs[:1]}), parley.ECONFLICT)
		got, err := s.Events(ctx, "n1", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		sameEvents(t, got, evs[:1])
		_, err = s.Token(ctx, hash)
		code(t, err, parley.ENOTFOUND)
		_, err = s.Reply(ctx, hash, "k")
		code(t, err, parley.ENOTFOUND)
		code(t, s.Commit(ctx, &live.Batch{Events: events("ghost", 0, "", 1)}), parley.ENOTFOUND)
	})

	t.Run("Replies", func(t *testing.T) {
		s := fresh(t)
		if err := s.Commit(ctx, &live.Batch{Negotiation: Negotiation(t, "n1")}); err != nil {
			t.Fatal(err)
		}
		h := live.HashSecret("a")
		fp := live.Fingerprint("POST", "/v1/negotiations/n1/start", []byte("{}"))
		r := &live.Reply{TokenHash: h, Key: "key-1", Status: 201, Body: []byte(`{"seq": 1}`), Fingerprint: fp, Created: time.Unix(1700000000, 77).UTC()}
		if err := s.Commit(ctx, &live.Batch{Events: events("n1", 0, "", 1), Reply: r}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Reply(ctx, h, "key-1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != 201 || !bytes.Equal(got.Body, r.Body) || got.Key != "key-1" || !got.Created.Equal(r.Created) || !bytes.Equal(got.Fingerprint, fp) {
			t.Fatalf("reply %+v, want %+v", got, r)
		}
		_, err = s.Reply(ctx, live.HashSecret("b"), "key-1")
		code(t, err, parley.ENOTFOUND)
		// The same key again: refused, and the event with it is not stored.
		code(t, s.Commit(ctx, &live.Batch{Events: events("n1", 1, "", 1), Reply: r}), parley.ECONFLICT)
		evs, _ := s.Events(ctx, "n1", 0, 0)
		if len(evs) != 1 {
			t.Fatalf("%d events after a refused batch, want 1", len(evs))
		}
		// A reply alone (an action that stores no event).
		if err := s.Commit(ctx, &live.Batch{Reply: &live.Reply{TokenHash: h, Key: "key-2", Status: 200, Body: []byte("{}"), Created: time.Unix(1700000100, 0).UTC()}}); err != nil {
			t.Fatal(err)
		}
		// key-1 keeps its fingerprint; key-2 has none (a reply stored
		// before requests were fingerprinted reads back empty).
		for key, want := range map[string][]byte{"key-1": fp, "key-2": nil} {
			got, err := s.Reply(ctx, h, key)
			if err != nil {
				t.Fatalf("reply %s: %v", key, err)
			}
			if !bytes.Equal(got.Fingerprint, want) || !bytes.Equal(got.TokenHash, h) {
				t.Fatalf("reply %s: fingerprint %x, token hash %x; want %x, %x", key, got.Fingerprint, got.TokenHash, want, h)
			}
		}
		if got, _ := s.Reply(ctx, h, "key-2"); got == nil || string(got.Body) != "{}" || got.Status != 200 {
			t.Fatalf("reply key-2: %+v, want status 200 and body {}", got)
		}
		// The boundary between token hash and key counts: the key's first
		// byte moved to the end of the hash names another reply.
		longer := append(bytes.Clone(h), 'k')
		_, err = s.Reply(ctx, longer, "ey-1")
		code(t, err, parley.ENOTFOUND)
		if err := s.Commit(ctx, &live.Batch{Reply: &live.Reply{TokenHash: longer, Key: "ey-1", Status: 202, Body: []byte("[]"), Created: time.Unix(1700000200, 0).UTC()}}); err != nil {
			t.Fatalf("a reply whose hash and key join into another's: %v", err)
		}
		if got, err := s.Reply(ctx, longer, "ey-1"); err != nil || got.Status != 202 {
			t.Fatalf("reply of the moved key: %+v, %v; want status 202", got, err)
		}
		if got, err := s.Reply(ctx, h, "key-1"); err != nil || got.Status != 201 {
			t.Fatalf("key-1 after the moved key: %+v, %v; want status 201", got, err)
		}
	})

	t.Run("ConcurrentCommits", func(t *testing.T) {
		s := fresh(t)
		const negs, per = 8, 25
		for i := 0; i < negs; i++ {
			if err := s.Commit(ctx, &live.Batch{Negotiation: Negotiation(t, fmt.Sprint("n", i))}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, negs*2)
		for i := 0; i < negs; i++ {
			id := fmt.Sprint("n", i)
			evs := events(id, 0, "", per)
			// Two writers race for every seq of each negotiation: exactly
			// one of each pair wins.
			for w := 0; w < 2; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, e := range evs {
						err := s.Commit(ctx, &live.Batch{Events: []live.Event{e}})
						if err != nil && parley.ErrorCode(err) != parley.ECONFLICT {
							errs <- err
							return
						}
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for i := 0; i < negs; i++ {
			id := fmt.Sprint("n", i)
			got, err := s.Events(ctx, id, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			sameEvents(t, got, events(id, 0, "", per))
		}
	})

	if reopen != nil {
		t.Run("Durable", func(t *testing.T) {
			s := open(t)
			n := Negotiation(t, "n1")
			_, hash, _ := live.NewSecret()
			evs := events("n1", 0, "", 4)
			r := &live.Reply{TokenHash: hash, Key: "k", Status: 200, Body: []byte(`{"ok":true}`), Fingerprint: live.Fingerprint("POST", "/v1/x", nil), Created: time.Unix(1, 2).UTC()}
			if err := s.Commit(ctx, &live.Batch{Negotiation: n, Tokens: []live.Token{{Hash: hash, NegotiationID: "n1", Role: live.Convener, Created: time.Unix(3, 4).UTC()}}, Events: evs, Reply: r}); err != nil {
				t.Fatal(err)
			}
			s = reopen(t, s)
			defer s.Close()
			if _, err := s.Negotiation(ctx, "n1"); err != nil {
				t.Fatal(err)
			}
			if tok, err := s.Token(ctx, hash); err != nil || tok.Role != live.Convener {
				t.Fatalf("token after reopen: %+v, %v", tok, err)
			}
			got, err := s.Events(ctx, "n1", 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			sameEvents(t, got, evs)
			if got, err := s.Reply(ctx, hash, "k"); err != nil || !bytes.Equal(got.Fingerprint, r.Fingerprint) {
				t.Fatalf("reply after reopen: %+v, %v; want fingerprint %x", got, err, r.Fingerprint)
			}
		})
	}
}

// sameEvents fails unless got and want hold the same events, field by field.
func sameEvents(t *testing.T, got, want []live.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.NegotiationID != w.NegotiationID || g.Seq != w.Seq || !g.Time.Equal(w.Time) || g.Type != w.Type || g.Party != w.Party ||
			fmt.Sprint(g.To) != fmt.Sprint(w.To) || g.Prev != w.Prev || g.Hash != w.Hash || g.BodyHash() != w.BodyHash() {
			t.Fatalf("event %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}
