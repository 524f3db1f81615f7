package natsqueue

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"parley/load"
	"parley/scenario"
	"parley/tournament"
)

// TestThroughput measures a distributed tournament against a local run of
// the same plan: examples/tournament.yaml with 10 repetitions (ANAC domains
// included when ../shared holds them), run locally on -j 2, then through an embedded
// NATS server by 2 `parley worker -j 1` processes with jobs of 1 and of
// DefaultBatch and of 256 negotiations, and by 4 with DefaultBatch. It runs only
// with PARLEY_THROUGHPUT set (the number of repetitions of each
// measurement; the best is kept); docs/performance.md reports it.
func TestThroughput(t *testing.T) {
	reps, _ := strconv.Atoi(os.Getenv("PARLEY_THROUGHPUT"))
	if reps <= 0 {
		t.Skip("set PARLEY_THROUGHPUT=N to measure (N repetitions)")
	}
	bin := buildParley(t)
	cfg, err := tournament.LoadConfig("../examples/tournament.yaml")
	if err != nil {
		t.Fatal(err)
	}
	loader := func(path string) (*scenario.Scenario, error) { return load.Load(path, load.Options{}) }
	cfg.Repetitions = 10 // 9000 negotiations: the workers' one-off plan rebuild is amortised
	t0 := time.Now()
	plan, err := tournament.NewPlan(cfg, loader)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plan made (scenarios loaded and analysed) in %.2fs; each worker rebuilds it once from the bundle", time.Since(t0).Seconds())
	n := plan.Len()
	// best keeps the shortest wall time and the smallest CPU time of reps
	// measurements.
	best := func(f func() (wall, cpu time.Duration)) (time.Duration, time.Duration) {
		var bw, bc time.Duration
		for range reps {
			w, c := f()
			if bw == 0 || w < bw {
				bw = w
			}
			if bc == 0 || c < bc {
				bc = c
			}
		}
		return bw, bc
	}
	local, localCPU := best(func() (time.Duration, time.Duration) {
		dir := t.TempDir()
		c0 := selfCPU(t)
		sum, err := tournament.Run(context.Background(), plan, tournament.Options{Dir: dir, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		return sum.Elapsed, selfCPU(t) - c0
	})
	t.Logf("%d negotiations, %d scenarios", n, len(plan.Entries))
	t.Logf("local -j 2:                 %6.2fs  %6.0f negotiations/s  CPU %6.2fs (%.0f negotiations per CPU-second)",
		local.Seconds(), float64(n)/local.Seconds(), localCPU.Seconds(), float64(n)/localCPU.Seconds())
	for _, run := range []struct{ workers, batch int }{{2, 1}, {2, DefaultBatch}, {2, 256}, {4, DefaultBatch}} {
		workers := run.workers
		d, cpu := best(func() (time.Duration, time.Duration) {
			url := startServer(t)
			q := openQueue(t, url, Options{})
			var procs []*exec.Cmd
			for w := range workers {
				p := exec.Command(bin, "worker", "--nats", url, "-j", "1", "-q", "--name", fmt.Sprint("w", w))
				p.Stderr = os.Stderr
				if err := p.Start(); err != nil {
					t.Fatal(err)
				}
				procs = append(procs, p)
			}
			defer func() {
				for _, p := range procs {
					_ = p.Process.Kill()
					_ = p.Wait()
				}
			}()
			time.Sleep(500 * time.Millisecond) // workers connected and waiting
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			c0 := selfCPU(t)
			start := time.Now()
			tour := FromPlan(plan)
			if _, err := q.Submit(ctx, tour, SubmitOptions{Batch: run.batch}); err != nil {
				t.Fatal(err)
			}
			col, err := q.Collect(ctx, tour, t.TempDir(), CollectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if col.Done != n {
				t.Fatalf("collected %d of %d", col.Done, n)
			}
			wall := time.Since(start)
			// The server, submitter and collector (this process) and the
			// workers, stopped with SIGTERM to read their CPU time.
			cpu := selfCPU(t) - c0
			for _, p := range procs {
				_ = p.Process.Signal(syscall.SIGTERM)
				_ = p.Wait()
				cpu += p.ProcessState.UserTime() + p.ProcessState.SystemTime()
			}
			return wall, cpu
		})
		t.Logf("%d workers × -j 1, batch %2d: %6.2fs  %6.0f negotiations/s  CPU %6.2fs (%.0f negotiations per CPU-second, %+.0f%% CPU vs local)",
			workers, run.batch, d.Seconds(), float64(n)/d.Seconds(), cpu.Seconds(), float64(n)/cpu.Seconds(), 100*(cpu.Seconds()/localCPU.Seconds()-1))
	}
}

// selfCPU returns this process's user and system CPU time so far.
func selfCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
