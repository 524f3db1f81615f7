package client_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"net/http/httptest"
	"parley/client"
	httpapi "parley/http"
	"parley/live"
	"parley/memstore"
	"parley/negotiator"
	"parley/service"
)

// serve starts an API server on a fresh in-memory store.
func serve(t *testing.T) *client.Client {
	t.Helper()
	st := memstore.New()
	svc, err := service.Open(context.Background(), st, service.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{Examples: os.DirFS("../examples")}))
	t.Cleanup(func() { svc.Close(); srv.Close() })
	return client.New(srv.URL, "")
}

// play creates a negotiation of an example, gives every participant an
// agent, starts it and returns the agents' final views.
func play(t *testing.T, example, protocol, duration, strategy string) []*httpapi.View {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := serve(t)
	res, err := c.Create(ctx, httpapi.CreateBody{Protocol: protocol, Duration: duration, Example: example})
	if err != nil {
		t.Fatal(err)
	}
	conv := c.WithToken(res.ConvenerToken)
	v, err := conv.Negotiation(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var finals []*httpapi.View
	for _, p := range v.Parties {
		if p.Role != "participant" {
			continue
		}
		tok, err := conv.Invite(ctx, res.ID, live.Participant, p.Name)
		if err != nil {
			t.Fatal(err)
		}
		neg, err := negotiator.New(strategy)
		if err != nil {
			t.Fatal(err)
		}
		a := &client.Agent{Client: c.WithToken(tok), Negotiator: neg, Seed: 7}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := a.Run(ctx)
			if err != nil {
				t.Errorf("agent %s: %v", p.Name, err)
				return
			}
			mu.Lock()
			finals = append(finals, f)
			mu.Unlock()
		}()
	}
	time.Sleep(100 * time.Millisecond) // let the agents subscribe; they would catch up anyway
	if _, err := conv.Start(ctx, res.ID); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	return finals
}

func TestAgentsAndBrokerAgreeOnUSRussia(t *testing.T) {
	finals := play(t, "us-russia", live.Broker, "8s", "threshold")
	if len(finals) != 2 {
		t.Fatalf("%d agents finished, want 2", len(finals))
	}
	for _, f := range finals {
		if f.Phase != live.Agreed || len(f.Agreement) == 0 {
			t.Fatalf("%s ended in %s, want agreement", f.You.Party, f.Phase)
		}
	}
}

func TestAgentsAndBrokerAgreeOnAstana(t *testing.T) {
	finals := play(t, "astana", live.Broker, "8s", "threshold")
	if len(finals) != 5 {
		t.Fatalf("%d agents finished, want 5", len(finals))
	}
	for _, f := range finals {
		if f.Phase != live.Agreed {
			t.Fatalf("%s ended in %s, want agreement", f.You.Party, f.Phase)
		}
		if len(f.Acceptances) != 5 {
			t.Fatalf("agreement accepted by %d, want 5", len(f.Acceptances))
		}
	}
}

func TestAgentsSAOPEndBeforeDeadline(t *testing.T) {
	finals := play(t, "us-russia", live.SAOP, "3s", "boulware")
	if len(finals) != 2 {
		t.Fatalf("%d agents finished, want 2", len(finals))
	}
	for _, f := range finals {
		if !f.Phase.Over() {
			t.Fatalf("phase %s", f.Phase)
		}
	}
	if finals[0].Phase != finals[1].Phase {
		t.Fatalf("agents disagree on the outcome: %s vs %s", finals[0].Phase, finals[1].Phase)
	}
}

// TestAgentAfterTurnExpiry: when the other participant's turn expires, the
// turn comes back to the agent, whose own offer stands: it makes a new
// offer (it may not accept its own).
func TestAgentAfterTurnExpiry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	now := time.Now().UTC()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	svc, err := service.Open(ctx, memstore.New(), service.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{Examples: os.DirFS("../examples")}))
	t.Cleanup(func() { svc.Close(); srv.Close() })
	c := client.New(srv.URL, "")
	res, err := c.Create(ctx, httpapi.CreateBody{Protocol: live.SAOP, Duration: "10m", TurnLimit: "1m", Example: "us-russia"})
	if err != nil {
		t.Fatal(err)
	}
	conv := c.WithToken(res.ConvenerToken)
	v, err := conv.Negotiation(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, p := range v.Parties {
		if p.Role == "participant" {
			order = append(order, p.Name)
		}
	}
	first, second := order[0], order[1]
	tok, err := conv.Invite(ctx, res.ID, live.Participant, first)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conv.Invite(ctx, res.ID, live.Participant, second); err != nil {
		t.Fatal(err)
	}
	neg, err := negotiator.New("boulware")
	if err != nil {
		t.Fatal(err)
	}
	actx, stop := context.WithCancel(ctx)
	defer stop()
	go (&client.Agent{Client: c.WithToken(tok), Negotiator: neg, Seed: 7}).Run(actx)
	if _, err := conv.Start(ctx, res.ID); err != nil {
		t.Fatal(err)
	}
	// waitFor follows the events until one matches.
	waitFor := func(what string, match func(live.Event) bool) int64 {
		var seq int64
		err := conv.Stream(ctx, res.ID, 0, func(ev live.Event) error {
			if match(ev) {
				seq = ev.Seq
				return client.ErrStop
			}
			return nil
		})
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		return seq
	}
	offer1 := waitFor("the agent's first offer", func(ev live.Event) bool { return ev.Type == live.EvOffer && ev.Party == first })
	// The second participant stays silent past its minute; the next call
	// on the negotiation records the expiry.
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if _, err := conv.Invite(ctx, res.ID, live.Observer, ""); err != nil {
		t.Fatal(err)
	}
	expiry := waitFor("the expiry", func(ev live.Event) bool { return ev.Seq > offer1 && ev.Type == live.EvTurnExpired })
	waitFor("the agent's second offer", func(ev live.Event) bool { return ev.Seq > expiry && ev.Type == live.EvOffer && ev.Party == first })
	v, err = conv.Negotiation(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Turn != second || v.Round != 1 || v.Proposer != first {
		t.Fatalf("after the agent's second offer: turn %s, round %d, proposer %s; want %s, 1, %s", v.Turn, v.Round, v.Proposer, second, first)
	}
}
