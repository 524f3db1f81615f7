package natsqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"parley"
	"parley/scenario"
	"parley/tournament"
)

// TestSpans: the test plan's negotiations are the bilateral scenario's 6·5
// ordered pairs × 3 repetitions, then the trilateral one's 6·5·4 × 3.
func TestSpans(t *testing.T) {
	got := spans(newPlan(t))
	want := []span{{id: "bilateral", first: 0, end: 90}, {id: "trilateral", first: 90, end: testJobs}}
	if len(got) != len(want) {
		t.Fatalf("spans %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("span %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestJobSize: a job holds the negotiations that fit in the target time,
// at least 1 and at most adaptiveMax.
func TestJobSize(t *testing.T) {
	for _, c := range []struct {
		target, each time.Duration
		want         int
	}{
		{50 * time.Millisecond, 100 * time.Microsecond, 500},
		{50 * time.Millisecond, 3 * time.Millisecond, 16}, // 16.7 rounded down
		{50 * time.Millisecond, time.Second, 1},
		{50 * time.Millisecond, time.Microsecond, adaptiveMax},
		{50 * time.Millisecond, 0, adaptiveMax},
	} {
		if got := jobSize(c.target, c.each); got != c.want {
			t.Errorf("jobSize(%v, %v) = %d, want %d", c.target, c.each, got, c.want)
		}
	}
}

// TestSizedJobs: by default Submit sizes the jobs of each scenario, never
// spanning two scenarios, stores the sizes with the bundle, and a second
// Submit reuses them, so that it queues no job twice; the workers'
// collection equals the local run.
func TestSizedJobs(t *testing.T) {
	want := localRun(t)
	url := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q := openQueue(t, url, Options{})
	tour := FromPlan(newPlan(t))
	sub, err := q.Submit(ctx, tour, SubmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sub.Published != testJobs {
		t.Errorf("published %d negotiations, want %d", sub.Published, testJobs)
	}
	// Each scenario's negotiations in jobs of its size b counted from its
	// first negotiation, and in the plan's last eighth (from 450 - 56 =
	// 394) of b/4: a job starts at each multiple of either.
	messages := int64(0)
	for _, sc := range []struct {
		id         string
		first, end int64
	}{{"bilateral", 0, 90}, {"trilateral", 90, testJobs}} {
		b := int64(sub.Batches[sc.id])
		if b < 1 || b > adaptiveMax {
			t.Fatalf("scenario %s: %d negotiations per job, want 1 to %d (sizes %v)", sc.id, b, adaptiveMax, sub.Batches)
		}
		for i := sc.first; i < sc.end; i++ {
			if (i-sc.first)%b == 0 || i >= 394 && (i-sc.first)%max(b/4, 1) == 0 {
				messages++
			}
		}
	}
	info, err := q.jobs.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Messages != messages || int64(info.State.Msgs) != messages {
		t.Errorf("%d job messages published, %d queued; want %d for sizes %v", sub.Messages, info.State.Msgs, messages, sub.Batches)
	}
	stored, err := q.storedBatches(ctx, tour.Fingerprint)
	if err != nil || !maps.Equal(stored, sub.Batches) {
		t.Errorf("stored sizes %v, %v; want %v", stored, err, sub.Batches)
	}

	again, err := q.Submit(ctx, FromPlan(newPlan(t)), SubmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(again.Batches, sub.Batches) {
		t.Errorf("second submit sized jobs %v, the first %v", again.Batches, sub.Batches)
	}
	if info, err := q.jobs.Info(ctx); err != nil || int64(info.State.Msgs) != messages {
		t.Errorf("after a second submit %d jobs are queued (%v), want still %d", info.State.Msgs, err, messages)
	}

	workCollect(ctx, t, q, tour, want, 0)
}

// TestResultsSplitByPayload: on a server whose maximum payload is smaller
// than a job's results, workers publish them in several messages, and the
// collection equals the local run.
func TestResultsSplitByPayload(t *testing.T) {
	want := localRun(t)
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
		MaxPayload: 4096,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Shutdown)
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q := openQueue(t, s.ClientURL(), Options{})
	tour := FromPlan(newPlan(t))
	const batch = 45 // 10 jobs, each with more than 2048 bytes of results
	if _, err := q.Submit(ctx, tour, SubmitOptions{Batch: batch}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 2 {
		wq := openQueue(t, s.ClientURL(), Options{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := wq.Work(ctx, WorkOptions{Workers: 1, Name: fmt.Sprint("w", i), Idle: 500 * time.Millisecond}); err != nil {
				t.Error(err)
			}
		}()
	}
	got := t.TempDir()
	col, err := q.Collect(ctx, tour, got, CollectOptions{})
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if col.Done != testJobs || col.Duplicates != 0 {
		t.Errorf("collected %d rows, %d duplicates; want %d, 0", col.Done, col.Duplicates, testJobs)
	}
	info, err := q.results.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if jobs := uint64(testJobs / batch); info.State.Msgs <= jobs {
		t.Errorf("%d result messages for %d jobs: want more (split)", info.State.Msgs, jobs)
	}
	sameFiles(t, want, got)
}

// TestCollectRejectsMalformedRows: the collector copies rows as workers
// wrote them, after checking each one's index, key and number of columns;
// a row that fails a check stops the collection with EINVALID.
func TestCollectRejectsMalformedRows(t *testing.T) {
	p := newPlan(t)
	key := p.Job(0).KeyString
	for name, row := range map[string]string{
		"too few columns": "0," + key + ",x\n",
		"other key":       "0," + p.Job(1).KeyString + ",x\n",
		"bad index":       "zero," + key + ",x\n",
		"index off plan":  fmt.Sprintf("%d,%s,x\n", testJobs, key),
	} {
		t.Run(name, func(t *testing.T) {
			url := startServer(t)
			q := openQueue(t, url, Options{})
			tour := FromPlan(p)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			msg := &nats.Msg{Subject: q.subject("results", tour.Fingerprint), Data: []byte(row), Header: nats.Header{}}
			if _, err := q.js.PublishMsg(ctx, msg); err != nil {
				t.Fatal(err)
			}
			_, err := q.Collect(ctx, tour, t.TempDir(), CollectOptions{})
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Errorf("collect of the row %q: %v; want an EINVALID error", row, err)
			}
		})
	}
}

// TestDecodeScenarioAsParse: a bundled scenario decoded with encoding/json
// (the workers' fast path) equals the one scenario.Parse makes of the same
// bytes, for the test scenarios and examples/tournament.yaml's (with the
// ANAC domains when ../shared holds them).
func TestDecodeScenarioAsParse(t *testing.T) {
	for _, p := range []*tournament.Plan{newPlan(t), anacPlan(t, 1)} {
		data, err := FromPlan(p).bundle()
		if err != nil {
			t.Fatal(err)
		}
		var b bundle
		if err := json.Unmarshal(data, &b); err != nil {
			t.Fatal(err)
		}
		for _, s := range b.Scenarios {
			fast, err := decodeScenario(s.Scenario, s.ID+".json")
			if err != nil {
				t.Fatalf("%s: %v", s.ID, err)
			}
			slow, err := scenario.Parse(s.Scenario, s.ID+".json")
			if err != nil {
				t.Fatalf("%s: %v", s.ID, err)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Errorf("%s: decoded %+v, parsed %+v", s.ID, fast, slow)
			}
		}
	}
	// A scenario that does not validate is an error on the fast path too.
	if _, err := decodeScenario([]byte(`{"name":"x","issues":[],"parties":[]}`), "x.json"); err == nil {
		t.Error("decodeScenario accepted a scenario without issues or parties")
	}
	if _, err := decodeScenario([]byte(`{"name":"x","unknown":1}`), "x.json"); err == nil {
		t.Error("decodeScenario accepted an unknown field")
	}
}

// TestStoredSizesAndTail: Submit uses the job sizes stored with a bundle
// (here bilateral 8, trilateral 16), and in the plan's last eighth (from
// index 394) makes jobs of a quarter of the size: bilateral 0..89 in
// ceil(90/8) = 12 jobs; trilateral 90..449 starts a job every 16 (23 jobs)
// and, from 394, every 4 more (10 more): 45 jobs. The collection equals
// the local run.
func TestStoredSizesAndTail(t *testing.T) {
	want := localRun(t)
	url := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q := openQueue(t, url, Options{})
	tour := FromPlan(newPlan(t))
	sizes := map[string]int{"bilateral": 8, "trilateral": 16}
	if err := q.putBundle(ctx, tour, sizes); err != nil {
		t.Fatal(err)
	}
	sub, err := q.Submit(ctx, tour, SubmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(sub.Batches, sizes) {
		t.Errorf("submit sized jobs %v, want the stored %v", sub.Batches, sizes)
	}
	info, err := q.jobs.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Messages != 45 || info.State.Msgs != 45 {
		t.Errorf("%d job messages published, %d queued; want 45", sub.Messages, info.State.Msgs)
	}
	if _, err := q.Work(ctx, WorkOptions{Workers: 2, Idle: 500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	got := t.TempDir()
	if _, err := q.Collect(ctx, tour, got, CollectOptions{}); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, want, got)
}
