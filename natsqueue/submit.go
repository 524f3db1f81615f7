package natsqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// job is the payload of a job message.
type job struct {
	Tournament string `json:"t"`
	Index      int64  `json:"i"`
	Key        string `json:"k"`
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

// Submit stores the tournament's bundle and publishes one job per
// negotiation that has no result in the results stream yet. Each job is
// published under the id JOB/FINGERPRINT/INDEX, so a Submit repeated within
// the duplicate window does not queue a job twice.
func (q *Queue) Submit(ctx context.Context, t *Tournament) (*Submission, error) {
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
	for i := int64(0); i < t.Plan.Len(); i++ {
		if have[i] {
			continue
		}
		j := t.Plan.Job(i)
		data, err := json.Marshal(job{Tournament: t.Fingerprint, Index: i, Key: j.KeyString})
		if err != nil {
			return sub, fmt.Errorf("job %s: %w", j.KeyString, err)
		}
		msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, "job/"+t.Fingerprint+"/"+strconv.FormatInt(i, 10))
		f, err := q.js.PublishMsgAsync(msg)
		if err != nil {
			return sub, fmt.Errorf("publish job %s: %w", j.KeyString, err)
		}
		futures = append(futures, f)
		sub.Published++
		if len(futures) >= publishBatch {
			if err := wait(); err != nil {
				return sub, err
			}
		}
	}
	return sub, wait()
}
