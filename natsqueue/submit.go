package natsqueue

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"parley"
)

// job is the payload of a job message: consecutive negotiations of a
// plan, Keys[k] at index Index+k.
type job struct {
	Tournament string   `json:"t"`
	Index      int64    `json:"i"`
	Keys       []string `json:"k"`
}

// DefaultBatch is the number of negotiations per job unless
// SubmitOptions.Batch says otherwise.
const DefaultBatch = 32

// MaxBatch bounds SubmitOptions.Batch.
const MaxBatch = 4096

// SubmitOptions control a Submit.
type SubmitOptions struct {
	// Batch is the number of consecutive negotiations per job (default
	// DefaultBatch). One job is one message each way, so batching divides
	// the queue's cost per negotiation; a worker that dies loses at most
	// the batches it holds, which are run again.
	Batch int
}

// publishBatch bounds the jobs published before waiting for the server's
// acknowledgements.
const publishBatch = 1024

// Submission reports a Submit.
type Submission struct {
	// Fingerprint names the tournament.
	Fingerprint string
	// Jobs is the number of negotiations of the plan; Published how many
	// jobs were published (the others already had a result).
	Jobs, Published int64
}

// Submit stores the tournament's bundle and publishes the negotiations that
// have no result in the results stream yet, in jobs of opts.Batch
// consecutive ones (a batch never spans a multiple of opts.Batch). Each job
// is published under the id job/FINGERPRINT/FIRST-COUNT, so a Submit
// repeated within the duplicate window does not queue a job twice.
func (q *Queue) Submit(ctx context.Context, t *Tournament, opts SubmitOptions) (*Submission, error) {
	batch := opts.Batch
	if batch == 0 {
		batch = DefaultBatch
	}
	if batch < 1 || batch > MaxBatch {
		return nil, parley.Errorf(parley.EINVALID, "batch %d: want 1 to %d negotiations per job", batch, MaxBatch)
	}
	if err := q.putBundle(ctx, t); err != nil {
		return nil, err
	}
	have, err := q.resultIndexes(ctx, t.Fingerprint)
	if err != nil {
		return nil, err
	}
	sub := &Submission{Fingerprint: t.Fingerprint, Jobs: t.Plan.Len()}
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
		cur = nil
		if len(futures) >= publishBatch {
			return wait()
		}
		return nil
	}
	for i := int64(0); i < t.Plan.Len(); i++ {
		if i%int64(batch) == 0 || have[i] {
			if err := publish(); err != nil {
				return sub, err
			}
		}
		if have[i] {
			continue
		}
		if cur == nil {
			cur = &job{Tournament: t.Fingerprint, Index: i}
		}
		cur.Keys = append(cur.Keys, t.Plan.Job(i).KeyString)
	}
	if err := publish(); err != nil {
		return sub, err
	}
	return sub, wait()
}
