package natsqueue

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"parley/tournament"
)

// startServer starts an embedded JetStream server on a free loopback port
// and returns its URL.
func startServer(t testing.TB) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		NoLog: true, NoSigs: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Shutdown)
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	return s.ClientURL()
}

func connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func openQueue(t testing.TB, url string, opt Options) *Queue {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := Open(ctx, connect(t, url), opt)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// testConfig is a tournament of real strategies over a 1000-outcome
// bilateral scenario and a three-party one, with repetitions: 450
// negotiations.
func testConfig() *tournament.Config {
	c := tournament.Defaults()
	for _, n := range []string{"boulware", "conceder", "titfortat", "micro", "random"} {
		c.Competitors = append(c.Competitors, tournament.Competitor{Name: n, Strategy: n})
	}
	c.Competitors = append(c.Competitors, tournament.Competitor{Name: "linear-k", Strategy: "linear", Params: []tournament.Param{{Name: "k", Value: 0.1}}})
	c.Scenarios = []tournament.ScenarioSpec{{Path: "testdata/bilateral.yaml"}, {Path: "testdata/trilateral.yaml"}}
	c.Rounds = 200
	c.Repetitions = 3
	c.Seed = 42
	return &c
}

const testJobs = (30 + 120) * 3 // 6·5 ordered pairs + 6·5·4 triples, 3 repetitions

func newPlan(t *testing.T) *tournament.Plan {
	t.Helper()
	return planOf(t, testConfig(), testJobs)
}

// planOf makes the plan of cfg and checks its number of negotiations.
func planOf(t *testing.T, cfg *tournament.Config, jobs int64) *tournament.Plan {
	t.Helper()
	p, err := tournament.NewPlan(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != jobs {
		t.Fatalf("plan has %d negotiations, want %d", p.Len(), jobs)
	}
	return p
}

// localRun runs the test plan with tournament.Run and returns its folder.
func localRun(t *testing.T) string {
	t.Helper()
	return localRunOf(t, newPlan(t))
}

// localRunOf runs p with tournament.Run and returns its folder.
func localRunOf(t *testing.T, p *tournament.Plan) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := tournament.Run(context.Background(), p, tournament.Options{Dir: dir, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func sameFiles(t *testing.T, want, got string) {
	t.Helper()
	for _, f := range []string{tournament.ResultsFile, tournament.ManifestFile} {
		a, err := os.ReadFile(filepath.Join(want, f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(got, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s of the distributed run differs from the local run's:\nlocal:\n%.600s\ndistributed:\n%.600s", f, a, b)
		}
	}
}

// TestThreeWorkersEqualLocalRun: a tournament submitted to the queue, run
// by three workers (each on its own connection, rebuilding the plan from
// the bundle) and collected, writes the local run's files byte for byte.
func TestThreeWorkersEqualLocalRun(t *testing.T) {
	want := localRun(t)
	url := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q := openQueue(t, url, Options{AckWait: 30 * time.Second})
	sub, err := q.Submit(ctx, FromPlan(newPlan(t)), SubmitOptions{Batch: 7})
	if err != nil {
		t.Fatal(err)
	}
	if sub.Published != testJobs {
		t.Fatalf("published %d jobs, want %d", sub.Published, testJobs)
	}
	var wg sync.WaitGroup
	ran := make([]int64, 3)
	for i := range ran {
		wq := openQueue(t, url, Options{AckWait: 30 * time.Second})
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := wq.Work(ctx, WorkOptions{Workers: 2, Name: fmt.Sprintf("w%d", i), Idle: time.Second,
				Log: func(m string) { t.Log(m) }})
			if err != nil {
				t.Error(err)
				return
			}
			ran[i] = st.Ran
		}()
	}
	got := t.TempDir()
	col, err := q.Collect(ctx, FromPlan(newPlan(t)), got, CollectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if col.Done != testJobs || col.Duplicates != 0 {
		t.Errorf("collected %d rows, %d duplicates; want %d, 0", col.Done, col.Duplicates, testJobs)
	}
	total, busy := int64(0), 0
	for i, n := range ran {
		total += n
		if n > 0 {
			busy++
		}
		if col.Workers[fmt.Sprintf("w%d", i)] != n {
			t.Errorf("worker w%d ran %d, results credit it %d", i, n, col.Workers[fmt.Sprintf("w%d", i)])
		}
	}
	if total != testJobs {
		t.Errorf("workers ran %d negotiations, want %d", total, testJobs)
	}
	// The jobs were shared out (on a loaded machine a worker that starts
	// late may find the queue already empty, so not necessarily among
	// all three).
	if busy < 2 {
		t.Errorf("only %d of 3 workers ran jobs: %v", busy, ran)
	}
	sameFiles(t, want, got)

	// Submitting again publishes nothing: every negotiation has a result.
	again, err := q.Submit(ctx, FromPlan(newPlan(t)), SubmitOptions{Batch: 7})
	if err != nil {
		t.Fatal(err)
	}
	if again.Published != 0 {
		t.Errorf("second submit published %d jobs, want 0", again.Published)
	}
	if w, u, err := q.Pending(ctx); err != nil || w != 0 || u != 0 {
		t.Errorf("pending after the run: %d waiting, %d unacknowledged, %v; want 0, 0", w, u, err)
	}
}

// TestCollectDropsDuplicates: a result published twice (as when a worker
// dies between publishing and acknowledging and the job runs again after
// the duplicate window) appears once, and the collection still equals the local run.
func TestCollectDropsDuplicates(t *testing.T) {
	want := localRun(t)
	url := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q := openQueue(t, url, Options{})
	tour := FromPlan(newPlan(t))
	if _, err := q.Submit(ctx, tour, SubmitOptions{}); err != nil {
		t.Fatal(err)
	}
	// Publish three results under other message ids before the workers
	// publish theirs, so the stream keeps both copies. (Collect stops at the
	// row that completes the plan: a copy after it in the same message is
	// not read, hence not counted.)
	for _, i := range []int64{0, 7, 100} { // none ends a batch: see Collect
		publishResult(ctx, t, q, tour, i, fmt.Sprintf("again/%d", i))
	}
	workCollect(ctx, t, q, tour, want, 3)
}

// workCollect drains the queue with one worker of two goroutines, collects
// the results and checks them: every negotiation once, dups duplicate
// results dropped, files equal to the local run's in want.
func workCollect(ctx context.Context, t *testing.T, q *Queue, tour *Tournament, want string, dups int64) {
	t.Helper()
	if _, err := q.Work(ctx, WorkOptions{Workers: 2, Idle: 500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	got := t.TempDir()
	col, err := q.Collect(ctx, tour, got, CollectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if col.Done != testJobs || col.Duplicates != dups {
		t.Errorf("collected %d rows, %d duplicates; want %d, %d", col.Done, col.Duplicates, testJobs, dups)
	}
	sameFiles(t, want, got)
}

// TestCollectStopsEarly: a collection cut short writes the rows in order so
// far with an incomplete manifest, which a local run resumes into the local
// run's files.
func TestCollectStopsEarly(t *testing.T) {
	want := localRun(t)
	url := startServer(t)
	q := openQueue(t, url, Options{})
	tour := FromPlan(newPlan(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := q.Submit(ctx, tour, SubmitOptions{}); err != nil {
		t.Fatal(err)
	}
	// No workers: nothing comes, the collection times out.
	short, stop := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer stop()
	got := t.TempDir()
	col, err := q.Collect(short, tour, got, CollectOptions{})
	if err == nil || col.Done != 0 {
		t.Fatalf("collect without workers: %d rows, error %v; want 0 rows and an error", col.Done, err)
	}
	m, err := tournament.ReadManifest(got)
	if err != nil || m.Complete || m.Done != 0 {
		t.Fatalf("manifest %+v, %v; want incomplete, 0 done", m, err)
	}
	if _, err := tournament.Run(ctx, newPlan(t), tournament.Options{Dir: got, Workers: 2}); err != nil {
		t.Fatalf("local run does not resume a partial collection: %v", err)
	}
	sameFiles(t, want, got)
}

// publishResult runs negotiation i of the tournament here and publishes its
// result row under the message id id.
func publishResult(ctx context.Context, t *testing.T, q *Queue, tour *Tournament, i int64, id string) {
	t.Helper()
	rec := tour.Plan.Run(tour.Plan.Job(i))
	var buf bytes.Buffer
	w, err := tournament.NewWriter(&buf, tour.Plan.MaxRoles, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	msg := &nats.Msg{Subject: q.subject("results", tour.Fingerprint), Data: buf.Bytes(), Header: nats.Header{}}
	msg.Header.Set("Nats-Msg-Id", id)
	if _, err := q.js.PublishMsg(ctx, msg); err != nil {
		t.Fatal(err)
	}
}

// TestSubmitSkipsCollected: Submit queues only the negotiations without a
// result, in batches that skip the collected ones, and the collection still
// equals the local run.
func TestSubmitSkipsCollected(t *testing.T) {
	want := localRun(t)
	url := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q := openQueue(t, url, Options{})
	tour := FromPlan(newPlan(t))
	done := []int64{0, 1, 2, 9, 10, 200, testJobs - 1}
	for _, i := range done {
		publishResult(ctx, t, q, tour, i, fmt.Sprintf("early/%d", i))
	}
	sub, err := q.Submit(ctx, tour, SubmitOptions{Batch: 10})
	if err != nil {
		t.Fatal(err)
	}
	if sub.Published != testJobs-int64(len(done)) {
		t.Errorf("published %d negotiations, want %d", sub.Published, testJobs-len(done))
	}
	// 45 aligned batches of 10; the results split batch 0 (3..8) and batch 1
	// (11..19) is shortened, so 45 jobs.
	info, err := q.jobs.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 45 {
		t.Errorf("%d jobs queued, want 45", info.State.Msgs)
	}
	st, err := q.Work(ctx, WorkOptions{Workers: 2, Idle: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if st.Ran != sub.Published {
		t.Errorf("the worker ran %d negotiations, want %d", st.Ran, sub.Published)
	}
	got := t.TempDir()
	col, err := q.Collect(ctx, tour, got, CollectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if col.Done != testJobs || col.Duplicates != 0 {
		t.Errorf("collected %d rows, %d duplicates; want %d, 0", col.Done, col.Duplicates, testJobs)
	}
	sameFiles(t, want, got)
}
