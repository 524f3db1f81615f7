package storetest

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"parley/live"
	"parley/store"
)

// BenchOpen returns a new, empty store for one benchmark. Bench closes it.
type BenchOpen func(b *testing.B) store.Store

// Negotiations is how many negotiations Bench drives at once, as the load
// test of docs/performance.md does.
const Negotiations = 100

// Bench measures a store the way the server uses it under load: Negotiations
// negotiations, each appending one event with its idempotent reply at a
// time, all concurrently. b.N is the number of actions; the rate is
// reported as actions/s.
func Bench(b *testing.B, open BenchOpen) {
	s := open(b)
	defer s.Close()
	ctx := context.Background()
	ids := make([]string, Negotiations)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench%027d", i)
		if err := s.Commit(ctx, &live.Batch{Negotiation: Negotiation(b, ids[i])}); err != nil {
			b.Fatal(err)
		}
	}
	body := []byte(`{"events":[{"seq":0,"time":"2026-11-29T12:00:00.123456789Z","type":"offer","party":"Buyer","data":{"outcome":{"price":"low","days":"2"}}}]}`)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	cpu0 := processCPU()
	var wg sync.WaitGroup
	errs := make([]error, Negotiations)
	for g := range ids {
		n := b.N / Negotiations
		if g < b.N%Negotiations {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev := ""
			for i := 0; i < n; i++ {
				evs := events(ids[g], int64(i), prev, 1)
				prev = evs[0].Hash
				r := &live.Reply{TokenHash: []byte(ids[g]), Key: fmt.Sprintf("k%d", i), Status: 200, Body: body, Created: evs[0].Time}
				if err := s.Commit(ctx, &live.Batch{Events: evs, Reply: r}); err != nil {
					errs[g] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "actions/s")
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/action")
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// processCPU is the CPU time (user and system) this process has used: the
// store's own work, beside the wall-clock rate that other load disturbs.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
