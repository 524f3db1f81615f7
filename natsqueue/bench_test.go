package natsqueue

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"parley/load"
	"parley/scenario"
	"parley/tournament"
)

// anacPlan is examples/tournament.yaml (ANAC domains included when
// ../shared holds them) with reps repetitions.
func anacPlan(b testing.TB, reps int) *tournament.Plan {
	b.Helper()
	cfg, err := tournament.LoadConfig("../examples/tournament.yaml")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Repetitions = reps
	loader := func(path string) (*scenario.Scenario, error) { return load.Load(path, load.Options{}) }
	p, err := tournament.NewPlan(cfg, loader)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkLocal runs examples/tournament.yaml with 2 repetitions (1,800
// negotiations) with tournament.Run on 2 goroutines: the baseline of
// BenchmarkQueue. It reports wall and CPU time per negotiation.
func BenchmarkLocal(b *testing.B) {
	p := anacPlan(b, 2)
	c0 := selfCPU(b)
	for b.Loop() {
		if _, err := tournament.Run(context.Background(), p, tournament.Options{Dir: b.TempDir(), Workers: 2}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*p.Len()), "ns/negotiation")
	b.ReportMetric(float64((selfCPU(b)-c0).Nanoseconds())/float64(int64(b.N)*p.Len()), "cpu-ns/negotiation")
}

// BenchmarkQueue runs the plan of BenchmarkLocal through the queue, all in
// this process: an embedded server (one per sub-benchmark, new streams per
// run), Submit with sized jobs, 2 Work loops of 1 goroutine each and
// Collect. Everything the queue costs is in this process, so one
// `-cpuprofile` shows it all; per run it includes making the streams and
// each Work rebuilding the plan, which weigh more on 1,800 negotiations
// than on the 9,000 of TestThroughput. It reports wall and CPU time per
// negotiation.
func BenchmarkQueue(b *testing.B) {
	p := anacPlan(b, 2)
	url := startServer(b)
	n := 0
	c0 := selfCPU(b)
	for b.Loop() {
		n++
		opt := Options{Prefix: fmt.Sprint("b", n)}
		q := openQueue(b, url, opt)
		ctx, cancel := context.WithCancel(context.Background())
		tour := FromPlan(p)
		var wg sync.WaitGroup
		for i := range 2 {
			wq := openQueue(b, url, opt)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := wq.Work(ctx, WorkOptions{Workers: 1, Name: fmt.Sprint("w", i)}); err != nil && ctx.Err() == nil {
					b.Error(err)
				}
			}()
		}
		if _, err := q.Submit(ctx, tour, SubmitOptions{}); err != nil {
			b.Fatal(err)
		}
		col, err := q.Collect(ctx, tour, b.TempDir(), CollectOptions{})
		if err != nil {
			b.Fatal(err)
		}
		cancel()
		wg.Wait()
		if col.Done != p.Len() {
			b.Fatalf("collected %d of %d", col.Done, p.Len())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*p.Len()), "ns/negotiation")
	b.ReportMetric(float64((selfCPU(b)-c0).Nanoseconds())/float64(int64(b.N)*p.Len()), "cpu-ns/negotiation")
}
