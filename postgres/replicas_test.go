package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"parley/live"
	"parley/postgres"
	"parley/postgres/pgtest"
	"parley/store"
	"parley/store/storetest"
)

// sealed returns n events of negotiation id after seq from, chained to prev.
func sealed(id string, from int64, prev string, n int) []live.Event {
	out := make([]live.Event, n)
	for i := range out {
		out[i] = live.Event{NegotiationID: id, Seq: from + int64(i) + 1, Time: time.Unix(1800000000+int64(i), 0).UTC(), Type: live.EvInvited, Data: []byte(`{}`)}
		out[i].Seal(prev)
		prev = out[i].Hash
	}
	return out
}

func open(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestTwoWriters runs the shared-store contract on two stores on one
// database (two servers).
func TestTwoWriters(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		dsn := pgtest.DSN(t)
		return open(t, dsn), open(t, dsn)
	})
}

// TestListen checks the notifications: a listener hears the commits of
// another store on its schema, in order, and neither those of another
// schema nor its own store's; after its connection is killed it reports
// the loss and resyncs.
func TestListen(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn), open(t, dsn)
	other := open(t, pgtest.DSN(t))
	ctx, cancel := context.WithCancel(context.Background())
	notices := make(chan store.Notice, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Listen(ctx, func(n store.Notice) { notices <- n })
	}()
	defer func() { cancel(); <-done }()
	next := func() store.Notice {
		t.Helper()
		select {
		case n := <-notices:
			return n
		case <-time.After(10 * time.Second):
			t.Fatal("no notice in 10 s")
			return store.Notice{}
		}
	}
	if n := next(); !n.Resync {
		t.Fatalf("first notice %+v, want a resync", n)
	}
	c := context.Background()
	for _, s := range []*postgres.Store{b, other} {
		n := storetest.Negotiation(t, "n1")
		if err := s.Commit(c, &live.Batch{Negotiation: n, Events: sealed("n1", 0, "", 2)}); err != nil {
			t.Fatal(err)
		}
	}
	evs := sealed("n1", 0, "", 5)
	for i := 2; i < 5; i++ {
		if err := b.Commit(c, &live.Batch{Events: evs[i : i+1]}); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []int64{2, 3, 4, 5} {
		n := next()
		if n.Negotiation != "n1" || n.Seq != want || n.Resync || n.Err != nil {
			t.Fatalf("notice %+v, want n1 up to %d", n, want)
		}
	}
	// Kill the listening connection: a notice with the error, then a
	// resync once reconnected.
	if _, err := b.Exec(c, fmt.Sprintf("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '%s' AND query LIKE 'LISTEN %%%s%%'", postgres.ListenerName, a.Channel())); err != nil {
		t.Fatal(err)
	}
	if n := next(); n.Err == nil {
		t.Fatalf("notice %+v after the connection was killed, want its error", n)
	}
	if n := next(); !n.Resync {
		t.Fatalf("notice %+v after reconnecting, want a resync", n)
	}
	// The listener's own commits are not reported: its server holds them.
	more := sealed("n1", 5, evs[4].Hash, 2)
	if err := a.Commit(c, &live.Batch{Events: more[:1]}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(c, &live.Batch{Events: more[1:]}); err != nil {
		t.Fatal(err)
	}
	if n := next(); n.Negotiation != "n1" || n.Seq != 7 {
		t.Fatalf("notice %+v after reconnecting, want n1 up to 7 (and none for a's own event 6)", n)
	}
	select {
	case n := <-notices:
		t.Fatalf("unexpected notice %+v", n)
	default:
	}
}
