package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"parley"
	"parley/live"
	"parley/postgres"
	"parley/postgres/pgtest"
	"parley/scenario"
	"parley/service"
)

const tiny = `{"name": "tiny", "issues": [
  {"name": "price", "type": "categorical", "values": ["low", "mid", "high"]},
  {"name": "days", "type": "integer", "min": 1, "max": 9}],
 "parties": [
  {"name": "Buyer", "role": "participant", "reservation": 0.3,
   "preferences": {"linear": {"issues": {"price": {"weight": 0.6, "values": {"low": 1, "mid": 0.5, "high": 0}}, "days": {"weight": 0.4, "function": {"shape": "linear", "at_min": 0, "at_max": 1}}}}}},
  {"name": "Seller", "role": "participant", "reservation": 0.3,
   "preferences": {"linear": {"issues": {"price": {"weight": 0.7, "values": {"low": 0, "mid": 0.5, "high": 1}}, "days": {"weight": 0.3, "function": {"shape": "linear", "at_min": 1, "at_max": 0}}}}}}]}`

// replica opens a service on its own connection pool to the database.
func replica(t *testing.T, dsn string) *service.Service {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.Open(context.Background(), st, service.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	return svc
}

// negotiation is a SAOP negotiation set up through two replicas.
type negotiation struct {
	id      string
	conv    *live.Token
	parties [2]*live.Token // Buyer, Seller
	subs    [2]*service.Subscription
}

// setUp creates a SAOP negotiation through a, subscribes the convener on
// both replicas, invites the Buyer through b and the Seller through a, and
// starts it through b.
func setUp(t *testing.T, a, b *service.Service, duration time.Duration) *negotiation {
	return setUpProtocol(t, a, b, live.SAOP, duration)
}

func setUpProtocol(t *testing.T, a, b *service.Service, protocol string, duration time.Duration) *negotiation {
	t.Helper()
	ctx := context.Background()
	sc, err := scenario.Parse([]byte(tiny), "tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.Create(ctx, service.CreateRequest{Protocol: protocol, Duration: duration, Scenario: sc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := &negotiation{id: c.Negotiation.ID}
	// The convener's token, authenticated by b from the store.
	if n.conv, err = b.Authenticate(ctx, c.Secret); err != nil {
		t.Fatal(err)
	}
	for i, svc := range []*service.Service{a, b} {
		if n.subs[i], err = svc.Subscribe(n.conv); err != nil {
			t.Fatalf("subscribe on replica %d: %v", i, err)
		}
	}
	for i, svc := range []*service.Service{b, a} {
		party := []string{"Buyer", "Seller"}[i]
		res, err := svc.Act(ctx, n.conv, live.Action{Type: live.EvInvited, Invite: live.InvitedData{Role: live.Participant, Party: party}}, nil)
		if err != nil {
			t.Fatalf("invite %s: %v", party, err)
		}
		// The party authenticates on the other replica.
		other := []*service.Service{a, b}[i]
		if n.parties[i], err = other.Authenticate(ctx, res.Secret); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Act(ctx, n.conv, live.Action{Type: live.EvStarted}, nil); err != nil {
		t.Fatal(err)
	}
	return n
}

func offer(i int) live.Action {
	return live.Action{Type: live.EvOffer, Outcome: map[string]string{"price": []string{"low", "mid", "high"}[i%3], "days": fmt.Sprint(i%9 + 1)}}
}

// received reads a subscription until it has delivered the event with
// sequence number last (bounded wait), and returns what it delivered.
func received(t *testing.T, sub *service.Subscription, last int64) []live.Event {
	t.Helper()
	var out []live.Event
	timeout := time.After(20 * time.Second)
	for len(out) == 0 || out[len(out)-1].Seq < last {
		select {
		case p, ok := <-sub.C:
			if !ok {
				t.Fatalf("subscription closed after %d events", len(out))
			}
			out = append(out, p.Event)
		case <-timeout:
			t.Fatalf("subscription delivered %d events in 20 s, the last not %d", len(out), last)
		}
	}
	return out
}

// TestTwoReplicas runs one negotiation through two services on one
// PostgreSQL database: actions alternate between the replicas, a party
// acts through both at once (one wins, the other is refused), an
// idempotent retry through the other replica replays the first answer,
// both replicas' subscribers see every event once and in order, and the
// audit chain verifies.
func TestTwoReplicas(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := replica(t, dsn), replica(t, dsn)
	reps := []*service.Service{a, b}
	ctx := context.Background()
	n := setUp(t, a, b, time.Hour)

	// Alternate offers, each through the replica the acting party did not
	// use last time.
	var acked []live.Event
	i := 0
	for ; i < 20; i++ {
		res, err := reps[(i/2)%2].Act(ctx, n.parties[i%2], offer(i), nil)
		if err != nil {
			t.Fatalf("offer %d: %v", i, err)
		}
		acked = append(acked, res.Events...)
	}
	// The party whose turn it is acts through both replicas at once: its
	// turn passes with the first stored offer, so exactly one succeeds and
	// the other is refused as out of turn.
	for round := 0; round < 10; round, i = round+1, i+1 {
		var wg sync.WaitGroup
		var errs [2]error
		var res [2]*service.Result
		for r := range reps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[r], errs[r] = reps[r].Act(ctx, n.parties[i%2], offer(i+r), nil)
			}()
		}
		wg.Wait()
		won := 0
		for r := range reps {
			switch {
			case errs[r] == nil:
				won++
				acked = append(acked, res[r].Events...)
			case parley.ErrorCode(errs[r]) != parley.ECONFLICT:
				t.Fatalf("round %d, replica %d: %v, want a conflict", round, r, errs[r])
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d replicas stored the offer, want 1 (errors %v)", round, won, errs)
		}
	}
	// An idempotent request retried through the other replica gets the
	// first answer and stores nothing.
	idem := func() *service.Idem {
		return &service.Idem{TokenHash: n.parties[i%2].Hash, Key: "k1", Render: func(evs []live.Event) (int, []byte, error) {
			return 200, fmt.Appendf(nil, "stored %d", evs[0].Seq), nil
		}}
	}
	first, err := a.Act(ctx, n.parties[i%2], offer(i), idem())
	if err != nil {
		t.Fatal(err)
	}
	acked = append(acked, first.Events...)
	retry, err := b.Act(ctx, n.parties[i%2], offer(i), idem())
	if err != nil {
		t.Fatalf("retry through the other replica: %v", err)
	}
	if want := fmt.Sprintf("stored %d", first.Events[0].Seq); retry.Reply == nil || string(retry.Reply.Body) != want {
		t.Fatalf("retry through the other replica answered %+v, want the stored reply %q", retry, want)
	}

	// The last offers go through b only: a's subscriber sees them through
	// the store's notices (a does nothing that would make it read them).
	for i++; i < 36; i++ {
		res, err := b.Act(ctx, n.parties[i%2], offer(i), nil)
		if err != nil {
			t.Fatalf("offer %d: %v", i, err)
		}
		acked = append(acked, res.Events...)
	}

	stored, err := a.Store().Events(ctx, n.id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Verify(live.LinksOf(stored)); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
	// Created, invited (convener), 2 invitations, start, then one offer
	// per acknowledged action and nothing else.
	if want := 5 + len(acked); len(stored) != want {
		t.Fatalf("%d events stored, want %d", len(stored), want)
	}
	for _, e := range acked {
		if got := stored[e.Seq-1]; got.Hash != e.Hash {
			t.Fatalf("acknowledged event %d is not stored as acknowledged", e.Seq)
		}
	}
	// Each replica's subscriber saw every event after the subscription
	// (from the first invitation on), once, in order, as stored.
	last := stored[len(stored)-1].Seq
	for r, sub := range n.subs {
		got := received(t, sub, last)
		want := stored[2:]
		if len(got) != len(want) {
			t.Fatalf("replica %d delivered %d events, want %d", r, len(got), len(want))
		}
		for k := range want {
			if got[k].Seq != want[k].Seq || got[k].Hash != want[k].Hash {
				t.Fatalf("replica %d: event %d delivered is %d (%.8s), stored %d (%.8s)", r, k, got[k].Seq, got[k].Hash, want[k].Seq, want[k].Hash)
			}
		}
	}
	// Each replica applied events the other wrote.
	for r, svc := range reps {
		if svc.CaughtUp.Load() == 0 {
			t.Fatalf("replica %d caught up on no event", r)
		}
	}
	// Both replicas hold the same state.
	for r, svc := range reps {
		var seq int64
		var hash string
		if err := svc.State(n.id, func(st *live.State) { seq, hash = st.Seq, st.Hash }); err != nil {
			t.Fatal(err)
		}
		if seq != last || hash != stored[len(stored)-1].Hash {
			t.Fatalf("replica %d holds event %d, want %d", r, seq, last)
		}
	}
}

// TestReplicasDeadline checks that the deadline of a negotiation started
// through one replica fires once although both replicas arm it, and that
// both replicas' subscribers see the time-out.
func TestReplicasDeadline(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := replica(t, dsn), replica(t, dsn)
	ctx := context.Background()
	n := setUp(t, a, b, 1500*time.Millisecond)
	if _, err := a.Act(ctx, n.parties[0], offer(0), nil); err != nil {
		t.Fatal(err)
	}
	// Both subscribers see the time-out: both replicas have it applied.
	var timeout [2]int64
	for r, sub := range n.subs {
		timeout[r] = -1
		deadline := time.After(20 * time.Second)
		for timeout[r] < 0 {
			select {
			case p, ok := <-sub.C:
				if !ok {
					t.Fatalf("replica %d: subscription closed", r)
				}
				if p.Event.Type == live.EvTimeout {
					timeout[r] = p.Event.Seq
				}
			case <-deadline:
				t.Fatalf("replica %d: no time-out in 20 s", r)
			}
		}
	}
	if timeout[0] != timeout[1] {
		t.Fatalf("the replicas saw time-outs %d and %d", timeout[0], timeout[1])
	}
	stored, err := b.Store().Events(ctx, n.id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, e := range stored {
		if e.Type == live.EvTimeout {
			count++
		}
	}
	// created, invited, 2 invitations, start, offer, timeout.
	if count != 1 || len(stored) != 7 || stored[6].Type != live.EvTimeout {
		t.Fatalf("%d time-outs among %d events, want 1 as the 7th", count, len(stored))
	}
	if err := live.Verify(live.LinksOf(stored)); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
	for r, svc := range []*service.Service{a, b} {
		var ph live.Phase
		if err := svc.State(n.id, func(st *live.State) { ph = st.Phase }); err != nil {
			t.Fatal(err)
		}
		if ph != live.TimedOut {
			t.Fatalf("replica %d: phase %s, want timed_out", r, ph)
		}
	}
}

// texts reads a subscription until it has delivered text version v.
func texts(t *testing.T, sub *service.Subscription, v int) live.Event {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case p, ok := <-sub.C:
			if !ok {
				t.Fatal("subscription closed")
			}
			e := p.Event
			var d live.OfferData
			if e.Type == live.EvText {
				if err := json.Unmarshal(e.Data, &d); err != nil {
					t.Fatal(err)
				}
				if d.Version == v {
					return e
				}
			}
		case <-timeout:
			t.Fatalf("no text version %d in 30 s", v)
		}
	}
}

// TestReplicasBroker runs the automatic broker on two replicas: the replica
// that stores the last answer to a text drafts the next one, once; when it
// is gone before drafting it, the other replica drafts it after the grace
// period.
func TestReplicasBroker(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := replica(t, dsn), replica(t, dsn)
	ctx := context.Background()
	// Pace: 1.2 s between texts.
	n := setUpProtocol(t, a, b, live.Broker, 20*time.Minute)
	critique := live.Action{Type: live.EvCritique, Blocking: []string{"price"}, Comment: "no"}
	for r := range n.subs {
		texts(t, n.subs[r], 1)
	}
	// Round 1: the Buyer answers through a, the Seller through b; b drafts
	// text 2 once the pace allows, and both replicas see it.
	if _, err := a.Act(ctx, n.parties[0], critique, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Act(ctx, n.parties[1], critique, nil); err != nil {
		t.Fatal(err)
	}
	for r := range n.subs {
		if e := texts(t, n.subs[r], 2); r == 1 && e.Party != "broker" {
			t.Fatalf("text 2 by %q", e.Party)
		}
	}
	// Round 2: b stores the last answer and stops before drafting (the
	// pace holds the text back): a drafts text 3.
	if _, err := a.Act(ctx, n.parties[0], critique, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Act(ctx, n.parties[1], critique, nil); err != nil {
		t.Fatal(err)
	}
	b.Close()
	texts(t, n.subs[0], 3)
	stored, err := a.Store().Events(ctx, n.id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Verify(live.LinksOf(stored)); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
	var versions []int
	for _, e := range stored {
		if e.Type == live.EvText {
			var d live.OfferData
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			versions = append(versions, d.Version)
		}
	}
	if fmt.Sprint(versions) != "[1 2 3]" {
		t.Fatalf("stored text versions %v, want [1 2 3]", versions)
	}
}

// killListeners waits until both replicas of the test's schema listen for
// notifications and ends the connections on which they do, returning how
// many it ended. (Without the wait, the second replica's listener had not
// always issued LISTEN yet: one clean-clone CI run ended only one.)
func killListeners(t *testing.T, dsn string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const listening = `FROM pg_stat_activity WHERE application_name = $1 AND query = 'LISTEN "parley_' || current_schema() || '"'`
	// A replica's listener connects beside it: wait (up to 10 s) until both
	// replicas' listeners have issued LISTEN before ending them.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) `+listening, postgres.ListenerName).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var killed int
	err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) `+listening, postgres.ListenerName).Scan(&killed)
	if err != nil {
		t.Fatal(err)
	}
	return killed
}

// TestReplicasResync kills the replicas' listening connections and makes
// offers through one replica at once, while the notices cannot arrive: the
// other replica's subscriber still gets every event, in order and once,
// from the catch-up that follows the reconnection.
func TestReplicasResync(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := replica(t, dsn), replica(t, dsn)
	ctx := context.Background()
	n := setUp(t, a, b, time.Hour)
	if k := killListeners(t, dsn); k != 2 {
		t.Fatalf("%d listening connections ended, want 2 (one per replica)", k)
	}
	var acked []live.Event
	for i := 0; i < 6; i++ {
		res, err := b.Act(ctx, n.parties[i%2], offer(i), nil)
		if err != nil {
			t.Fatal(err)
		}
		acked = append(acked, res.Events...)
	}
	stored, err := a.Store().Events(ctx, n.id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := acked[len(acked)-1].Seq
	if int64(len(stored)) != last {
		t.Fatalf("%d events stored, want %d", len(stored), last)
	}
	got := received(t, n.subs[0], last)
	want := stored[2:]
	if len(got) != len(want) {
		t.Fatalf("replica a delivered %d events, want %d", len(got), len(want))
	}
	for k := range want {
		if got[k].Hash != want[k].Hash {
			t.Fatalf("replica a: event %d delivered is not the stored one", want[k].Seq)
		}
	}
}

// TestReplicasIdempotentCreate retries a creation through the other
// replica with the same idempotency key: it answers the first reply and
// creates nothing.
func TestReplicasIdempotentCreate(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := replica(t, dsn), replica(t, dsn)
	ctx := context.Background()
	sc, err := scenario.Parse([]byte(tiny), "tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	idem := &service.Idem{Key: "create-1", Render: func(evs []live.Event) (int, []byte, error) {
		return 201, []byte(evs[0].NegotiationID), nil
	}}
	req := service.CreateRequest{Protocol: live.SAOP, Duration: time.Hour, Scenario: sc}
	first, err := a.Create(ctx, req, idem)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := b.Create(ctx, req, idem)
	if err != nil {
		t.Fatalf("retry through the other replica: %v", err)
	}
	if retry.Reply == nil || string(retry.Reply.Body) != first.Negotiation.ID {
		t.Fatalf("retry answered %+v, want the reply naming %s", retry, first.Negotiation.ID)
	}
	ns, err := b.Store().Negotiations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || ns[0].ID != first.Negotiation.ID {
		t.Fatalf("%d negotiations stored, want only %s", len(ns), first.Negotiation.ID)
	}
}
