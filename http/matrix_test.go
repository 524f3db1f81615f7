package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"parley/client"
	httpapi "parley/http"
	"parley/live"
	"parley/scenario"
)

// marked holds every participant's confidential numbers: the values and
// reservation of its preferences, unique to it, so that a response that
// holds one of them leaks that participant's preferences.
type marked struct {
	owner map[float64]string
}

// markedPreferences returns preferences over sc's issues whose every value
// is a marker of participant i (set s: file or entered).
func markedPreferences(sc *scenario.Scenario, i, set int, m *marked, party string) (*scenario.Preferences, float64) {
	lin := &scenario.Linear{Issues: map[string]scenario.LinearIssue{}}
	for j, is := range sc.Issues {
		vals := map[string]float64{}
		for k, v := range is.Values {
			x := 0.3 + float64(set*10+i)*0.001 + float64(j*10+k)*0.000001 + 0.0000003
			x = math.Round(x*1e9) / 1e9
			vals[v] = x
			m.owner[x] = party
		}
		lin.Issues[is.Name] = scenario.LinearIssue{Weight: 1, Values: vals}
	}
	r := math.Round((0.1+float64(set*10+i)*0.001+0.0000007)*1e9) / 1e9
	m.owner[r] = party
	return &scenario.Preferences{Linear: lin}, r
}

// leaks walks a JSON document and returns what in it belongs to a
// participant other than the reader may see: marker numbers and private
// comments.
func (m *marked) leaks(doc []byte, role live.Role, party string) []string {
	var v any
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		case json.Number:
			f, err := x.Float64()
			if err == nil {
				if owner, ok := m.owner[f]; ok && !(role == live.Participant && owner == party) {
					out = append(out, fmt.Sprintf("%s's preference number %s", owner, x))
				}
			}
		case string:
			if i := strings.Index(x, "SECRET-"); i >= 0 {
				owner := strings.TrimPrefix(x[i:], "SECRET-")
				if role != live.Mediator && !(role == live.Participant && owner == party) {
					out = append(out, fmt.Sprintf("%s's private comment", owner))
				}
			}
		}
	}
	walk(v)
	return out
}

// TestConfidentialityMatrix calls every route of the route table with every
// role's token (and none, and another negotiation's) on a negotiation full
// of confidential data, and checks that no answer, stream included, holds
// another participant's preferences or private events, and that refused
// calls change nothing.
func TestConfidentialityMatrix(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { matrix(t, b) })
	}
}

func matrix(t *testing.T, b backend) {
	e := start(t, b.open(t))
	ctx := context.Background()
	data, err := os.ReadFile("../examples/astana.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse(data, "astana.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := &marked{owner: map[float64]string{}}
	parts := sc.Participants()
	for n, pi := range parts {
		p := &sc.Parties[pi]
		prefs, r := markedPreferences(sc, n, 0, m, p.Name)
		p.Preferences, p.Reservation = prefs, &r
	}
	scJSON, _ := json.Marshal(sc)
	res, err := e.c.Create(ctx, httpapi.CreateBody{Protocol: live.SingleText, Duration: "1h", Scenario: scJSON})
	if err != nil {
		t.Fatal(err)
	}
	id := res.ID
	conv := e.c.WithToken(res.ConvenerToken)
	type who struct {
		label string
		role  live.Role
		party string
		c     *client.Client
	}
	whos := []who{{"convener", live.Convener, "", conv}}
	for _, pi := range parts {
		name := sc.Parties[pi].Name
		tok, err := conv.Invite(ctx, id, live.Participant, name)
		if err != nil {
			t.Fatal(err)
		}
		whos = append(whos, who{name, live.Participant, name, e.c.WithToken(tok)})
	}
	for _, p := range []struct {
		role  live.Role
		party string
	}{{live.Mediator, "Kazakhstan"}, {live.Observer, "United States"}, {live.Observer, ""}} {
		tok, err := conv.Invite(ctx, id, p.role, p.party)
		if err != nil {
			t.Fatal(err)
		}
		whos = append(whos, who{string(p.role) + ":" + p.party, p.role, p.party, e.c.WithToken(tok)})
	}
	byName := map[string]*client.Client{}
	for _, w := range whos {
		byName[w.label] = w.c
	}
	// Turkey enters preferences of its own (a second marker set).
	prefs, r := markedPreferences(sc, 2, 1, m, "Turkey")
	if _, err := byName["Turkey"].Preferences(ctx, id, prefs, &r); err != nil {
		t.Fatal(err)
	}
	if _, err := conv.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	med := byName["mediator:Kazakhstan"]
	if _, err := med.Suggest(ctx, id); err != nil {
		t.Fatal(err)
	}
	first := map[string]string{}
	for _, is := range sc.Issues {
		first[is.Name] = is.Values[0]
	}
	if _, err := med.Text(ctx, id, first, "first draft"); err != nil {
		t.Fatal(err)
	}
	for _, pi := range parts[:3] {
		name := sc.Parties[pi].Name
		if _, err := byName[name].Critique(ctx, id, 1, []string{"zones"}, "SECRET-"+name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := med.Suggest(ctx, id); err != nil {
		t.Fatal(err)
	}
	other, err := e.c.Create(ctx, httpapi.CreateBody{Protocol: live.SAOP, Duration: "1h", Example: "astana"})
	if err != nil {
		t.Fatal(err)
	}
	callers := append([]who{{"no token", "", "", e.c}, {"other negotiation", live.Convener, "", e.c.WithToken(other.ConvenerToken)}}, whos...)

	// The detector works: Turkey's own view holds its numbers, which would
	// be a leak to anyone else.
	own, err := byName["Turkey"].Negotiation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ownJSON, _ := json.Marshal(own)
	if len(m.leaks(ownJSON, live.Participant, "Turkey")) != 0 || len(m.leaks(ownJSON, live.Observer, "")) == 0 {
		t.Fatal("the leak detector does not recognise Turkey's own preferences")
	}
	routes := e.api.Routes()
	var gets, posts []httpapi.Route
	for _, rt := range routes {
		if rt.Method == "POST" {
			if rt.Example == "" {
				t.Errorf("POST %s has no Example body: the matrix cannot exercise it", rt.Path)
			}
			posts = append(posts, rt)
		} else {
			gets = append(gets, rt)
		}
	}
	check := func(rt httpapi.Route, w who) {
		path := strings.ReplaceAll(rt.Path, "{id}", id)
		var body io.Reader
		if rt.Method == "POST" {
			body = strings.NewReader(rt.Example)
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(rctx, rt.Method, e.srv.URL+path, body)
		if w.c.Token != "" {
			req.Header.Set("Authorization", "Bearer "+w.c.Token)
		}
		before := e.seq(id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s as %s: %v", rt.Method, path, w.label, err)
		}
		if rt.Stream {
			// A stream never ends by itself: read what it sends in the
			// 300 ms after its headers (however long they took to come).
			time.AfterFunc(300*time.Millisecond, cancel)
		}
		var docs [][]byte
		if rt.Stream && resp.StatusCode == 200 {
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(nil, 1<<22)
			for sc.Scan() {
				if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					docs = append(docs, []byte(d))
				}
			}
		} else {
			d, _ := io.ReadAll(resp.Body)
			docs = append(docs, d)
		}
		resp.Body.Close()
		allowed := !rt.Auth || w.label != "no token" && (w.label != "other negotiation" || !strings.Contains(rt.Path, "{id}"))
		if len(rt.Roles) > 0 && !contains(rt.Roles, w.role) {
			allowed = false
		}
		switch {
		case !allowed && resp.StatusCode != 401 && resp.StatusCode != 403:
			t.Errorf("%s %s as %s: status %d, want 401 or 403", rt.Method, rt.Path, w.label, resp.StatusCode)
		case !allowed && e.seq(id) != before:
			t.Errorf("%s %s as %s: refused, but the log grew from %d to %d", rt.Method, rt.Path, w.label, before, e.seq(id))
		case resp.StatusCode >= 400 && resp.StatusCode < 500 && e.seq(id) != before:
			t.Errorf("%s %s as %s: status %d, but the log grew", rt.Method, rt.Path, w.label, resp.StatusCode)
		case resp.StatusCode >= 500:
			t.Errorf("%s %s as %s: status %d: %s", rt.Method, rt.Path, w.label, resp.StatusCode, docs[0])
		}
		for _, d := range docs {
			if l := m.leaks(d, w.role, w.party); len(l) > 0 {
				t.Errorf("%s %s as %s leaks %v", rt.Method, rt.Path, w.label, l)
			}
		}
	}
	for _, pass := range [][]httpapi.Route{gets, posts, gets} {
		for _, rt := range pass {
			for _, w := range callers {
				check(rt, w)
			}
		}
	}
}

func contains(rs []live.Role, r live.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
