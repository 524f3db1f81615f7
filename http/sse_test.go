package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"parley/live"
	"parley/memstore"
)

// sseBefore is what the stream wrote for an event before events were
// encoded once for all subscribers: fmt and json.Marshal.
func sseBefore(t *testing.T, e *live.Event) string {
	t.Helper()
	j, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, j)
}

// TestStreamBytes: in a single-text negotiation the convener, the mediator
// and a participant each stream exactly the events they may see (a
// critique only the mediator, an invitation only the convener), written
// live byte for byte as the stream wrote them before (one message per
// event: id, type, json.Marshal's encoding), strings to escape included;
// streams opened afterwards from the same sequence number write the same
// bytes from the log, then ": live".
func TestStreamBytes(t *testing.T) {
	e := start(t, memstore.New())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id, tk := e.setup(live.SingleText, "1h")
	if _, err := tk["convener"].Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	after := e.seq(id)
	const liveLine = ": live\n\n"
	open := func(who string) io.ReadCloser {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/v1/negotiations/"+id+"/stream", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tk[who].Token)
		req.Header.Set("Last-Event-ID", strconv.FormatInt(after, 10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s's stream: status %d", who, resp.StatusCode)
		}
		return resp.Body
	}
	read := func(who string, r io.Reader, n int) string {
		t.Helper()
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatalf("%s's stream: %v after %q", who, err, b)
		}
		return string(b)
	}
	roles := []string{"convener", "Judge", "Seller"}
	streams := map[string]io.ReadCloser{}
	for _, who := range roles {
		streams[who] = open(who)
		defer streams[who].Close()
		if got := read(who, streams[who], len(liveLine)); got != liveLine {
			t.Fatalf("%s's stream starts with %q, want %q (no backlog)", who, got, liveLine)
		}
	}
	if _, err := tk["Judge"].Text(ctx, id, map[string]string{"price": "high", "days": "1"}, "first"); err != nil {
		t.Fatal(err)
	}
	if _, err := tk["Buyer"].Critique(ctx, id, 1, []string{"price"}, "too <high> & \u2028 \"é\""); err != nil {
		t.Fatal(err)
	}
	if _, err := tk["convener"].Invite(ctx, id, live.Observer, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := tk["Judge"].Text(ctx, id, map[string]string{"price": "mid", "days": "2"}, "<b>second</b> & more"); err != nil {
		t.Fatal(err)
	}
	stored, err := e.svc.Store().Events(ctx, id, after, 0)
	if err != nil {
		t.Fatal(err)
	}
	types := []string{live.EvText, live.EvCritique, live.EvInvited, live.EvText}
	if len(stored) != len(types) {
		t.Fatalf("%d events stored, want %d", len(stored), len(types))
	}
	for i, typ := range types {
		if stored[i].Type != typ {
			t.Fatalf("event %d is %s, want %s", stored[i].Seq, stored[i].Type, typ)
		}
	}
	// Who sees what, by hand; the last text, public, closes every stream's
	// expectation, so an event sent to a role that may not see it shows.
	sees := map[string][]int{"convener": {0, 2, 3}, "Judge": {0, 1, 3}, "Seller": {0, 3}}
	for _, who := range roles {
		want := ""
		for _, i := range sees[who] {
			want += sseBefore(t, &stored[i])
		}
		if got := read(who, streams[who], len(want)); got != want {
			t.Fatalf("%s's stream wrote\n%q\nwant\n%q", who, got, want)
		}
		// The same from the log.
		s := open(who)
		got := read(who, s, len(want)+len(liveLine))
		s.Close()
		if got != want+liveLine {
			t.Fatalf("%s's stream from the log wrote\n%q\nwant\n%q", who, got, want+liveLine)
		}
	}
}
