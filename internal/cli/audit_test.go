package cli

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley/client"
	httpapi "parley/http"
	"parley/live"
	"parley/service"
	"parley/sqlite"
)

// liveDB fills a SQLite database with a short single-text negotiation and
// returns its path and the server URL and an observer's token while it
// runs (the server stops at the end of the test).
func liveDB(t *testing.T) (path, url, observer, id string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "parley.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.Open(context.Background(), st, service.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{Examples: os.DirFS("../../examples")}))
	t.Cleanup(func() { svc.Close(); srv.Close(); st.Close() })
	ctx := context.Background()
	c := client.New(srv.URL, "")
	res, err := c.Create(ctx, httpapi.CreateBody{Protocol: live.SingleText, Duration: "1h", Example: "us-russia"})
	if err != nil {
		t.Fatal(err)
	}
	conv := c.WithToken(res.ConvenerToken)
	obs, err := conv.Invite(ctx, res.ID, live.Observer, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conv.Start(ctx, res.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := conv.Stop(ctx, res.ID, "end of test"); err != nil {
		t.Fatal(err)
	}
	return path, srv.URL, obs, res.ID
}

func TestAuditDatabaseAndServer(t *testing.T) {
	path, url, obs, id := liveDB(t)
	out, errs, code := run(t, "audit", "--db", path)
	if code != 0 || !strings.Contains(out, id+": ok, 5 events") || !strings.Contains(out, "1 negotiations, 0 broken") {
		t.Fatalf("audit of an intact database: code %d\n%s%s", code, out, errs)
	}
	// The observer cannot read the invitation events, yet verifies the
	// whole chain through their body hashes.
	out, errs, code = run(t, "audit", "--server", url, "--token", obs)
	if code != 0 || !strings.Contains(out, id+": ok, 5 events") {
		t.Fatalf("audit over the server: code %d\n%s%s", code, out, errs)
	}
	// Tamper with event 3's data behind the server's back.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var orig []byte
	if err := db.QueryRow(`SELECT data FROM events WHERE seq = 3`).Scan(&orig); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE events SET data = '{"role":"convener"}' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	out, _, code = run(t, "audit", "--db", path)
	if code != ExitFailure || !strings.Contains(out, "BROKEN: event 3:") {
		t.Fatalf("audit of a tampered database: code %d\n%s", code, out)
	}
	// Restore it and remove event 4: the chain reports the gap.
	if _, err := db.Exec(`UPDATE events SET data = ? WHERE seq = 3`, orig); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM events WHERE seq = 4`); err != nil {
		t.Fatal(err)
	}
	out, _, code = run(t, "audit", "--db", path)
	if code != ExitFailure || !strings.Contains(out, "BROKEN: event 4: sequence number 5") {
		t.Fatalf("audit after a deletion: code %d\n%s", code, out)
	}
	_, _, code = run(t, "audit")
	if code != ExitBadInput {
		t.Fatalf("audit without a source: code %d, want %d", code, ExitBadInput)
	}
}
