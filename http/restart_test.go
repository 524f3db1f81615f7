package httpapi_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"parley/client"
	httpapi "parley/http"
	"parley/live"
	"parley/service"
	"parley/sqlite"
	"parley/store"
)

// brokerRun plays three rounds of critiques on the Astana broker
// negotiation, reopening the server between rounds when restart is set,
// and returns the texts the broker drafted.
func brokerRun(t *testing.T, restart bool) []map[string]string {
	path := filepath.Join(t.TempDir(), "parley.db")
	open := func() (store.Store, *service.Service, *httptest.Server) { return openSQLiteServer(t, path) }
	st, svc, srv := open()
	ctx := context.Background()
	c := client.New(srv.URL, "")
	res, err := c.Create(ctx, httpapi.CreateBody{Protocol: live.Broker, Duration: "10s", Example: "astana"})
	if err != nil {
		t.Fatal(err)
	}
	conv := c.WithToken(res.ConvenerToken)
	names := []string{"Russia", "Iran", "Turkey", "Syrian government", "Syrian armed opposition"}
	toks := map[string]string{}
	for _, n := range names {
		if toks[n], err = conv.Invite(ctx, res.ID, live.Participant, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conv.Start(ctx, res.ID); err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 3; round++ {
		if restart {
			svc.Close()
			srv.Close()
			st.Close()
			st, svc, srv = open()
			c.BaseURL = srv.URL
		}
		// One participant critiques each text; the others accept it.
		for i, n := range names {
			pc := client.New(srv.URL, toks[n])
			var err error
			if i == round {
				_, err = pc.Critique(ctx, res.ID, round, []string{[]string{"zones", "political_track", "foreign_forces"}[round%3]}, "")
			} else {
				_, err = pc.Accept(ctx, res.ID, round)
			}
			if err != nil {
				t.Fatalf("round %d, %s: %v", round, n, err)
			}
		}
		// Wait out the broker's pace for the next text.
		deadline := time.Now().Add(3 * time.Second)
		for {
			v, err := client.New(srv.URL, res.ConvenerToken).Negotiation(ctx, res.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Versions) == round+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: no next text", round)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	v, err := client.New(srv.URL, res.ConvenerToken).Negotiation(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	svc.Close()
	srv.Close()
	st.Close()
	var texts []map[string]string
	for _, ver := range v.Versions {
		texts = append(texts, ver.Outcome)
	}
	return texts
}

// TestBrokerResumesAfterRestart: the automatic broker drafts the same texts
// whether or not the server restarts between rounds (it is rebuilt from
// the log).
func TestBrokerResumesAfterRestart(t *testing.T) {
	want := brokerRun(t, false)
	got := brokerRun(t, true)
	if len(got) != 4 || len(want) != 4 {
		t.Fatalf("%d and %d texts, want 4", len(got), len(want))
	}
	for i := range want {
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Fatalf("text %d, %s: %q after restarts, %q without", i+1, k, got[i][k], v)
			}
		}
	}
	same := true
	for i := 1; i < len(want); i++ {
		for k, v := range want[0] {
			if want[i][k] != v {
				same = false
			}
		}
	}
	if same {
		t.Fatal("the broker did not move after three rounds of critiques: the test proves nothing")
	}
}

// openSQLiteServer opens the SQLite database at path, a service on it and a
// test server for the API: one server "process" over a file that
// outlives it. The caller closes them.
func openSQLiteServer(t *testing.T, path string) (store.Store, *service.Service, *httptest.Server) {
	t.Helper()
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.Open(context.Background(), st, service.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st, svc, httptest.NewServer(httpapi.New(svc, httpapi.Options{Examples: os.DirFS("../examples")}))
}
