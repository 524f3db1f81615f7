package service_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley"
	"parley/live"
	"parley/memstore"
	"parley/scenario"
	"parley/service"
	"parley/sqlite"
	"parley/store"
)

// idemFor is an idempotent request of token tok with the given key whose
// reply lists the seq and type of the events stored.
func idemFor(tok *live.Token, key, body string) *service.Idem {
	var h []byte
	if tok != nil {
		h = tok.Hash
	}
	return &service.Idem{TokenHash: h, Key: key, Fingerprint: live.Fingerprint("POST", "/x", []byte(body)),
		Render: func(evs []live.Event) (int, []byte, error) {
			var b strings.Builder
			for _, e := range evs {
				fmt.Fprintf(&b, "%d:%s;", e.Seq, e.Type)
			}
			return 200, []byte(b.String()), nil
		}}
}

// TestRetriesAnsweredFromStore: a retry of a request that was done is
// answered with the stored reply however it is decided the second time —
// refused (not the party's turn any more), or accepted and its commit refused
// for its key — also after a restart, with nothing stored twice; a key
// reused for another request is refused.
func TestRetriesAnsweredFromStore(t *testing.T) {
	for _, b := range []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"memstore", func(t *testing.T) store.Store { return memstore.New() }},
		{"sqlite", func(t *testing.T) store.Store {
			st, err := sqlite.Open(filepath.Join(t.TempDir(), "p.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}},
	} {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			st := b.open(t)
			c := &clock{t: t0}
			svc := openAt(t, st, c)
			id, tk := saop(t, svc, 0)
			if _, err := svc.Act(ctx, tk["convener"], live.Action{Type: live.EvStarted}, nil); err != nil {
				t.Fatal(err)
			}
			seq := func() int64 {
				var n int64
				if err := svc.State(id, func(s *live.State) { n = s.Seq }); err != nil {
					t.Fatal(err)
				}
				return n
			}
			offer := func(party, key, price string) (*service.Result, error) {
				a := live.Action{Type: live.EvOffer, Outcome: map[string]string{"price": price}}
				return svc.Act(ctx, tk[party], a, idemFor(tk[party], key, price))
			}
			first, err := offer("Buyer", "b1", "low")
			if err != nil || first.Reply != nil || len(first.Events) != 1 {
				t.Fatalf("first offer: %+v, %v", first, err)
			}
			want := fmt.Sprintf("%d:%s;", first.Events[0].Seq, live.EvOffer)
			replayed := func(what string, res *service.Result, err error) {
				t.Helper()
				if err != nil || res.Reply == nil || string(res.Reply.Body) != want || res.Reply.Status != 200 || len(res.Events) != 0 {
					t.Fatalf("%s: %+v, %v; want the stored reply %q", what, res, err, want)
				}
			}
			n := seq()
			// Refused when decided again: the Seller's turn now.
			res, err := offer("Buyer", "b1", "low")
			replayed("retry on the Seller's turn", res, err)
			if _, err := offer("Seller", "s1", "high"); err != nil {
				t.Fatal(err)
			}
			n++
			// Accepted when decided again (the Buyer's turn once more): the
			// commit is refused for its key, and the state stays in step.
			res, err = offer("Buyer", "b1", "low")
			replayed("retry on the Buyer's next turn", res, err)
			if seq() != n {
				t.Fatalf("seq %d after retries, want %d", seq(), n)
			}
			if res, err := offer("Buyer", "b2", "mid"); err != nil || len(res.Events) != 1 || res.Events[0].Seq != n+1 {
				t.Fatalf("a new offer after the retries: %+v, %v; want event %d", res, err, n+1)
			}
			n++
			// After a restart, from the store alone.
			svc.Close()
			svc = openAt(t, st, c)
			res, err = offer("Buyer", "b1", "low")
			replayed("retry after a restart", res, err)
			// The same key for another request.
			if _, err := offer("Buyer", "b1", "high"); parley.ErrorCode(err) != parley.EKEYREUSED {
				t.Fatalf("key b1 for another offer: %v, want %s", err, parley.EKEYREUSED)
			}
			if seq() != n {
				t.Fatalf("seq %d at the end, want %d", seq(), n)
			}
			evs, err := st.Events(ctx, id, 0, 0)
			if err != nil || int64(len(evs)) != n {
				t.Fatalf("%d events stored (%v), want %d", len(evs), err, n)
			}

			// A create retried: one negotiation, the same reply.
			sc, err := scenario.Parse([]byte(tinyYAML), "tiny.yaml")
			if err != nil {
				t.Fatal(err)
			}
			before, _ := st.Negotiations(ctx)
			req := service.CreateRequest{Protocol: live.SAOP, Duration: time.Hour, Scenario: sc}
			c1, err := svc.Create(ctx, req, idemFor(nil, "create-1", "tiny"))
			if err != nil || c1.Reply != nil {
				t.Fatalf("create: %+v, %v", c1, err)
			}
			c2, err := svc.Create(ctx, req, idemFor(nil, "create-1", "tiny"))
			if err != nil || c2.Reply == nil || string(c2.Reply.Body) != "1:created;2:invited;" {
				t.Fatalf("create again: %+v, %v; want the reply of the first", c2, err)
			}
			if after, _ := st.Negotiations(ctx); len(after) != len(before)+1 {
				t.Fatalf("%d negotiations after a create and its retry, want %d", len(after), len(before)+1)
			}
		})
	}
}

// TestRenderError: a reply that cannot be rendered fails the request with an
// internal error; nothing is stored, no reply above all, and the key stays
// free for a retry.
func TestRenderError(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	svc := openAt(t, st, &clock{t: t0})
	id, tk := saop(t, svc, 0)
	seq := func() int64 {
		var n int64
		if err := svc.State(id, func(s *live.State) { n = s.Seq }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	failing := idemFor(tk["convener"], "k", "{}")
	failing.Render = func([]live.Event) (int, []byte, error) { return 200, []byte("\n"), errors.New("cannot encode") }
	before := seq()
	if res, err := svc.Act(ctx, tk["convener"], live.Action{Type: live.EvStarted}, failing); parley.ErrorCode(err) != parley.EINTERNAL || res != nil {
		t.Fatalf("start with a failing render: %+v, %v; want an internal error", res, err)
	}
	if seq() != before {
		t.Fatalf("seq %d after a failed render, want %d", seq(), before)
	}
	if r, err := st.Reply(ctx, tk["convener"].Hash, "k"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Fatalf("stored reply after a failed render: %+v, %v", r, err)
	}
	res, err := svc.Act(ctx, tk["convener"], live.Action{Type: live.EvStarted}, idemFor(tk["convener"], "k", "{}"))
	if err != nil || res.Reply != nil || len(res.Events) != 1 {
		t.Fatalf("start retried with the key: %+v, %v", res, err)
	}

	// A create: no negotiation stored.
	sc, err := scenario.Parse([]byte(tinyYAML), "tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	negs, _ := st.Negotiations(ctx)
	failing = idemFor(nil, "create-1", "tiny")
	failing.Render = func([]live.Event) (int, []byte, error) { return 201, nil, errors.New("cannot encode") }
	if c, err := svc.Create(ctx, service.CreateRequest{Protocol: live.SAOP, Duration: time.Hour, Scenario: sc}, failing); parley.ErrorCode(err) != parley.EINTERNAL || c != nil {
		t.Fatalf("create with a failing render: %+v, %v; want an internal error", c, err)
	}
	if after, _ := st.Negotiations(ctx); len(after) != len(negs) {
		t.Fatalf("%d negotiations after a failed create, want %d", len(after), len(negs))
	}
}
