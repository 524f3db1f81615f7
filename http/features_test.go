package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"parley"
	"parley/client"
	httpapi "parley/http"
	"parley/live"
	"parley/service"
	"parley/store"
)

// call sends one raw request and returns the status, the answer's headers
// and its error code ("" for a success).
func (e *env) call(method, path, token, key, body string) (int, http.Header, string, []byte) {
	e.t.Helper()
	var rd io.Reader
	if method == "POST" {
		rd = strings.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, e.srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, resp.Header, "", nil
	}
	b, _ := io.ReadAll(resp.Body)
	var eb httpapi.ErrorBody
	json.Unmarshal(b, &eb)
	return resp.StatusCode, resp.Header, eb.Error.Code, b
}

// TestRevoke: a revoked token gets 401 on every route and changes nothing;
// its open stream ends; the revocation is seen by conveners only; the
// convener's token issued at the creation cannot be revoked.
func TestRevoke(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := start(t, b.open(t))
			ctx := context.Background()
			id, tk := e.setup(live.SAOP, "1h")
			conv := tk["convener"]
			tok, inv, err := conv.InviteID(ctx, id, live.Participant, "Seller")
			if err != nil {
				t.Fatal(err)
			}
			if want := live.InvitationID(live.HashSecret(tok)); inv != want {
				t.Fatalf("invitation id %q, want %q", inv, want)
			}
			// The invited event, seen by the convener, names the invitation.
			evs, err := conv.Events(ctx, id, 0)
			if err != nil {
				t.Fatal(err)
			}
			var d live.InvitedData
			json.Unmarshal(evs[len(evs)-1].Data, &d)
			if d.ID != inv || d.Party != "Seller" {
				t.Fatalf("last invited event %+v, want id %s for Seller", d, inv)
			}
			seller := e.c.WithToken(tok)
			if _, err := seller.Me(ctx); err != nil {
				t.Fatal(err)
			}
			// A stream open at the revocation ends with 401.
			streamErr := make(chan error, 1)
			subscribed := make(chan struct{})
			var once sync.Once
			sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			go func() {
				streamErr <- seller.Stream(sctx, id, 0, func(live.Event) error { once.Do(func() { close(subscribed) }); return nil })
			}()
			<-subscribed

			wantCode(t, func() error { _, err := tk["Buyer"].Revoke(ctx, id, inv, ""); return err }(), parley.EFORBIDDEN)
			_, err = conv.Revoke(ctx, id, "0123456789abcdef", "")
			wantCode(t, err, parley.ENOTFOUND)
			convInv := live.InvitationID(live.HashSecret(conv.Token))
			_, err = conv.Revoke(ctx, id, convInv, "")
			wantCode(t, err, parley.EFORBIDDEN)
			before := e.seq(id)
			revs, err := conv.Revoke(ctx, id, inv, "SECRET-lost")
			if err != nil {
				t.Fatal(err)
			}
			if len(revs) != 1 || revs[0].Type != live.EvRevoked || e.seq(id) != before+1 {
				t.Fatalf("revocation answer %+v", revs)
			}
			_, err = conv.Revoke(ctx, id, inv, "")
			wantCode(t, err, parley.ECONFLICT)
			if err := <-streamErr; parley.ErrorCode(err) != parley.EUNAUTHORIZED {
				t.Fatalf("the revoked token's stream ended with %v, want unauthorized", err)
			}
			// The convener's view lists the invitations in the order issued
			// (its own, Buyer, Seller, Judge, Press, then the second Seller),
			// the revoked one marked; no one else's view lists any.
			cv, err := conv.Negotiation(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			wantInv := []httpapi.InvitationView{{ID: convInv, Role: live.Convener}, {Role: live.Participant, Party: "Buyer"},
				{Role: live.Participant, Party: "Seller"}, {Role: live.Mediator, Party: "Judge"}, {Role: live.Observer, Party: "Press"},
				{ID: inv, Role: live.Participant, Party: "Seller", Revoked: true}}
			if len(cv.Invitations) != len(wantInv) {
				t.Fatalf("convener's invitations %+v, want %d", cv.Invitations, len(wantInv))
			}
			for i, w := range wantInv {
				g := cv.Invitations[i]
				if w.ID == "" {
					w.ID = live.InvitationID(live.HashSecret(tk[w.Party].Token))
				}
				if g != w {
					t.Errorf("invitation %d: %+v, want %+v", i, g, w)
				}
			}
			if bv, err := tk["Buyer"].Negotiation(ctx, id); err != nil || bv.Invitations != nil {
				t.Fatalf("Buyer's view lists invitations: %+v, %v", bv.Invitations, err)
			}
			// Conveners see the revocation; no one else does.
			for name, c := range tk {
				evs, err := c.Events(ctx, id, before)
				if err != nil {
					t.Fatal(err)
				}
				if seen := len(evs) == 1 && evs[0].Type == live.EvRevoked; seen != (name == "convener") {
					t.Errorf("%s sees the revocation: %v", name, seen)
				}
			}
			// Every route refuses the revoked token with 401 and changes
			// nothing, with or without an idempotency key.
			seq := e.seq(id)
			for _, rt := range e.api.Routes() {
				if !rt.Auth {
					continue
				}
				path := strings.NewReplacer("{id}", id, "{invitation}", inv).Replace(rt.Path)
				for _, key := range []string{"", "k"} {
					status, _, code, body := e.call(rt.Method, path, tok, key, rt.Example)
					if status != 401 || code != parley.EUNAUTHORIZED || !strings.Contains(string(body), "revoked") {
						t.Errorf("%s %s with the revoked token: %d %s", rt.Method, rt.Path, status, body)
					}
				}
			}
			if e.seq(id) != seq {
				t.Fatalf("calls with a revoked token grew the log from %d to %d", seq, e.seq(id))
			}
			// The other tokens still work.
			if _, err := tk["Buyer"].Offer(ctx, id, map[string]string{"price": "low", "days": "1"}); parley.ErrorCode(err) != parley.ECONFLICT {
				t.Fatalf("Buyer after the revocation: %v, want the not-started conflict", err)
			}
			if _, err := conv.Start(ctx, id); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRevokeSurvivesRestart: the revocation is in the log; a server opened
// on the same database refuses the token.
func TestRevokeSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	open := func() (store.Store, *service.Service, *httptest.Server) { return openSQLiteServer(t, path) }
	ctx := context.Background()
	st, svc, srv := open()
	c := client.New(srv.URL, "")
	res, err := c.Create(ctx, httpapi.CreateBody{Protocol: live.SAOP, Duration: "1h", Example: "astana"})
	if err != nil {
		t.Fatal(err)
	}
	conv := c.WithToken(res.ConvenerToken)
	tok, inv, err := conv.InviteID(ctx, res.ID, live.Observer, "")
	if err != nil {
		t.Fatal(err)
	}
	keep, err := conv.Invite(ctx, res.ID, live.Observer, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conv.Revoke(ctx, res.ID, inv, ""); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	srv.Close()
	st.Close()
	st, svc, srv = open()
	defer func() { svc.Close(); srv.Close(); st.Close() }()
	_, err = client.New(srv.URL, tok).Negotiation(ctx, res.ID)
	wantCode(t, err, parley.EUNAUTHORIZED)
	if _, err := client.New(srv.URL, keep).Negotiation(ctx, res.ID); err != nil {
		t.Fatalf("the unrevoked observer after the restart: %v", err)
	}
	_, err = client.New(srv.URL, res.ConvenerToken).Revoke(ctx, res.ID, inv, "")
	wantCode(t, err, parley.ECONFLICT) // still revoked
}

// TestIdempotencyKeyReused: a key sent again with the same request replays
// the answer; with another path or body it is refused (422) and nothing
// changes, also for a server opened later on the same store.
func TestIdempotencyKeyReused(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := start(t, b.open(t))
			id, tk := e.setup(live.SAOP, "1h")
			conv := tk["convener"].Token
			p := "/v1/negotiations/" + id
			status, _, _, first := e.call("POST", p+"/start", conv, "k1", "{}")
			if status != 200 {
				t.Fatalf("start: %d %s", status, first)
			}
			seq := e.seq(id)
			status, h, _, again := e.call("POST", p+"/start", conv, "k1", "{}")
			if status != 200 || h.Get("Idempotent-Replayed") != "true" || string(again) != string(first) {
				t.Fatalf("same request again: %d replayed=%q %s", status, h.Get("Idempotent-Replayed"), again)
			}
			for _, c := range []struct{ path, body string }{
				{p + "/stop", `{"comment": "stop"}`}, // another path
				{p + "/start", `{ }`},                // another body
			} {
				status, h, code, body := e.call("POST", c.path, conv, "k1", c.body)
				if status != 422 || code != parley.EKEYREUSED || h.Get("Idempotent-Replayed") != "" || !strings.Contains(string(body), "Idempotency-Key") {
					t.Fatalf("key k1 reused for POST %s %s: %d %s", c.path, c.body, status, body)
				}
			}
			var phase live.Phase
			e.svc.State(id, func(st *live.State) { phase = st.Phase })
			if e.seq(id) != seq || phase != live.Running {
				t.Fatalf("refused reuses changed the negotiation: seq %d → %d, phase %s", seq, e.seq(id), phase)
			}
			// Keys belong to a token: Buyer's k1 is a new request.
			status, _, _, body := e.call("POST", p+"/offers", tk["Buyer"].Token, "k1", `{"outcome": {"price": "low", "days": "1"}}`)
			if status != 200 || e.seq(id) != seq+1 {
				t.Fatalf("Buyer's own k1: %d %s", status, body)
			}
			// A server opened on the same store knows the fingerprints.
			svc2, err := service.Open(context.Background(), e.svc.Store(), service.Options{})
			if err != nil {
				t.Fatal(err)
			}
			srv2 := httptest.NewServer(httpapi.New(svc2, httpapi.Options{}))
			defer func() { svc2.Close(); srv2.Close() }()
			e2 := &env{t: t, svc: svc2, srv: srv2}
			if status, _, code, body := e2.call("POST", p+"/stop", conv, "k1", `{}`); status != 422 || code != parley.EKEYREUSED {
				t.Fatalf("reuse on a second server: %d %s", status, body)
			}
			if status, h, _, body := e2.call("POST", p+"/start", conv, "k1", "{}"); status != 200 || h.Get("Idempotent-Replayed") != "true" || string(body) != string(first) {
				t.Fatalf("replay on a second server: %d %s", status, body)
			}
		})
	}
}

// clock is a settable clock for service.Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestTurnLimitAPI: the turn_limit field is checked, shown in the view with
// the current turn's deadline, and a late participant is refused while the
// turn passes on with a public turn-expired event.
func TestTurnLimitAPI(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
			clk := &clock{t: t0}
			st := b.open(t)
			svc, err := service.Open(context.Background(), st, service.Options{Now: clk.now})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{Examples: os.DirFS("../examples")}))
			t.Cleanup(func() { svc.Close(); srv.Close(); st.Close() })
			e := &env{t: t, svc: svc, srv: srv, c: client.New(srv.URL, "")}
			ctx := context.Background()
			for _, c := range []struct{ protocol, duration, turn, want string }{
				{live.SAOP, "1h", "soon", `turn_limit: "soon" is not a duration`},
				{live.SAOP, "1h", "0s", "turn_limit: must be positive"},
				{live.SAOP, "1h", "-5m", "turn_limit: must be positive"},
				{live.SAOP, "1h", "61m", "turn_limit: must be positive and at most the duration (1h0m0s)"},
				{live.SingleText, "1h", "10m", "turn_limit: only saop negotiations take turns"},
			} {
				_, err := e.c.Create(ctx, httpapi.CreateBody{Protocol: c.protocol, Duration: c.duration, TurnLimit: c.turn, Example: "astana"})
				if parley.ErrorCode(err) != parley.EINVALID || !strings.Contains(err.Error(), c.want) {
					t.Errorf("turn_limit %q on %s: %v, want invalid %q", c.turn, c.protocol, err, c.want)
				}
			}
			if n := len(svc.Negotiations()); n != 0 {
				t.Fatalf("refused creations left %d negotiations", n)
			}
			res, err := e.c.Create(ctx, httpapi.CreateBody{Title: "t", Protocol: live.SAOP, Duration: "1h", TurnLimit: "10m", Scenario: json.RawMessage(tinyScenario)})
			if err != nil {
				t.Fatal(err)
			}
			id := res.ID
			var created live.CreatedData
			json.Unmarshal(res.Events[0].Data, &created)
			if created.TurnLimit != "10m0s" {
				t.Fatalf("created event's turn_limit %q, want 10m0s", created.TurnLimit)
			}
			conv := e.c.WithToken(res.ConvenerToken)
			toks := map[string]*client.Client{}
			for _, p := range []string{"Buyer", "Seller", "Press"} {
				role := live.Participant
				if p == "Press" {
					role = live.Observer
				}
				tok, err := conv.Invite(ctx, id, role, p)
				if err != nil {
					t.Fatal(err)
				}
				toks[p] = e.c.WithToken(tok)
			}
			if _, err := conv.Start(ctx, id); err != nil {
				t.Fatal(err)
			}
			v, err := toks["Press"].Negotiation(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if v.TurnLimit != "10m0s" || v.Turn != "Buyer" || v.TurnDeadline == nil || !v.TurnDeadline.Equal(t0.Add(10*time.Minute)) {
				t.Fatalf("view: turn_limit %q, turn %s until %v; want 10m0s, Buyer until 12:10", v.TurnLimit, v.Turn, v.TurnDeadline)
			}
			seq := e.seq(id)
			clk.set(t0.Add(12 * time.Minute))
			_, err = toks["Buyer"].Offer(ctx, id, map[string]string{"price": "low", "days": "1"})
			if parley.ErrorCode(err) != parley.ECONFLICT || !strings.Contains(err.Error(), "your turn expired at 2026-11-29T12:10:00Z") {
				t.Fatalf("Buyer's late offer: %v", err)
			}
			evs, err := toks["Press"].Events(ctx, id, seq)
			if err != nil {
				t.Fatal(err)
			}
			var d live.TurnExpiredData
			if len(evs) != 1 || evs[0].Type != live.EvTurnExpired || json.Unmarshal(evs[0].Data, &d) != nil || d.Party != "Buyer" || !d.Deadline.Equal(t0.Add(10*time.Minute)) {
				t.Fatalf("events after the late offer (as the observer): %+v", evs)
			}
			v, err = toks["Press"].Negotiation(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if v.Turn != "Seller" || !v.TurnDeadline.Equal(t0.Add(22*time.Minute)) {
				t.Fatalf("view after the expiry: turn %s until %v; want Seller until 12:22", v.Turn, v.TurnDeadline)
			}
			if _, err := toks["Seller"].Offer(ctx, id, map[string]string{"price": "high", "days": "3"}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
