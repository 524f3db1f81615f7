package natsqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"parley"
	"parley/tournament"
)

// job is the payload of a job message: consecutive negotiations of a
// plan, Keys[k] at index Index+k.
type job struct {
	Tournament string   `json:"t"`
	Index      int64    `json:"i"`
	Keys       []string `json:"k"`
}

// DefaultJobTime is the work a job carries when SubmitOptions.Batch is 0:
// Submit sizes each scenario's jobs to take about this long to run (the
// jobs of the plan's last eighth a quarter of it).
const DefaultJobTime = 100 * time.Millisecond

// tailPart and tailDiv: with sized jobs, the jobs of the last 1/tailPart of
// the plan's negotiations hold 1/tailDiv as many, so that the workers
// finish together.
const (
	tailPart = 8
	tailDiv  = 4
)

// MaxBatch bounds SubmitOptions.Batch.
const MaxBatch = 4096

// Bounds of the sizing of jobs (SubmitOptions.Batch 0): Submit times
// negotiations of a scenario until they took calibrateTime or
// calibrateMax ran; a sized job holds at most adaptiveMax negotiations.
const (
	calibrateTime = 20 * time.Millisecond
	calibrateMax  = 8
	adaptiveMax   = 1024
)

// SubmitOptions control a Submit.
type SubmitOptions struct {
	// Batch is the number of consecutive negotiations per job. One job is
	// one message each way, so batching divides the queue's cost per
	// negotiation; a worker that dies loses at most the batches it holds,
	// which are run again.
	//
	// 0 (the default) sizes the jobs of each scenario to carry about
	// JobTime of work: Submit times a few negotiations of the scenario
	// (up to 8, spread over it, up to 20 ms; their results are not kept)
	// and makes jobs of JobTime divided by their median CPU time, from 1
	// to 1024 negotiations; in the last eighth of the plan, jobs of a
	// quarter of that, so that the workers finish together. The sizes are
	// stored with the tournament's bundle before its jobs are published,
	// and a later Submit of the same tournament uses them, so its jobs
	// keep their ids.
	Batch int
	// JobTime is the work per job when Batch is 0; default DefaultJobTime.
	JobTime time.Duration
}

// publishBatch bounds the jobs published before waiting for the server's
// acknowledgements.
const publishBatch = 1024

// Submission reports a Submit.
type Submission struct {
	// Fingerprint names the tournament.
	Fingerprint string
	// Jobs is the number of negotiations of the plan; Published how many
	// were published (the others already had a result).
	Jobs, Published int64
	// Messages is the number of job messages published.
	Messages int64
	// Batches is the number of negotiations per job of each scenario (by
	// its id) that had negotiations to publish (before the plan's last
	// eighth, with sized jobs).
	Batches map[string]int
}

// span is the indexes [first, end) of one scenario of a plan.
type span struct {
	id         string
	first, end int64
}

// spans returns the plan's scenarios in plan order with their indexes.
func spans(p *tournament.Plan) []span {
	pos := map[string]int{}
	for k, e := range p.Entries {
		pos[e.ID] = k
	}
	var out []span
	for first := int64(0); first < p.Len(); {
		k := pos[p.Job(first).Key.Scenario]
		// The scenario's negotiations are consecutive: find its last.
		n := sort.Search(int(p.Len()-first), func(d int) bool {
			return pos[p.Job(first+int64(d)).Key.Scenario] != k
		})
		out = append(out, span{id: p.Entries[k].ID, first: first, end: first + int64(n)})
		first += int64(n)
	}
	return out
}

// batchesMeta is the metadata key of the bundle that holds the sizes of
// jobs chosen by Submit, as JSON: scenario id → negotiations per job.
const batchesMeta = "parley-batches"

// Submit stores the tournament's bundle and publishes the negotiations that
// have no result in the results stream yet, in jobs of consecutive ones:
// of opts.Batch negotiations, a job never spanning a multiple of
// opts.Batch; or, with opts.Batch 0, of the size chosen for each scenario
// (see SubmitOptions.Batch), a job never spanning two scenarios nor a
// multiple of its size counted from the scenario's first negotiation, nor,
// in the plan's last eighth, a multiple of a quarter of it. A negotiation
// that has a result ends a job. Each job is
// published under the id job/FINGERPRINT/FIRST-COUNT, so a Submit repeated
// within the duplicate window does not queue a job twice.
func (q *Queue) Submit(ctx context.Context, t *Tournament, opts SubmitOptions) (*Submission, error) {
	if opts.Batch < 0 || opts.Batch > MaxBatch {
		return nil, parley.Errorf(parley.EINVALID, "batch %d: want 1 to %d negotiations per job", opts.Batch, MaxBatch)
	}
	if opts.JobTime < 0 {
		return nil, parley.Errorf(parley.EINVALID, "job time %v: want a positive duration", opts.JobTime)
	}
	if opts.JobTime == 0 {
		opts.JobTime = DefaultJobTime
	}
	have, err := q.resultIndexes(ctx, t.Fingerprint)
	if err != nil {
		return nil, err
	}
	sub := &Submission{Fingerprint: t.Fingerprint, Jobs: t.Plan.Len(), Batches: map[string]int{}}
	parts := []span{{first: 0, end: t.Plan.Len()}}
	sizes := map[string]int{}
	if opts.Batch == 0 {
		parts = spans(t.Plan)
		if sizes, err = q.storedBatches(ctx, t.Fingerprint); err != nil {
			return nil, err
		}
	}
	if err := q.putBundle(ctx, t, sizes); err != nil {
		return sub, err
	}
	subject := q.subject("jobs", t.Fingerprint)
	var futures []jetstream.PubAckFuture
	wait := func() error {
		for _, f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return fmt.Errorf("publish job %s: %w", f.Msg().Header.Get(jetstream.MsgIDHeader), err)
			case <-ctx.Done():
				return fmt.Errorf("publish jobs: %w", ctx.Err())
			}
		}
		futures = futures[:0]
		return nil
	}
	var cur *job
	publish := func() error {
		if cur == nil {
			return nil
		}
		data, err := json.Marshal(cur)
		if err != nil {
			return fmt.Errorf("job %s: %w", cur.Keys[0], err)
		}
		msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("job/%s/%d-%d", t.Fingerprint, cur.Index, len(cur.Keys)))
		f, err := q.js.PublishMsgAsync(msg)
		if err != nil {
			return fmt.Errorf("publish job %s: %w", cur.Keys[0], err)
		}
		futures = append(futures, f)
		sub.Published += int64(len(cur.Keys))
		sub.Messages++
		cur = nil
		if len(futures) >= publishBatch {
			return wait()
		}
		return nil
	}
	tail := t.Plan.Len() - t.Plan.Len()/tailPart
	for _, s := range parts {
		batch, small := int64(opts.Batch), int64(opts.Batch)
		if batch == 0 {
			b, err := q.scenarioBatch(ctx, t, s, have, sizes, opts.JobTime)
			if err != nil {
				return sub, err
			}
			batch, small = int64(b), max(int64(b)/tailDiv, 1)
		}
		for i := s.first; i < s.end; i++ {
			if (i-s.first)%batch == 0 || i >= tail && (i-s.first)%small == 0 || have[i] {
				if err := publish(); err != nil {
					return sub, err
				}
			}
			if have[i] {
				continue
			}
			if cur == nil {
				cur = &job{Tournament: t.Fingerprint, Index: i}
				sub.Batches[s.id] = int(batch)
			}
			cur.Keys = append(cur.Keys, t.Plan.Job(i).KeyString)
		}
		if err := publish(); err != nil {
			return sub, err
		}
	}
	return sub, wait()
}

// scenarioBatch returns the size of the jobs of span s: the stored one, or,
// if s has negotiations to run, one measured (see calibrate) and stored
// with the bundle's metadata before any of its jobs is published.
func (q *Queue) scenarioBatch(ctx context.Context, t *Tournament, s span, have map[int64]bool, sizes map[string]int, jobTime time.Duration) (int, error) {
	if b := sizes[s.id]; b > 0 {
		return b, nil
	}
	pending := false
	for i := s.first; i < s.end && !pending; i++ {
		pending = !have[i]
	}
	if !pending {
		return 1, nil // nothing to publish
	}
	b, err := calibrate(ctx, t.Plan, s, jobTime)
	if err != nil {
		return 0, err
	}
	sizes[s.id] = b
	meta, err := batchesMetadata(sizes)
	if err != nil {
		return 0, fmt.Errorf("bundle %s: %w", t.Fingerprint, err)
	}
	if err := q.bundles.UpdateMeta(ctx, t.Fingerprint, jetstream.ObjectMeta{Name: t.Fingerprint, Metadata: meta}); err != nil {
		return 0, fmt.Errorf("store job sizes of %s: %w", t.Fingerprint, err)
	}
	return b, nil
}

// batchesMetadata is the bundle's metadata that holds sizes.
func batchesMetadata(sizes map[string]int) (map[string]string, error) {
	if len(sizes) == 0 {
		return nil, nil
	}
	js, err := json.Marshal(sizes)
	if err != nil {
		return nil, fmt.Errorf("job sizes: %w", err)
	}
	return map[string]string{batchesMeta: string(js)}, nil
}

// storedBatches returns the sizes of jobs a previous Submit of the
// tournament chose, if its bundle holds them.
func (q *Queue) storedBatches(ctx context.Context, fingerprint string) (map[string]int, error) {
	sizes := map[string]int{}
	info, err := q.bundles.GetInfo(ctx, fingerprint)
	if err != nil {
		if isNotFound(err) {
			return sizes, nil
		}
		return nil, fmt.Errorf("read bundle %s: %w", fingerprint, err)
	}
	if m := info.Metadata[batchesMeta]; m != "" {
		if err := json.Unmarshal([]byte(m), &sizes); err != nil {
			return nil, parley.Errorf(parley.EINVALID, "bundle %s: job sizes: %v", fingerprint, err)
		}
	}
	for id, b := range sizes {
		if b < 1 || b > MaxBatch {
			delete(sizes, id) // not Submit's: size that scenario again
		}
	}
	return sizes, nil
}

// calibrate times up to calibrateMax negotiations of the span, spread
// evenly over it (a scenario's negotiations go pairing by pairing, and
// pairings differ), stopping once they took calibrateTime, and returns the
// number of negotiations per job that makes a job take about jobTime at
// their median time. It measures CPU time where it can, and the median
// discounts the first negotiation of a scenario in a new process (slower)
// and other processes' bursts. The results are not kept: results off the
// jobs' grid would split jobs.
func calibrate(ctx context.Context, p *tournament.Plan, s span, jobTime time.Duration) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	clock := threadClock()
	size := s.end - s.first
	n := min(size, calibrateMax)
	var spent time.Duration
	var times []time.Duration
	for k := int64(0); k < n && spent < calibrateTime; k++ {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("size jobs: %w", err)
		}
		start := clock()
		p.Run(p.Job(s.first + k*size/n))
		d := clock() - start
		spent += d
		times = append(times, d)
	}
	slices.Sort(times)
	return jobSize(jobTime, times[len(times)/2]), nil
}

// jobSize returns the number of negotiations of time each that take about
// target, from 1 to adaptiveMax.
func jobSize(target, each time.Duration) int {
	if each <= 0 {
		return adaptiveMax
	}
	return int(min(max(int64(target/each), 1), adaptiveMax))
}
