package natsqueue

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"parley/tournament"
)

// buildParley builds the parley command into a temporary folder.
func buildParley(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the parley binary")
	}
	bin := filepath.Join(t.TempDir(), "parley")
	out, err := exec.Command("go", "build", "-o", bin, "parley/cmd/parley").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// slowConfig is a tournament of long negotiations (two hard-headed
// competitors over 50000 rounds, tens of milliseconds each), so a worker
// killed at any moment is running some: 2 ordered pairs × 30 repetitions.
func slowConfig() *tournament.Config {
	c := tournament.Defaults()
	c.Competitors = []tournament.Competitor{
		{Name: "hh", Strategy: "hardheaded"},
		{Name: "hh-e", Strategy: "hardheaded", Params: []tournament.Param{{Name: "e", Value: 0.05}}},
	}
	c.Scenarios = []tournament.ScenarioSpec{{Path: "testdata/bilateral.yaml"}}
	c.Rounds = 50000
	c.Repetitions = 30
	c.Seed = 3
	return &c
}

const slowJobs = 2 * 30

// TestKilledWorkerRedelivered: a `parley worker` process SIGKILLed while it
// holds jobs has them redelivered after the ack wait to the workers that
// remain; every negotiation appears exactly once and the collection equals
// the local run byte for byte.
func TestKilledWorkerRedelivered(t *testing.T) {
	bin := buildParley(t)
	want := localRunOf(t, planOf(t, slowConfig(), slowJobs))
	url := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const ackWait = 2 * time.Second
	q := openQueue(t, url, Options{AckWait: ackWait})
	tour := FromPlan(planOf(t, slowConfig(), slowJobs))
	if _, err := q.Submit(ctx, tour, SubmitOptions{Batch: 1}); err != nil {
		t.Fatal(err)
	}

	doomed := exec.Command(bin, "worker", "--nats", url, "-j", "2", "--name", "doomed", "-q")
	doomed.Stderr = os.Stderr
	if err := doomed.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- doomed.Wait() }()
	t.Cleanup(func() { _ = doomed.Process.Kill() })

	// Kill it once it has published some results and holds unacknowledged
	// jobs.
	deadline := time.Now().Add(time.Minute)
	for {
		if time.Now().After(deadline) {
			t.Fatal("the worker process published no results within a minute")
		}
		info, err := q.results.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, unacked, err := q.Pending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs >= 4 && unacked > 0 {
			if err := doomed.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			t.Logf("killed the worker after %d results with %d jobs unacknowledged", info.State.Msgs, unacked)
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the killed worker did not exit")
	}

	// Two workers in this process finish the tournament.
	wctx, stopWorkers := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		wq := openQueue(t, url, Options{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := wq.Work(wctx, WorkOptions{Workers: 1, Name: name}); err != nil && wctx.Err() == nil {
				t.Error(err)
			}
		}()
	}
	got := t.TempDir()
	col, err := q.Collect(ctx, tour, got, CollectOptions{})
	stopWorkers()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if col.Done != slowJobs {
		t.Errorf("collected %d rows, want %d", col.Done, slowJobs)
	}
	if col.Workers["doomed"] == 0 || col.Workers["a"]+col.Workers["b"] == 0 {
		t.Errorf("rows by worker %v: want some by the killed worker and some by the others", col.Workers)
	}
	if col.Redelivered == 0 {
		t.Errorf("no row comes from a redelivered job; the killed worker's jobs were not redelivered")
	}
	t.Logf("rows by worker %v, %d redelivered, %d duplicates dropped", col.Workers, col.Redelivered, col.Duplicates)
	sameFiles(t, want, got)
}
