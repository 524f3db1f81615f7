package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"parley"
	"parley/live"
	"parley/memstore"
	"parley/scenario"
	"parley/service"
	"parley/store"
)

// clock is a settable clock for service.Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

const tinyYAML = `name: tiny
issues: [{name: price, type: categorical, values: [low, mid, high]}]
parties:
  - {name: Buyer, role: participant, preferences: {linear: {issues: {price: {weight: 1, values: {low: 1, mid: 0.5, high: 0}}}}}}
  - {name: Seller, role: participant, preferences: {linear: {issues: {price: {weight: 1, values: {low: 0, mid: 0.5, high: 1}}}}}}
  - {name: Press, role: observer}
`

func openAt(t *testing.T, st store.Store, c *clock) *service.Service {
	t.Helper()
	svc, err := service.Open(context.Background(), st, service.Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	return svc
}

// saop creates a SAOP negotiation over the tiny scenario with the given
// turn limit, and returns its ID and the convener's, Buyer's and Seller's
// tokens.
func saop(t *testing.T, svc *service.Service, turn time.Duration) (string, map[string]*live.Token) {
	t.Helper()
	ctx := context.Background()
	sc, err := scenario.Parse([]byte(tinyYAML), "tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cr, err := svc.Create(ctx, service.CreateRequest{Protocol: live.SAOP, Duration: time.Hour, TurnLimit: turn, Scenario: sc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := svc.Authenticate(ctx, cr.Secret)
	if err != nil {
		t.Fatal(err)
	}
	toks := map[string]*live.Token{"convener": conv}
	for _, p := range []string{"Buyer", "Seller"} {
		res, err := svc.Act(ctx, conv, live.Action{Type: live.EvInvited, Invite: live.InvitedData{Role: live.Participant, Party: p}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if toks[p], err = svc.Authenticate(ctx, res.Secret); err != nil {
			t.Fatal(err)
		}
	}
	return cr.Negotiation.ID, toks
}

func turnState(t *testing.T, svc *service.Service, id string) (turn string, seq int64, last live.Event, deadline time.Time) {
	t.Helper()
	err := svc.State(id, func(st *live.State) { turn, seq, deadline = st.TurnParty(), st.Seq, st.TurnDeadline() })
	if err != nil {
		t.Fatal(err)
	}
	evs, err := svc.Store().Events(context.Background(), id, seq-1, 0)
	if err != nil || len(evs) != 1 {
		t.Fatalf("last event: %v, %v", evs, err)
	}
	return turn, seq, evs[0], deadline
}

func expired(t *testing.T, e live.Event, party string, deadline, when time.Time) {
	t.Helper()
	var d live.TurnExpiredData
	if e.Type != live.EvTurnExpired || json.Unmarshal(e.Data, &d) != nil || d.Party != party || !d.Deadline.Equal(deadline) || !e.Time.Equal(when) {
		t.Fatalf("last event %s %s, want %s's turn expired at %s, recorded at %s", e.Type, e.Data, party, deadline, when)
	}
}

func TestTurnLimit(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: t0}
	svc := openAt(t, memstore.New(), c)
	id, tk := saop(t, svc, 10*time.Minute)
	if _, err := svc.Act(ctx, tk["convener"], live.Action{Type: live.EvStarted}, nil); err != nil {
		t.Fatal(err)
	}
	offer := func(p, price string) error {
		_, err := svc.Act(ctx, tk[p], live.Action{Type: live.EvOffer, Outcome: map[string]string{"price": price}}, nil)
		return err
	}
	turn, seq, _, dl := turnState(t, svc, id)
	if turn != "Buyer" || !dl.Equal(at(10)) {
		t.Fatalf("after the start: turn %s until %s, want Buyer until %s", turn, dl, at(10))
	}
	if err := offer("Buyer", "low"); err != nil { // at 0m
		t.Fatal(err)
	}
	// Seller's turn runs to 10m; at 10m Seller is late: refused, and the
	// expiry its timer would have recorded is recorded.
	c.set(at(10))
	if err := offer("Seller", "high"); parley.ErrorCode(err) != parley.ECONFLICT || !strings.Contains(err.Error(), "your turn expired at 2026-11-29T12:10:00Z") {
		t.Fatalf("Seller offering at the end of its turn: %v, want a conflict saying its turn expired at 12:10", err)
	}
	turn, seq2, last, dl := turnState(t, svc, id)
	expired(t, last, "Seller", at(10), at(10))
	if turn != "Buyer" || seq2 != seq+2 || !dl.Equal(at(20)) {
		t.Fatalf("after Seller's expiry: turn %s until %s, seq %d; want Buyer until %s, seq %d", turn, dl, seq2, at(20), seq+2)
	}
	// Buyer's offer stands: Buyer may not accept it, but may make another.
	if _, err := svc.Act(ctx, tk["Buyer"], live.Action{Type: live.EvAccept}, nil); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Fatalf("Buyer accepting its own offer: %v", err)
	}
	// Buyer's turn expires at 20m; at 25m Seller acts first: the expiry is
	// recorded, then Seller's acceptance of Buyer's standing offer is the
	// agreement.
	c.set(at(25))
	res, err := svc.Act(ctx, tk["Seller"], live.Action{Type: live.EvAccept}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 2 || res.Events[1].Type != live.EvAgreement {
		t.Fatalf("Seller's acceptance: %+v, want accept and agreement", res.Events)
	}
	evs, _ := svc.Store().Events(ctx, id, seq2, 0)
	if len(evs) != 3 {
		t.Fatalf("%d events after 20m, want 3 (expiry, accept, agreement)", len(evs))
	}
	expired(t, evs[0], "Buyer", at(20), at(25))
	var agreement live.OfferData
	json.Unmarshal(evs[2].Data, &agreement)
	if agreement.Outcome["price"] != "low" {
		t.Fatalf("agreement on %v, want Buyer's standing offer (low)", agreement.Outcome)
	}
}

func TestTurnLimitValidation(t *testing.T) {
	c := &clock{t: t0}
	svc := openAt(t, memstore.New(), c)
	sc, err := scenario.Parse([]byte(tinyYAML), "tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []service.CreateRequest{
		{Protocol: live.SAOP, Duration: time.Hour, TurnLimit: -time.Minute, Scenario: sc},
		{Protocol: live.SAOP, Duration: time.Hour, TurnLimit: time.Hour + time.Nanosecond, Scenario: sc},
		{Protocol: live.SingleText, Duration: time.Hour, TurnLimit: time.Minute, Scenario: sc},
	} {
		if _, err := svc.Create(context.Background(), req, nil); parley.ErrorCode(err) != parley.EINVALID {
			t.Errorf("turn limit %s on %s: %v, want invalid", req.TurnLimit, req.Protocol, err)
		}
	}
	if len(svc.Negotiations()) != 0 {
		t.Fatal("a refused creation created a negotiation")
	}
	if _, err := svc.Create(context.Background(), service.CreateRequest{Protocol: live.SAOP, Duration: time.Hour, TurnLimit: time.Hour, Scenario: sc}, nil); err != nil {
		t.Fatalf("turn limit equal to the duration: %v", err)
	}
}

// TestTurnExpiresOnRestart: a turn that expired while no server ran expires
// when the server starts again; the next turn runs from then.
func TestTurnExpiresOnRestart(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	c := &clock{t: t0}
	svc := openAt(t, st, c)
	id, tk := saop(t, svc, 10*time.Minute)
	if _, err := svc.Act(ctx, tk["convener"], live.Action{Type: live.EvStarted}, nil); err != nil {
		t.Fatal(err)
	}
	c.set(at(1))
	if _, err := svc.Act(ctx, tk["Buyer"], live.Action{Type: live.EvOffer, Outcome: map[string]string{"price": "mid"}}, nil); err != nil {
		t.Fatal(err)
	}
	_, seq, _, _ := turnState(t, svc, id)
	svc.Close()
	// Down from 1m to 30m: Seller's turn ended at 11m.
	c.set(at(30))
	svc = openAt(t, st, c)
	turn, seq2, last, dl := turnState(t, svc, id)
	expired(t, last, "Seller", at(11), at(30))
	if turn != "Buyer" || seq2 != seq+1 || !dl.Equal(at(40)) {
		t.Fatalf("after the restart: turn %s until %s, seq %d; want Buyer until %s, seq %d", turn, dl, seq2, at(40), seq+1)
	}
	// A restart before the next expiry records nothing.
	svc.Close()
	c.set(at(39))
	svc = openAt(t, st, c)
	if _, seq3, _, _ := turnState(t, svc, id); seq3 != seq2 {
		t.Fatalf("a restart inside a turn stored %d events", seq3-seq2)
	}
	// Down past the negotiation's deadline: it times out, no turn expires.
	svc.Close()
	c.set(at(61))
	svc = openAt(t, st, c)
	_, seq4, last, _ := turnState(t, svc, id)
	if last.Type != live.EvTimeout || seq4 != seq2+1 {
		t.Fatalf("after the deadline: last event %s (seq %d), want a timeout at seq %d", last.Type, seq4, seq2+1)
	}
}

// TestRevokeSurvivesRestart: a revoked token is refused, from the token
// cache and after a restart; the convener's own token cannot be revoked.
func TestRevokeSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	c := &clock{t: t0}
	svc := openAt(t, st, c)
	id, tk := saop(t, svc, 0)
	res, err := svc.Act(ctx, tk["convener"], live.Action{Type: live.EvInvited, Invite: live.InvitedData{Role: live.Observer, Party: "Press"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	press := res.Secret
	if _, err := svc.Authenticate(ctx, press); err != nil { // now cached
		t.Fatal(err)
	}
	res, err = svc.Act(ctx, tk["convener"], live.Action{Type: live.EvInvited, Invite: live.InvitedData{Role: live.Observer}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := res.Secret
	conv := tk["convener"]
	if _, err := svc.Act(ctx, conv, live.Action{Type: live.EvRevoked, Invitation: live.InvitationID(conv.Hash)}, nil); parley.ErrorCode(err) != parley.EFORBIDDEN {
		t.Fatalf("revoking the convener's own token: %v, want forbidden", err)
	}
	res, err = svc.Act(ctx, conv, live.Action{Type: live.EvRevoked, Invitation: live.InvitationID(live.HashSecret(press))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 || res.Events[0].Type != live.EvRevoked || res.Events[0].VisibleTo(live.Observer, "Press") || res.Events[0].VisibleTo(live.Participant, "Buyer") {
		t.Fatalf("revocation events %+v, want one for the convener only", res.Events)
	}
	if _, err := svc.Authenticate(ctx, press); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
		t.Fatalf("revoked token: %v, want unauthorized", err)
	}
	if _, err := svc.Subscribe(&live.Token{Hash: live.HashSecret(press), NegotiationID: id, Role: live.Observer, Party: "Press"}); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
		t.Fatalf("subscribing with a revoked token: %v", err)
	}
	svc.Close()
	svc = openAt(t, st, c)
	if _, err := svc.Authenticate(ctx, press); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
		t.Fatalf("revoked token after a restart: %v, want unauthorized", err)
	}
	// The other observer's token still works.
	if tok, err := svc.Authenticate(ctx, other); err != nil || tok.NegotiationID != id {
		t.Fatalf("unrevoked token after a restart: %+v, %v", tok, err)
	}
}

// TestStartPastYear9999: a start whose deadline falls beyond the year 9999
// (which JSON cannot encode) is an internal error that changes nothing,
// not a panic.
func TestStartPastYear9999(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	svc := openAt(t, st, &clock{t: time.Date(9999, 12, 31, 23, 30, 0, 0, time.UTC)})
	id, tk := saop(t, svc, 0)
	res, err := svc.Act(ctx, tk["convener"], live.Action{Type: live.EvStarted}, nil)
	if parley.ErrorCode(err) != parley.EINTERNAL || res != nil || !strings.Contains(err.Error(), "year outside of range") {
		t.Fatalf("start: %+v, %v; want an internal encoding error", res, err)
	}
	var phase live.Phase
	var seq int64
	if err := svc.State(id, func(s *live.State) { phase, seq = s.Phase, s.Seq }); err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(ctx, id, 0, 0)
	if err != nil || int64(len(evs)) != seq || phase != live.Setup {
		t.Fatalf("after the refused start: phase %s, seq %d, %d events stored (%v); want setup and nothing new", phase, seq, len(evs), err)
	}
}
