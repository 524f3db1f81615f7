package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/live"
	"parley/memstore"
	"parley/sqlite"
	"parley/store"
)

// BenchmarkOffer measures the server's work per acknowledged offer without
// the network: 100 SAOP negotiations, their two participants offering in
// turn through the API handler (authentication, idempotency key, decoding,
// the turn check, sealing, storing, the answer), all concurrently. The
// memory store isolates the server's own cost; SQLite adds the embedded
// database's.
func BenchmarkOffer(b *testing.B) {
	for _, bk := range []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"memory", func(b *testing.B) store.Store { return memstore.New() }},
		{"sqlite", func(b *testing.B) store.Store {
			s, err := sqlite.Open(filepath.Join(b.TempDir(), "parley.db"))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	} {
		b.Run(bk.name, func(b *testing.B) { benchOffer(b, bk.open(b)) })
	}
}

func benchOffer(b *testing.B, st store.Store) {
	e := start(b, st)
	const tables = 100
	type table struct {
		id      string
		parties [2]string // Buyer's and Seller's tokens
	}
	ts := make([]table, tables)
	for i := range ts {
		id, toks := e.setup(live.SAOP, "1h")
		if _, err := toks["convener"].Start(context.Background(), id); err != nil {
			b.Fatal(err)
		}
		ts[i] = table{id, [2]string{toks["Buyer"].Token, toks["Seller"].Token}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	errs := make([]error, tables)
	for g := range ts {
		n := b.N / tables
		if g < b.N%tables {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			tb := ts[g]
			for i := 0; i < n; i++ {
				body := fmt.Sprintf(`{"outcome": {"price": "%s", "days": "%d"}}`, []string{"low", "mid", "high"}[i%3], i%3+1)
				r := httptest.NewRequest(http.MethodPost, "/v1/negotiations/"+tb.id+"/offers", strings.NewReader(body))
				r.Header.Set("Authorization", "Bearer "+tb.parties[i%2])
				r.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", i))
				w := httptest.NewRecorder()
				e.api.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					errs[g] = fmt.Errorf("table %d, offer %d: %d %s", g, i, w.Code, w.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFanOut measures one event streamed to 1,000 live subscribers of
// one SAOP negotiation without the network: an offer committed (memory
// store) and written by each of the API handler's 1,000 Server-Sent Events
// streams (half the observer's token, half the convener's; both see every
// offer) to a response writer that counts and discards it. One op is the
// offer and its 1,000 deliveries: publishing, the streams' wake-ups, the
// encoding and the writes.
func BenchmarkFanOut(b *testing.B) {
	const subs = 1000
	e := start(b, memstore.New())
	ctx := context.Background()
	id, toks := e.setup(live.SAOP, "1h")
	if _, err := toks["convener"].Start(ctx, id); err != nil {
		b.Fatal(err)
	}
	var parties [2]*live.Token // Buyer, Seller: the turn order
	for i, p := range []string{"Buyer", "Seller"} {
		tok, err := e.svc.Authenticate(ctx, toks[p].Token)
		if err != nil {
			b.Fatal(err)
		}
		parties[i] = tok
	}
	offers := [3]live.Action{}
	for i := range offers {
		offers[i] = live.Action{Type: live.EvOffer, Outcome: map[string]string{"price": []string{"low", "mid", "high"}[i], "days": fmt.Sprint(i + 1)}}
	}
	fan := &fanOut{done: make(chan struct{}, 1)}
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	path := fmt.Sprintf("/v1/negotiations/%s/stream?after=%d", id, e.seq(id))
	for i := range subs {
		// A context per stream, as each connection has: one shared Done
		// channel would have the 1,000 streams contend for its lock.
		rctx, rcancel := context.WithCancel(sctx)
		defer rcancel()
		r := httptest.NewRequestWithContext(rctx, http.MethodGet, path, nil)
		r.Header.Set("Authorization", "Bearer "+[]string{toks["Press"].Token, toks["convener"].Token}[i%2])
		wg.Go(func() { e.api.ServeHTTP(&sink{fan: fan, header: http.Header{}}, r) })
	}
	for fan.live.Load() < subs {
		time.Sleep(10 * time.Millisecond)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		res, err := e.svc.Act(ctx, parties[i%2], offers[i%3], nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Events) != 1 {
			b.Fatalf("offer %d: %d events, want 1", i, len(res.Events))
		}
		fan.wait(int64(subs * (i + 1)))
	}
	b.StopTimer()
	if n := fan.frames.Load(); n != int64(subs*b.N) {
		b.Fatalf("%d events written, want %d", n, subs*b.N)
	}
}

// fanOut counts what BenchmarkFanOut's streams write.
type fanOut struct {
	live   atomic.Int64 // streams past their backlog
	frames atomic.Int64 // events written, all streams together
	want   atomic.Int64 // frames awaited
	done   chan struct{}
}

// wrote counts n events written and wakes wait once frames reaches want.
func (f *fanOut) wrote(n int64) {
	if f.frames.Add(n) >= f.want.Load() {
		select {
		case f.done <- struct{}{}:
		default:
		}
	}
}

// wait returns when n events have been written.
func (f *fanOut) wait(n int64) {
	f.want.Store(n)
	for f.frames.Load() < n {
		<-f.done
	}
}

// sink is a stream's response writer: it counts the events written (data
// lines) and discards the bytes.
type sink struct {
	fan    *fanOut
	header http.Header
}

// Header returns the response header.
func (s *sink) Header() http.Header { return s.header }

// WriteHeader discards the status.
func (s *sink) WriteHeader(int) {}

// Write counts the events in p.
func (s *sink) Write(p []byte) (int, error) {
	if bytes.Equal(p, []byte(": live\n\n")) {
		s.fan.live.Add(1)
	}
	if n := bytes.Count(p, []byte("\ndata: ")); n > 0 {
		s.fan.wrote(int64(n))
	}
	return len(p), nil
}

// Flush does nothing: nothing is buffered.
func (s *sink) Flush() {}
