package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/client"
	httpapi "parley/http"
	"parley/live"
	"parley/postgres/pgtest"
)

// replicated is a negotiation set up through two replicas.
type replicated struct {
	id, conv string
	parties  [2]string // Buyer, Seller
	setup    int64     // the last event before the start
}

// setUpReplicated creates a negotiation through replica `from`, invites
// each party through a different replica (the other replica has not seen
// the negotiation unless the store told it).
func setUpReplicated(t *testing.T, ctx context.Context, on func(int, string) *client.Client, from int, duration string) *replicated {
	t.Helper()
	res, err := on(from, "").Create(ctx, httpapi.CreateBody{Protocol: live.SAOP, Duration: duration, Scenario: json.RawMessage(tinyScenario)})
	if err != nil {
		t.Fatal(err)
	}
	n := &replicated{id: res.ID, conv: res.ConvenerToken}
	for i, p := range []string{"Buyer", "Seller"} {
		if n.parties[i], err = on(1-i, n.conv).Invite(ctx, n.id, live.Participant, p); err != nil {
			t.Fatalf("invite %s through replica %d: %v", p, 1-i, err)
		}
	}
	evs, err := on(1-from, n.conv).Events(ctx, n.id, 0)
	if err != nil {
		t.Fatal(err)
	}
	n.setup = evs[len(evs)-1].Seq
	return n
}

// follow streams a negotiation's events for the convener from each
// replica, from event after on, until stop says so; it checks that they
// come in order and once.
func follow(ctx context.Context, on func(int, string) *client.Client, n *replicated, stop func(live.Event) bool) (wait func() ([2][]live.Event, error)) {
	var got [2][]live.Event
	var errs [2]error
	var wg sync.WaitGroup
	for r := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := n.setup
			errs[r] = on(r, n.conv).Stream(ctx, n.id, n.setup, func(e live.Event) error {
				if e.Seq != last+1 {
					return fmt.Errorf("replica %d streamed event %d after %d", r, e.Seq, last)
				}
				last = e.Seq
				got[r] = append(got[r], e)
				if stop(e) {
					return client.ErrStop
				}
				return nil
			})
			if errs[r] != nil {
				errs[r] = fmt.Errorf("stream on replica %d: %w", r, errs[r])
			}
		}()
	}
	return func() ([2][]live.Event, error) {
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return got, err
			}
		}
		return got, nil
	}
}

// sameAsStored checks that each stream delivered exactly the stored events
// after the set-up.
func sameAsStored(t *testing.T, streams [2][]live.Event, stored []live.Event, setup int64) {
	t.Helper()
	want := stored[setup:]
	for r, got := range streams {
		if len(got) != len(want) {
			t.Fatalf("stream on replica %d delivered %d events, want %d", r, len(got), len(want))
		}
		for k := range want {
			if got[k].Hash != want[k].Hash {
				t.Fatalf("stream on replica %d: event %d is not the stored one", r, want[k].Seq)
			}
		}
	}
}

// TestReplicas runs two `parley serve` replicas on one PostgreSQL
// database. A negotiation is created through one, its parties invited
// through either and it is started through the other; offers alternate
// between the replicas and the last ones go through one only; the
// convener's event stream on each replica sees every event once and in
// order (the events written through the other replica come from the
// store's notifications). A second negotiation's deadline, armed on both
// replicas, fires once and both streams see it. A third one is started
// through a replica that is then killed: the other takes its requests and
// fires its deadline. The audit chains verify.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two parley serve processes")
	}
	db := pgtest.DSN(t)
	srv := []*server{startServer(t, freePort(t), db), startServer(t, freePort(t), db)}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	on := func(r int, token string) *client.Client { return client.New(srv[r].url, token) }

	// A negotiation driven through both replicas.
	const offers = 30
	n := setUpReplicated(t, ctx, on, 0, "1h")
	end := n.setup + 1 + offers // the start, then the offers
	wait := follow(ctx, on, n, func(e live.Event) bool { return e.Seq == end })
	if _, err := on(1, n.conv).Start(ctx, n.id); err != nil {
		t.Fatal(err)
	}
	var acked []live.Event
	for i := 0; i < offers; i++ {
		r := (i / 2) % 2 // each party alternates between the replicas
		if i >= offers-6 {
			r = 1 // the last offers through replica 1 only
		}
		o := map[string]string{"price": []string{"low", "mid", "high"}[i%3], "days": fmt.Sprint(i%9 + 1)}
		evs, err := on(r, n.parties[i%2]).Offer(ctx, n.id, o)
		if err != nil {
			t.Fatalf("offer %d through replica %d: %v", i, r, err)
		}
		acked = append(acked, evs...)
	}
	streams, err := wait()
	if err != nil {
		t.Fatal(err)
	}
	stored, err := on(0, n.conv).Events(ctx, n.id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(stored)) != end {
		t.Fatalf("%d events stored, want %d", len(stored), end)
	}
	for _, e := range acked {
		if stored[e.Seq-1].Hash != e.Hash {
			t.Fatalf("acknowledged event %d is not stored as acknowledged", e.Seq)
		}
	}
	sameAsStored(t, streams, stored, n.setup)

	// A deadline armed on both replicas fires once.
	d := setUpReplicated(t, ctx, on, 1, "2s")
	wait = follow(ctx, on, d, func(e live.Event) bool { return e.Type == live.EvTimeout })
	if _, err := on(0, d.conv).Start(ctx, d.id); err != nil {
		t.Fatal(err)
	}
	if _, err := on(1, d.parties[0]).Offer(ctx, d.id, map[string]string{"price": "low", "days": "9"}); err != nil {
		t.Fatal(err)
	}
	if streams, err = wait(); err != nil {
		t.Fatal(err)
	}
	if stored, err = on(1, d.conv).Events(ctx, d.id, 0); err != nil {
		t.Fatal(err)
	}
	timeouts := 0
	for _, e := range stored {
		if e.Type == live.EvTimeout {
			timeouts++
		}
	}
	// The set-up, the start, the offer and the time-out.
	if timeouts != 1 || int64(len(stored)) != d.setup+3 {
		t.Fatalf("%d events stored with %d time-outs, want %d with one", len(stored), timeouts, d.setup+3)
	}
	sameAsStored(t, streams, stored, d.setup)
	for r := range srv {
		v, err := on(r, d.conv).Negotiation(ctx, d.id)
		if err != nil {
			t.Fatal(err)
		}
		if v.Phase != live.TimedOut {
			t.Fatalf("replica %d says %s, want timed_out", r, v.Phase)
		}
	}

	for r, tb := range []*replicated{n, d} {
		out, err := exec.Command(parleyBinary(t), "audit", "--server", srv[r].url, "--token", tb.conv).CombinedOutput()
		if err != nil || !strings.Contains(string(out), tb.id+": ok") {
			t.Fatalf("audit through replica %d: %v\n%s", r, err, out)
		}
	}

	// Failover: a negotiation started through replica 0, which is then
	// killed; replica 1 fires its deadline and the Buyer, whose client
	// fails over to replica 1, acts there in between.
	f := setUpReplicated(t, ctx, on, 0, "3s")
	if _, err := on(0, f.conv).Start(ctx, f.id); err != nil {
		t.Fatal(err)
	}
	if _, err := on(0, f.parties[0]).Offer(ctx, f.id, map[string]string{"price": "low", "days": "9"}); err != nil {
		t.Fatal(err)
	}
	srv[0].kill(t)
	if _, err := on(1, f.parties[1]).Offer(ctx, f.id, map[string]string{"price": "high", "days": "1"}); err != nil {
		t.Fatalf("offer through the surviving replica: %v", err)
	}
	var timedOut []live.Event
	err = on(1, f.conv).Stream(ctx, f.id, f.setup, func(e live.Event) error {
		timedOut = append(timedOut, e)
		if e.Type == live.EvTimeout {
			return client.ErrStop
		}
		return nil
	})
	if err != nil {
		t.Fatalf("stream on the surviving replica: %v", err)
	}
	// The start, two offers, the time-out.
	if len(timedOut) != 4 || timedOut[3].Seq != f.setup+4 {
		t.Fatalf("surviving replica streamed %d events, want the start, two offers and the time-out", len(timedOut))
	}

	out, err := exec.Command(parleyBinary(t), "audit", "--db", db).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "3 negotiations, 0 broken") {
		t.Fatalf("audit: %v\n%s", err, out)
	}
}
