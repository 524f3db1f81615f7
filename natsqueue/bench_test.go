package natsqueue

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

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

func BenchmarkLocal(b *testing.B) {
	p := anacPlan(b, 2)
	c0 := cpuTime(b)
	for b.Loop() {
		if _, err := tournament.Run(context.Background(), p, tournament.Options{Dir: b.TempDir(), Workers: 2}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*p.Len()), "ns/negotiation")
	b.ReportMetric(float64((cpuTime(b)-c0).Nanoseconds())/float64(int64(b.N)*p.Len()), "cpu-ns/negotiation")
}

func cpuTime(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkQueue(b *testing.B) {
	p := anacPlan(b, 2)
	for _, batch := range []int{0} {
		b.Run(fmt.Sprint("batch", batch), func(b *testing.B) {
			url := startServer(b)
			n := 0
			c0 := cpuTime(b)
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
				if _, err := q.Submit(ctx, tour, SubmitOptions{Batch: batch}); err != nil {
					b.Fatal(err)
				}
				if _, err := q.Collect(ctx, tour, b.TempDir(), CollectOptions{}); err != nil {
					b.Fatal(err)
				}
				cancel()
				wg.Wait()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*p.Len()), "ns/negotiation")
			b.ReportMetric(float64((cpuTime(b)-c0).Nanoseconds())/float64(int64(b.N)*p.Len()), "cpu-ns/negotiation")
		})
	}
}
