package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

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
