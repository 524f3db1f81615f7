package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"parley/live"
	"parley/memstore"
	"parley/service"
)

// queued takes what a subscription has queued, without waiting: publishing
// is done when the action that made the events returns.
func queued(t *testing.T, sub *service.Subscription) []*service.Published {
	t.Helper()
	var out []*service.Published
	for len(sub.C) > 0 {
		p, ok := <-sub.C
		if !ok {
			t.Fatalf("subscription closed after %d events", len(out))
		}
		out = append(out, p)
	}
	return out
}

// sseBefore is the message the SSE stream wrote for e before events were
// encoded once for all subscribers: fmt and json.Marshal.
func sseBefore(t *testing.T, e *live.Event) []byte {
	t.Helper()
	j, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Appendf(nil, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, j)
}

// TestPublishShared: subscribers of different roles each receive exactly
// the new events they may see (the invitation only the convener), in
// order; an event seen by several is one value whose SSE message is
// encoded once, the same bytes for all; and that message is the stored
// event's as the stream wrote it before.
func TestPublishShared(t *testing.T) {
	ctx := context.Background()
	svc := openAt(t, memstore.New(), &clock{t: t0})
	id, tk := saop(t, svc, 0)
	subs := map[string]*service.Subscription{}
	for _, who := range []string{"convener", "Buyer", "Seller"} {
		sub, err := svc.Subscribe(tk[who])
		if err != nil {
			t.Fatal(err)
		}
		defer svc.Unsubscribe(sub)
		subs[who] = sub
	}
	first, err := svc.Store().Events(ctx, id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	after := first[len(first)-1].Seq
	for _, a := range []struct {
		who string
		act live.Action
	}{
		{"convener", live.Action{Type: live.EvStarted}},
		{"convener", live.Action{Type: live.EvInvited, Invite: live.InvitedData{Role: live.Observer}}},
		{"Buyer", live.Action{Type: live.EvOffer, Outcome: map[string]string{"price": "low"}}},
		{"Seller", live.Action{Type: live.EvOffer, Outcome: map[string]string{"price": "high"}}},
	} {
		if _, err := svc.Act(ctx, tk[a.who], a.act, nil); err != nil {
			t.Fatalf("%s %s: %v", a.who, a.act.Type, err)
		}
	}
	stored, err := svc.Store().Events(ctx, id, after, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 4 {
		t.Fatalf("%d events stored, want 4", len(stored))
	}
	// The events by hand: started, invited (convener only), two offers.
	want := map[string][]int{"convener": {0, 1, 2, 3}, "Buyer": {0, 2, 3}, "Seller": {0, 2, 3}}
	got := map[string][]*service.Published{}
	for who, sub := range subs {
		got[who] = queued(t, sub)
		if len(got[who]) != len(want[who]) {
			t.Fatalf("%s received %d events, want %d", who, len(got[who]), len(want[who]))
		}
		for k, i := range want[who] {
			p, e := got[who][k], &stored[i]
			if p.Event.Seq != e.Seq || p.Event.Hash != e.Hash {
				t.Fatalf("%s's event %d is %d %s, want %d %s", who, k, p.Event.Seq, p.Event.Type, e.Seq, e.Type)
			}
			msg, err := p.SSE()
			if err != nil {
				t.Fatal(err)
			}
			if w := sseBefore(t, e); string(msg) != string(w) {
				t.Fatalf("%s's event %d:\ngot  %q\nwant %q", who, e.Seq, msg, w)
			}
		}
	}
	// The public events went as one value to all three, encoded once.
	for _, i := range []int{0, 2, 3} {
		var first *service.Published
		for who := range subs {
			for _, p := range got[who] {
				if p.Event.Seq != stored[i].Seq {
					continue
				}
				if first == nil {
					first = p
					continue
				}
				a, _ := first.SSE()
				b, _ := p.SSE()
				if p != first || &a[0] != &b[0] {
					t.Fatalf("event %d: %s received another value or message than the first subscriber", p.Event.Seq, who)
				}
			}
		}
	}
}

// TestSlowSubscriberDropped: a subscriber that reads nothing receives
// SubscriptionBuffer events and is then dropped (its channel closed,
// counted), while another keeps receiving everything; the dropped one
// finds the rest in the log, where a stream resumes from.
func TestSlowSubscriberDropped(t *testing.T) {
	ctx := context.Background()
	svc := openAt(t, memstore.New(), &clock{t: t0})
	_, tk := saop(t, svc, 0)
	slow, err := svc.Subscribe(tk["Buyer"])
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Unsubscribe(slow)
	reader, err := svc.Subscribe(tk["Seller"])
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Unsubscribe(reader)
	if _, err := svc.Act(ctx, tk["convener"], live.Action{Type: live.EvStarted}, nil); err != nil {
		t.Fatal(err)
	}
	read := queued(t, reader)
	start := read[0].Event.Seq
	// The start and SubscriptionBuffer offers: one more than the buffer.
	for i := range service.SubscriptionBuffer {
		who := []string{"Buyer", "Seller"}[i%2]
		if _, err := svc.Act(ctx, tk[who], live.Action{Type: live.EvOffer, Outcome: map[string]string{"price": []string{"low", "mid", "high"}[i%3]}}, nil); err != nil {
			t.Fatalf("offer %d: %v", i, err)
		}
		read = append(read, queued(t, reader)...)
	}
	last := start + service.SubscriptionBuffer
	if len(read) != service.SubscriptionBuffer+1 || read[len(read)-1].Event.Seq != last {
		t.Fatalf("the reader received %d events, the last %d; want %d, the last %d", len(read), read[len(read)-1].Event.Seq, service.SubscriptionBuffer+1, last)
	}
	var got []int64
	for _, p := range queued(t, slow) {
		got = append(got, p.Event.Seq)
	}
	select {
	case _, ok := <-slow.C:
		if ok {
			t.Fatal("the slow subscriber received more than what it had queued")
		}
	default:
		t.Fatal("the slow subscriber's channel is still open")
	}
	if len(got) != service.SubscriptionBuffer || got[0] != start || got[len(got)-1] != last-1 {
		t.Fatalf("the slow subscriber received %d events, %v…; want %d, %d to %d", len(got), got[:min(len(got), 3)], service.SubscriptionBuffer, start, last-1)
	}
	if d, n := svc.Dropped.Load(), svc.Subscribers.Load(); d != 1 || n != 1 {
		t.Fatalf("%d dropped, %d subscribed; want 1 and 1", d, n)
	}
	rest, err := svc.Events(ctx, tk["Buyer"], got[len(got)-1], 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 1 || rest[0].Seq != last || rest[0].Hash != read[len(read)-1].Event.Hash {
		t.Fatalf("the log after the slow subscriber's last event: %d events, want event %d", len(rest), last)
	}
}
