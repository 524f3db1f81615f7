package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley"
	"parley/client"
	httpapi "parley/http"
	"parley/live"
	"parley/memstore"
	"parley/postgres"
	"parley/postgres/pgtest"
	"parley/scenario"
	"parley/service"
	"parley/sqlite"
	"parley/store"
)

// backend opens a fresh store of one kind.
type backend struct {
	name string
	open func(t *testing.T) store.Store
}

// backends are the stores the API tests run against: every real one.
func backends() []backend {
	return []backend{
		{"memory", func(t *testing.T) store.Store { return memstore.New() }},
		{"sqlite", func(t *testing.T) store.Store {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "parley.db"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"postgres", func(t *testing.T) store.Store {
			s, err := postgres.Open(context.Background(), pgtest.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
}

// env is a running API server for one test.
type env struct {
	t   testing.TB
	svc *service.Service
	api *httpapi.Server
	srv *httptest.Server
	c   *client.Client
}

func start(t testing.TB, st store.Store) *env {
	t.Helper()
	svc, err := service.Open(context.Background(), st, service.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(svc, httpapi.Options{Examples: os.DirFS("../examples")})
	srv := httptest.NewServer(api)
	t.Cleanup(func() {
		svc.Close()
		srv.Close()
		st.Close()
	})
	return &env{t: t, svc: svc, api: api, srv: srv, c: client.New(srv.URL, "")}
}

const tinyScenario = `{"name": "tiny", "issues": [
  {"name": "price", "type": "categorical", "values": ["low", "mid", "high"]},
  {"name": "days", "type": "integer", "min": 1, "max": 3}],
 "parties": [
  {"name": "Buyer", "role": "participant", "reservation": 0.3,
   "preferences": {"linear": {"issues": {"price": {"weight": 0.6, "values": {"low": 1, "mid": 0.5, "high": 0}}, "days": {"weight": 0.4, "function": {"shape": "linear", "at_min": 0, "at_max": 1}}}}}},
  {"name": "Seller", "role": "participant", "reservation": 0.3,
   "preferences": {"linear": {"issues": {"price": {"weight": 0.7, "values": {"low": 0, "mid": 0.5, "high": 1}}, "days": {"weight": 0.3, "function": {"shape": "linear", "at_min": 1, "at_max": 0}}}}}},
  {"name": "Judge", "role": "mediator"},
  {"name": "Press", "role": "observer"}]}`

// setup creates a negotiation over the tiny scenario and invites everyone.
func (e *env) setup(protocol, duration string) (id string, tokens map[string]*client.Client) {
	e.t.Helper()
	ctx := context.Background()
	res, err := e.c.Create(ctx, httpapi.CreateBody{Title: "t", Protocol: protocol, Duration: duration, Scenario: json.RawMessage(tinyScenario)})
	if err != nil {
		e.t.Fatal(err)
	}
	conv := e.c.WithToken(res.ConvenerToken)
	tokens = map[string]*client.Client{"convener": conv}
	invite := func(role live.Role, party string) {
		tok, err := conv.Invite(ctx, res.ID, role, party)
		if err != nil {
			e.t.Fatalf("invite %s %s: %v", role, party, err)
		}
		tokens[party] = e.c.WithToken(tok)
	}
	invite(live.Participant, "Buyer")
	invite(live.Participant, "Seller")
	if protocol != live.Broker {
		invite(live.Mediator, "Judge")
	}
	invite(live.Observer, "Press")
	return res.ID, tokens
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := parley.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func (e *env) seq(id string) int64 {
	var n int64
	if err := e.svc.State(id, func(st *live.State) { n = st.Seq }); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestSAOP(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := start(t, b.open(t))
			ctx := context.Background()
			id, tk := e.setup(live.SAOP, "1h")
			_, err := tk["Buyer"].Offer(ctx, id, map[string]string{"price": "low", "days": "3"})
			wantCode(t, err, parley.ECONFLICT) // not started
			if _, err := tk["convener"].Start(ctx, id); err != nil {
				t.Fatal(err)
			}
			before := e.seq(id)
			_, err = tk["Seller"].Offer(ctx, id, map[string]string{"price": "high", "days": "1"})
			wantCode(t, err, parley.ECONFLICT) // Buyer's turn
			_, err = tk["Buyer"].Offer(ctx, id, map[string]string{"price": "cheap", "days": "1"})
			wantCode(t, err, parley.EINVALID)
			if !strings.Contains(err.Error(), "outcome") {
				t.Fatalf("error %q does not name the field", err)
			}
			_, err = tk["Buyer"].Accept(ctx, id, 0)
			wantCode(t, err, parley.ECONFLICT) // nothing to accept
			_, err = tk["Press"].Offer(ctx, id, map[string]string{"price": "low", "days": "1"})
			wantCode(t, err, parley.EFORBIDDEN)
			_, err = tk["Judge"].Offer(ctx, id, map[string]string{"price": "low", "days": "1"})
			wantCode(t, err, parley.EFORBIDDEN)
			if got := e.seq(id); got != before {
				t.Fatalf("refused actions changed the log: seq %d → %d", before, got)
			}
			if _, err := tk["Buyer"].Offer(ctx, id, map[string]string{"price": "low", "days": "3"}); err != nil {
				t.Fatal(err)
			}
			if _, err := tk["Seller"].Offer(ctx, id, map[string]string{"price": "mid", "days": "2"}); err != nil {
				t.Fatal(err)
			}
			evs, err := tk["Buyer"].Accept(ctx, id, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 2 || evs[0].Type != live.EvAccept || evs[1].Type != live.EvAgreement {
				t.Fatalf("accept gave %+v, want accept and agreement", evs)
			}
			v, err := tk["Press"].Negotiation(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if v.Phase != live.Agreed || v.Agreement["price"] != "mid" || v.Agreement["days"] != "2" {
				t.Fatalf("view %+v, want agreement on mid/2", v)
			}
			if len(v.Acceptances) != 2 || v.Acceptances[0].Party != "Seller" || v.Acceptances[1].Party != "Buyer" {
				t.Fatalf("acceptances %+v, want Seller (proposer) then Buyer", v.Acceptances)
			}
			if v.Private != nil {
				t.Fatalf("an observer sees private data: %+v", v.Private)
			}
			_, err = tk["Seller"].Offer(ctx, id, map[string]string{"price": "high", "days": "1"})
			wantCode(t, err, parley.ECONFLICT) // over
			me, err := tk["Buyer"].Negotiation(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if me.Private == nil || me.Private.Name != "Buyer" || me.Private.Preferences == nil || *me.Private.Reservation != 0.3 {
				t.Fatalf("a participant does not see its own preferences: %+v", me.Private)
			}
		})
	}
}

func TestSingleText(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := start(t, b.open(t))
			ctx := context.Background()
			id, tk := e.setup(live.SingleText, "1h")
			if _, err := tk["convener"].Start(ctx, id); err != nil {
				t.Fatal(err)
			}
			_, err := tk["Buyer"].Accept(ctx, id, 1)
			wantCode(t, err, parley.ECONFLICT) // no text yet
			if _, err := tk["Judge"].Text(ctx, id, map[string]string{"price": "high", "days": "1"}, "draft one"); err != nil {
				t.Fatal(err)
			}
			if _, err := tk["Buyer"].Critique(ctx, id, 1, []string{"price"}, "too dear for us"); err != nil {
				t.Fatal(err)
			}
			_, err = tk["Buyer"].Accept(ctx, id, 1)
			wantCode(t, err, parley.ECONFLICT) // answered already
			_, err = tk["Seller"].Critique(ctx, id, 1, []string{"colour"}, "")
			wantCode(t, err, parley.EINVALID)
			if _, err := tk["Seller"].Accept(ctx, id, 1); err != nil {
				t.Fatal(err)
			}
			// The Seller does not see the Buyer's critique; the mediator does.
			for who, want := range map[string]bool{"Seller": false, "Press": false, "convener": false, "Judge": true, "Buyer": true} {
				evs, err := tk[who].Events(ctx, id, 0)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, ev := range evs {
					if ev.Type == live.EvCritique {
						found = true
					}
				}
				if found != want {
					t.Errorf("%s sees the critique: %v, want %v", who, found, want)
				}
			}
			sugg, err := tk["Judge"].Suggest(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(sugg) != 1 || sugg[0].Type != live.EvSuggestion {
				t.Fatalf("suggestion events %+v", sugg)
			}
			_, err = tk["Buyer"].Suggest(ctx, id)
			wantCode(t, err, parley.EFORBIDDEN)
			if _, err := tk["Judge"].Text(ctx, id, map[string]string{"price": "mid", "days": "2"}, "draft two"); err != nil {
				t.Fatal(err)
			}
			_, err = tk["Buyer"].Accept(ctx, id, 1)
			wantCode(t, err, parley.ECONFLICT) // old version
			if _, err := tk["Buyer"].Accept(ctx, id, 2); err != nil {
				t.Fatal(err)
			}
			evs, err := tk["Seller"].Accept(ctx, id, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 2 || evs[1].Type != live.EvAgreement {
				t.Fatalf("last accept gave %+v", evs)
			}
			v, _ := tk["Press"].Negotiation(ctx, id)
			if v.Phase != live.Agreed || len(v.Versions) != 2 || v.Agreement["price"] != "mid" {
				t.Fatalf("view %+v", v)
			}
			if got := v.Versions[0].AcceptedBy; len(got) != 1 || got[0] != "Seller" {
				t.Fatalf("version 1 accepted by %v, want [Seller]", got)
			}
		})
	}
}

func TestBrokerAgreesOnTiny(t *testing.T) {
	e := start(t, memstore.New())
	ctx := context.Background()
	id, tk := e.setup(live.Broker, "1h")
	if _, err := tk["convener"].Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	v, err := tk["Press"].Negotiation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Versions) != 1 || v.Versions[0].By != "Judge" || v.Versions[0].Comment == "" {
		t.Fatalf("the broker drafted no first text: %+v", v.Versions)
	}
	for _, p := range []string{"Buyer", "Seller"} {
		if _, err := tk[p].Accept(ctx, id, 1); err != nil {
			t.Fatal(err)
		}
	}
	v, _ = tk["Press"].Negotiation(ctx, id)
	if v.Phase != live.Agreed {
		t.Fatalf("phase %s, want agreement", v.Phase)
	}
}

func TestAuth(t *testing.T) {
	e := start(t, memstore.New())
	ctx := context.Background()
	id, tk := e.setup(live.SAOP, "1h")
	other, otk := e.setup(live.SAOP, "1h")
	_ = other
	before := e.seq(id)
	_, err := e.c.Start(ctx, id)
	wantCode(t, err, parley.EUNAUTHORIZED)
	_, err = e.c.WithToken("prl_nonsense").Start(ctx, id)
	wantCode(t, err, parley.EUNAUTHORIZED)
	_, err = otk["convener"].Start(ctx, id)
	wantCode(t, err, parley.EFORBIDDEN)
	_, err = tk["Buyer"].Start(ctx, id)
	wantCode(t, err, parley.EFORBIDDEN)
	_, err = tk["Press"].Invite(ctx, id, live.Observer, "")
	wantCode(t, err, parley.EFORBIDDEN)
	_, err = otk["Buyer"].Negotiation(ctx, id)
	wantCode(t, err, parley.EFORBIDDEN)
	if got := e.seq(id); got != before {
		t.Fatalf("refused requests changed the log: %d → %d", before, got)
	}
	_, err = tk["convener"].Invite(ctx, id, live.Participant, "Judge")
	wantCode(t, err, parley.EINVALID)
	_, err = tk["convener"].Invite(ctx, id, "king", "Buyer")
	wantCode(t, err, parley.EINVALID)
}

func post(t *testing.T, url, token, key, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp, buf.Bytes()
}

func TestIdempotencyAndBodies(t *testing.T) {
	e := start(t, memstore.New())
	ctx := context.Background()
	id, tk := e.setup(live.SAOP, "1h")
	if _, err := tk["convener"].Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	url := e.srv.URL + "/v1/negotiations/" + id + "/offers"
	body := `{"outcome": {"price": "low", "days": "2"}}`
	r1, b1 := post(t, url, tk["Buyer"].Token, "k1", body)
	seq := e.seq(id)
	r2, b2 := post(t, url, tk["Buyer"].Token, "k1", body)
	if r1.StatusCode != 200 || r2.StatusCode != 200 || !bytes.Equal(b1, b2) || r2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s / %d %s", r1.StatusCode, b1, r2.StatusCode, b2)
	}
	if e.seq(id) != seq {
		t.Fatal("a replayed request stored a new event")
	}
	for _, c := range []struct {
		body, field string
		status      int
	}{
		{`{"outcome": {"price": "low", "days": "2"}, "colour": 1}`, "colour", 400},
		{`{"outcome": "low"}`, "outcome", 400},
		{`{"outcome": {"price": "low"}`, "body", 400},
		{`{"version": 1}`, "version", 400},
		{`{"outcome": {"price": "low", "days": "9"}}`, "outcome", 400},
		{`{"comment": "` + strings.Repeat("x", httpapi.MaxBody) + `"}`, "body", 413},
		// Trailing data after the object, also a '}' or ']'.
		{`{"outcome": {"price": "low", "days": "2"}}}`, "body: data after the JSON object", 400},
		{`{"outcome": {"price": "low", "days": "2"}}]`, "body: data after the JSON object", 400},
		{`{"outcome": {"price": "low", "days": "2"}} {}`, "body: data after the JSON object", 400},
	} {
		resp, b := post(t, url, tk["Seller"].Token, "", c.body)
		if resp.StatusCode != c.status {
			t.Errorf("body %.60q: status %d, want %d (%s)", c.body, resp.StatusCode, c.status, b)
			continue
		}
		if c.status == 400 && !strings.Contains(string(b), c.field) {
			t.Errorf("body %.60q: error %s does not name %q", c.body, b, c.field)
		}
	}
	if resp, b := post(t, url, tk["Buyer"].Token, "k2", body); resp.StatusCode != 409 {
		t.Errorf("offer out of turn: status %d (%s), want 409", resp.StatusCode, b)
	}
	// Idempotency keys are at most 200 visible ASCII characters.
	for _, key := range []string{"k 1", "k\xbb", strings.Repeat("k", 201)} {
		if resp, b := post(t, url, tk["Seller"].Token, key, body); resp.StatusCode != 400 || !strings.Contains(string(b), "Idempotency-Key") {
			t.Errorf("Idempotency-Key %.20q: status %d (%s), want 400 naming the header", key, resp.StatusCode, b)
		}
	}
	if resp, b := post(t, url, tk["Seller"].Token, strings.Repeat("k", 200), body); resp.StatusCode != 200 {
		t.Errorf("a 200-character Idempotency-Key: status %d (%s), want 200", resp.StatusCode, b)
	}
	seq++ // the Seller's offer
	if e.seq(id) != seq {
		t.Fatal("refused bodies changed the log")
	}
}

func TestDeadline(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := start(t, b.open(t))
			ctx := context.Background()
			id, tk := e.setup(live.SAOP, "300ms")
			if _, err := tk["convener"].Start(ctx, id); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				v, err := tk["Press"].Negotiation(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if v.Phase == live.TimedOut {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("phase %s 5 s after a 300 ms deadline", v.Phase)
				}
				time.Sleep(20 * time.Millisecond)
			}
			_, err := tk["Buyer"].Offer(ctx, id, map[string]string{"price": "low", "days": "2"})
			wantCode(t, err, parley.ECONFLICT)
		})
	}
}

// TestDeadlineAcrossRestart stops the server before the deadline and opens
// it again after: the deadline fires on opening.
func TestDeadlineAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.Open(context.Background(), st, service.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{}))
	e := &env{t: t, svc: svc, srv: srv, c: client.New(srv.URL, "")}
	ctx := context.Background()
	id, tk := e.setup(live.SAOP, "400ms")
	if _, err := tk["convener"].Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	srv.Close()
	st.Close()
	time.Sleep(600 * time.Millisecond)
	st, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err = service.Open(context.Background(), st, service.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	var phase live.Phase
	svc.State(id, func(s *live.State) { phase = s.Phase })
	if phase != live.TimedOut {
		t.Fatalf("phase %s after reopening past the deadline, want timed_out", phase)
	}
	evs, _ := st.Events(ctx, id, 0, 0)
	if err := live.Verify(live.LinksOf(evs)); err != nil {
		t.Fatal(err)
	}
}

func TestStreamResume(t *testing.T) {
	e := start(t, memstore.New())
	ctx := context.Background()
	id, tk := e.setup(live.SingleText, "1h")
	tk["convener"].Start(ctx, id)
	tk["Judge"].Text(ctx, id, map[string]string{"price": "high", "days": "1"}, "v1")
	tk["Buyer"].Critique(ctx, id, 1, []string{"price"}, "no")
	// The Seller streams from the start, stops after the text, resumes.
	var got []live.Event
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := tk["Seller"].Stream(sctx, id, 0, func(ev live.Event) error {
		got = append(got, ev)
		if ev.Type == live.EvText {
			return client.ErrStop
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	last := got[len(got)-1].Seq
	done := make(chan error, 1)
	go func() {
		done <- tk["Seller"].Stream(sctx, id, last, func(ev live.Event) error {
			got = append(got, ev)
			if ev.Type == live.EvAgreement {
				return client.ErrStop
			}
			return nil
		})
	}()
	time.Sleep(50 * time.Millisecond)
	tk["Seller"].Accept(ctx, id, 1)
	tk["Judge"].Text(ctx, id, map[string]string{"price": "mid", "days": "2"}, "v2")
	tk["Buyer"].Accept(ctx, id, 2)
	tk["Seller"].Accept(ctx, id, 2)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want, _ := tk["Seller"].Events(ctx, id, 0)
	if len(got) != len(want) {
		t.Fatalf("streamed %d events, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Seq != want[i].Seq || got[i].Hash != want[i].Hash {
			t.Fatalf("event %d: streamed seq %d, want %d", i, got[i].Seq, want[i].Seq)
		}
		if got[i].Type == live.EvCritique || got[i].Type == live.EvInvited {
			t.Fatalf("the Seller was streamed a private event: %+v", got[i])
		}
	}
}

// TestIssuesAloneAndOwnPreferences creates a broker negotiation from issues
// and parties only: it cannot start until every participant has entered its
// own preferences, each of which only its owner sees.
func TestIssuesAloneAndOwnPreferences(t *testing.T) {
	e := start(t, memstore.New())
	ctx := context.Background()
	var body httpapi.CreateBody
	if err := json.Unmarshal([]byte(`{"title": "two issues", "protocol": "broker", "duration": "1h",
		"issues": [{"name": "a", "type": "categorical", "values": ["x", "y"]}, {"name": "b", "type": "integer", "min": 0, "max": 2}],
		"parties": [{"name": "P", "role": "participant"}, {"name": "Q", "role": "participant"}]}`), &body); err != nil {
		t.Fatal(err)
	}
	res, err := e.c.Create(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	conv := e.c.WithToken(res.ConvenerToken)
	tok := map[string]*client.Client{}
	for _, p := range []string{"P", "Q"} {
		s, err := conv.Invite(ctx, res.ID, live.Participant, p)
		if err != nil {
			t.Fatal(err)
		}
		tok[p] = e.c.WithToken(s)
	}
	_, err = conv.Start(ctx, res.ID)
	wantCode(t, err, parley.ECONFLICT) // no preferences yet
	var prefs struct {
		P scenario.Preferences `json:"p"`
	}
	json.Unmarshal([]byte(`{"p": {"linear": {"issues": {"a": {"weight": 0.5, "values": {"x": 1, "y": 0}}, "b": {"weight": 0.5, "function": {"shape": "linear", "at_min": 0, "at_max": 1}}}}}}`), &prefs)
	_, err = tok["P"].Preferences(ctx, res.ID, &scenario.Preferences{Linear: &scenario.Linear{Issues: map[string]scenario.LinearIssue{"zzz": {Weight: 1}}}}, nil)
	wantCode(t, err, parley.EINVALID)
	r := 0.25
	if _, err := tok["P"].Preferences(ctx, res.ID, &prefs.P, &r); err != nil {
		t.Fatal(err)
	}
	if _, err := tok["Q"].Preferences(ctx, res.ID, &prefs.P, nil); err != nil {
		t.Fatal(err)
	}
	v, _ := tok["Q"].Negotiation(ctx, res.ID)
	if v.Private == nil || v.Private.Reservation != nil {
		t.Fatalf("Q's private view %+v: Q sees a reservation it did not enter", v.Private)
	}
	evs, _ := tok["Q"].Events(ctx, res.ID, 0)
	for _, ev := range evs {
		if ev.Type == live.EvPreferences && ev.Party != "Q" {
			t.Fatalf("Q sees %s's preferences", ev.Party)
		}
	}
	if _, err := conv.Start(ctx, res.ID); err != nil {
		t.Fatal(err)
	}
	v, _ = conv.Negotiation(ctx, res.ID)
	if len(v.Versions) != 1 || v.Versions[0].By != "broker" {
		t.Fatalf("the broker drafted %+v", v.Versions)
	}
}

// lockedBuffer is a log destination safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lateEnv is a memory-store server with a logged single-text negotiation
// set up, whose clock then jumps to the year 10000: times JSON cannot
// hold, so that the events of every later action cannot be encoded.
func lateEnv(t *testing.T) (e *env, st *memstore.Store, logs *lockedBuffer, id string, tk map[string]*client.Client) {
	t.Helper()
	var now atomic.Pointer[time.Time]
	t0 := time.Now()
	now.Store(&t0)
	st = memstore.New()
	svc, err := service.Open(context.Background(), st, service.Options{Now: func() time.Time { return *now.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	logs = &lockedBuffer{}
	api := httpapi.New(svc, httpapi.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	srv := httptest.NewServer(api)
	t.Cleanup(func() {
		svc.Close()
		srv.Close()
		st.Close()
	})
	e = &env{t: t, svc: svc, api: api, srv: srv, c: client.New(srv.URL, "")}
	id, tk = e.setup(live.SingleText, "1h")
	late := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	now.Store(&late)
	return e, st, logs, id, tk
}

// TestReplyEncodeError: when the reply of an idempotent request cannot be
// encoded (its events are dated after the year 9999, which JSON times
// cannot hold), the request fails with a logged internal error, 500,
// changes nothing and stores no reply: a retry fails the same way, it is
// not answered with an empty stored reply.
func TestReplyEncodeError(t *testing.T) {
	e, _, logs, id, tk := lateEnv(t)
	svc := e.svc

	neg := e.srv.URL + "/v1/negotiations/" + id
	for _, c := range []struct {
		name, url, token, body string
	}{
		{"create", e.srv.URL + "/v1/negotiations", "", `{"protocol": "saop", "duration": "1h", "scenario": ` + tinyScenario + `}`},
		{"invite", neg + "/invitations", tk["convener"].Token, `{"role": "observer"}`},
		{"preferences", neg + "/preferences", tk["Buyer"].Token,
			`{"preferences": {"linear": {"issues": {"price": {"weight": 1, "values": {"low": 1, "mid": 0.5, "high": 0}}, "days": {"weight": 0, "function": {"shape": "linear", "at_min": 0, "at_max": 1}}}}}}`},
		{"stop", neg + "/stop", tk["convener"].Token, `{"comment": "x"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			seq, negs, logged := e.seq(id), len(svc.Negotiations()), strings.Count(logs.String(), "encode reply")
			for try := range 2 {
				resp, b := post(t, c.url, c.token, "key-"+c.name, c.body)
				if resp.StatusCode != 500 || !strings.Contains(string(b), `"code":"internal"`) || resp.Header.Get("Idempotent-Replayed") != "" {
					t.Fatalf("try %d: status %d %q (replayed %q), want 500 internal", try, resp.StatusCode, b, resp.Header.Get("Idempotent-Replayed"))
				}
			}
			if e.seq(id) != seq || len(svc.Negotiations()) != negs {
				t.Fatalf("seq %d, %d negotiations after failed requests; want %d, %d", e.seq(id), len(svc.Negotiations()), seq, negs)
			}
			if n := strings.Count(logs.String(), "encode reply") - logged; n != 2 {
				t.Fatalf("the encoding error was logged %d times, want 2: %s", n, logs.String())
			}
		})
	}
}

// TestAnswerEncodeError: when the answer to a request without an
// idempotency key cannot be encoded (its events are dated after the year
// 9999), the action is stored all the same, and the request gets 500 with
// the internal error body and an error log naming the route and the
// negotiation and saying that the action was stored. A create whose
// negotiation the store cannot encode is an internal error that stores
// nothing.
func TestAnswerEncodeError(t *testing.T) {
	e, st, logs, id, tk := lateEnv(t)
	svc := e.svc

	neg := e.srv.URL + "/v1/negotiations/" + id
	for _, c := range []struct {
		name, url, route, token, body string
	}{
		{"invite", neg + "/invitations", "POST /v1/negotiations/{id}/invitations", tk["convener"].Token, `{"role": "observer"}`},
		{"stop", neg + "/stop", "POST /v1/negotiations/{id}/stop", tk["convener"].Token, `{"comment": "x"}`},
	} {
		seq := e.seq(id)
		resp, b := post(t, c.url, c.token, "", c.body)
		if resp.StatusCode != 500 || string(b) != `{"error":{"code":"internal","message":"internal error"}}`+"\n" {
			t.Fatalf("%s: status %d %q, want 500 and the internal error", c.name, resp.StatusCode, b)
		}
		if e.seq(id) != seq+1 {
			t.Fatalf("%s: seq %d after the request, want %d: the action is stored", c.name, e.seq(id), seq+1)
		}
		want := fmt.Sprintf(`level=ERROR msg="answer not encoded; the action was stored" route="%s" negotiation=%s stored=true err=`, c.route, id)
		if n := strings.Count(logs.String(), want); n != 1 {
			t.Fatalf("%s: %d log lines %q, want 1:\n%s", c.name, n, want, logs.String())
		}
	}

	negs := len(svc.Negotiations())
	resp, b := post(t, e.srv.URL+"/v1/negotiations", "", "", `{"protocol": "saop", "duration": "1h", "scenario": `+tinyScenario+`}`)
	if resp.StatusCode != 500 || !strings.Contains(string(b), `"code":"internal"`) {
		t.Fatalf("create: status %d %q, want 500 internal", resp.StatusCode, b)
	}
	if len(svc.Negotiations()) != negs || !regexp.MustCompile(`msg="internal error" err=".*encode negotiation`).MatchString(logs.String()) {
		t.Fatalf("create: %d negotiations, want %d; logs:\n%s", len(svc.Negotiations()), negs, logs.String())
	}
	if ns, err := st.Negotiations(context.Background()); err != nil || len(ns) != negs {
		t.Fatalf("the store holds %d negotiations (%v), want %d", len(ns), err, negs)
	}
}

// TestDeadlinesOutOfRange: a create request whose deadline would fall in
// the year 3000 or 1600 — beyond the times events can hold (1677–2262) —
// is refused with 400 naming the field, and stores nothing. The deadline
// is the start plus the duration, or the scenario's deadline in seconds
// (which live negotiations keep in their scenario).
func TestDeadlinesOutOfRange(t *testing.T) {
	now := time.Now()
	hoursTo := func(year int) int64 { return (time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - now.Unix()) / 3600 }
	secondsTo := func(year int) int64 { return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - now.Unix() }
	withDeadline := func(seconds int64) string {
		return strings.Replace(tinyScenario, `{"name": "tiny",`, fmt.Sprintf(`{"name": "tiny", "deadline": {"seconds": %d},`, seconds), 1)
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := start(t, b.open(t))
			for _, c := range []struct{ name, body, field string }{
				{"duration to 3000", fmt.Sprintf(`{"protocol": "saop", "duration": "%dh", "example": "astana"}`, hoursTo(3000)), "duration: "},
				{"duration to 1600", fmt.Sprintf(`{"protocol": "saop", "duration": "%dh", "example": "astana"}`, hoursTo(1600)), "duration: "},
				{"scenario deadline in 3000", fmt.Sprintf(`{"protocol": "saop", "duration": "1h", "scenario": %s}`, withDeadline(secondsTo(3000))), "deadline.seconds: "},
				{"scenario deadline in 1600", fmt.Sprintf(`{"protocol": "saop", "duration": "1h", "scenario": %s}`, withDeadline(secondsTo(1600))), "deadline.seconds: "},
			} {
				resp, body := post(t, e.srv.URL+"/v1/negotiations", "", "", c.body)
				var eb httpapi.ErrorBody
				if err := json.Unmarshal(body, &eb); err != nil || resp.StatusCode != http.StatusBadRequest || eb.Error.Code != parley.EINVALID || !strings.Contains(eb.Error.Message, c.field) {
					t.Errorf("%s: status %d %s, want 400 invalid naming %q", c.name, resp.StatusCode, body, c.field)
				}
			}
			ns, err := e.svc.Store().Negotiations(context.Background())
			if err != nil || len(ns) != 0 || len(e.svc.Negotiations()) != 0 {
				t.Fatalf("after refused creates: %d negotiations stored (%v), %d served; want none", len(ns), err, len(e.svc.Negotiations()))
			}
		})
	}
}
