package natsqueue

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"parley"
	"parley/tournament"
)

// flushEvery bounds the time collected rows stay in memory.
const flushEvery = 200 * time.Millisecond

// CollectOptions control a Collect.
type CollectOptions struct {
	// Started, if set, is called once with 0 and the number of
	// negotiations; Progress after each row written, with the number
	// written and the total. Both are called from Collect's goroutine.
	Started  func(done, total int64)
	Progress func(done, total int64)
}

// Collection reports a Collect.
type Collection struct {
	// Jobs is the number of negotiations of the plan; Done how many rows
	// results.csv holds (all of them unless Collect stopped early).
	Jobs, Done int64
	// Duplicates counts results dropped because their negotiation was
	// already collected (a job run twice after a redelivery).
	Duplicates int64
	// Redelivered counts the rows whose job had been delivered more than
	// once when it ran.
	Redelivered int64
	// Workers counts the rows by the worker that ran them.
	Workers map[string]int64
	// Elapsed is the collection's wall time.
	Elapsed time.Duration
}

// received is one result read from the results stream: its index and key,
// and its row as the worker wrote it (with its line end), which the
// collector copies into results.csv as is.
type received struct {
	index    int64
	key      string
	row      []byte
	columns  int
	worker   string
	delivery int
}

// readResults calls fn with each result of the tournament in the results
// stream, in stream order, until fn returns done, or, when follow is false,
// once the results present when it started are read.
func (q *Queue) readResults(ctx context.Context, fingerprint string, follow bool, fn func(received) (done bool, err error)) error {
	subject := q.subject("results", fingerprint)
	if !follow {
		info, err := q.results.Info(ctx, jetstream.WithSubjectFilter(subject))
		if err != nil {
			return fmt.Errorf("results stream: %w", err)
		}
		if info.State.Subjects[subject] == 0 {
			return nil
		}
	}
	var last uint64 // stream sequence of the last message read
	for {
		err := q.readFrom(ctx, subject, last, follow, func(msg jetstream.Msg, seq uint64) (bool, error) {
			last = seq
			rs, err := parseResults(msg)
			if err != nil {
				return false, fmt.Errorf("results of %s: %w", fingerprint, err)
			}
			for _, r := range rs {
				done, err := fn(r)
				if err != nil || done {
					return true, err
				}
			}
			return false, nil
		})
		var te *transientError
		if !errors.As(err, &te) || ctx.Err() != nil {
			return err
		}
		// A NATS node lost or a leader being elected: read on from the
		// last message once the cluster answers again.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// quietRestart is the number of seconds without a message after which a
// reader makes a new consumer.
const quietRestart = 5

// transientError is a failure to read a stream that may pass.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// readFrom calls fn with each message of subject after stream sequence
// after, until fn returns stop, or, when follow is false, the messages
// present when it started are read. Failures of the consumer are
// transientErrors.
func (q *Queue) readFrom(ctx context.Context, subject string, after uint64, follow bool, fn func(jetstream.Msg, uint64) (stop bool, err error)) error {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}, DeliverPolicy: jetstream.DeliverAllPolicy}
	if after > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, after+1
	}
	// A request to a cluster without a stream leader waits as long as its
	// context: bound it, and try again.
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	cons, err := q.js.OrderedConsumer(cctx, q.streamName("RESULTS"), cfg)
	cancel()
	if err != nil {
		return &transientError{fmt.Errorf("read %s: %w", subject, err)}
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(512))
	if err != nil {
		return &transientError{fmt.Errorf("read %s: %w", subject, err)}
	}
	defer it.Stop()
	silent := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		msg, err := it.Next(jetstream.NextMaxWait(time.Second))
		if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			// A consumer made while a cluster elected its leaders may stay
			// silent: after quietRestart without messages, make a new one.
			if silent++; silent >= quietRestart {
				return &transientError{fmt.Errorf("read %s: no message for %ds", subject, silent)}
			}
			continue
		}
		silent = 0
		if err != nil {
			return &transientError{fmt.Errorf("read %s: %w", subject, err)}
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("read %s: %w", subject, err)
		}
		stop, err := fn(msg, meta.Sequence.Stream)
		if err != nil || stop {
			return err
		}
		if !follow && meta.NumPending == 0 {
			return nil
		}
	}
}

// parseResults reads the rows of a result message. It parses each row's
// index and key, and keeps the row's bytes: workers write rows as
// tournament.Writer does, so a row goes into results.csv unchanged.
func parseResults(msg jetstream.Msg) ([]received, error) {
	id := msg.Headers().Get(jetstream.MsgIDHeader)
	d, _ := strconv.Atoi(msg.Headers().Get(HeaderDelivery))
	worker := msg.Headers().Get(HeaderWorker)
	data := msg.Data()
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var out []received
	for {
		start := cr.InputOffset()
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, parley.Errorf(parley.EINVALID, "result message %s: %v", id, err)
		}
		if len(row) < 2 {
			return nil, parley.Errorf(parley.EINVALID, "result message %s: a row of %d columns", id, len(row))
		}
		index, err := strconv.ParseInt(row[0], 10, 64)
		if err != nil {
			return nil, parley.Errorf(parley.EINVALID, "result message %s: index %q", id, row[0])
		}
		raw := data[start:cr.InputOffset()]
		if raw[len(raw)-1] != '\n' {
			raw = append(raw[:len(raw):len(raw)], '\n')
		}
		out = append(out, received{index: index, key: row[1], row: raw, columns: len(row), worker: worker, delivery: d})
	}
	if len(out) == 0 {
		return nil, parley.Errorf(parley.EINVALID, "result message %s holds no row", id)
	}
	return out, nil
}

// resultIndexes returns the plan indexes that have a result in the stream.
func (q *Queue) resultIndexes(ctx context.Context, fingerprint string) (map[int64]bool, error) {
	have := map[int64]bool{}
	err := q.readResults(ctx, fingerprint, false, func(r received) (bool, error) {
		have[r.index] = true
		return false, nil
	})
	return have, err
}

// Collect reads the tournament's results from the results stream as they
// come and writes dir/results.csv and dir/tournament.json as
// tournament.Run would: rows in plan order, one per negotiation, the first
// result of each index kept and later copies counted as duplicates. It
// returns once every negotiation is written. If ctx ends first, it writes
// the rows that are in order so far with an incomplete manifest (a local
// `parley tournament` of the same plan can resume them) and returns ctx's
// error.
func (q *Queue) Collect(ctx context.Context, t *Tournament, dir string, opts CollectOptions) (*Collection, error) {
	start := time.Now()
	p := t.Plan
	col := &Collection{Jobs: p.Len(), Workers: map[string]int64{}}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return col, fmt.Errorf("results folder: %w", err)
	}
	man := &tournament.Manifest{Fingerprint: t.Fingerprint, Shard: tournament.Shard{}.String(), Jobs: p.Len(),
		MaxRoles: p.MaxRoles, Config: t.Config}
	for _, e := range p.Entries {
		man.Scenarios = append(man.Scenarios, tournament.ManifestScenario{ID: e.ID, Path: e.Path})
	}
	if err := writeManifest(dir, man); err != nil {
		return col, err
	}
	f, err := os.Create(filepath.Join(dir, tournament.ResultsFile))
	if err != nil {
		return col, fmt.Errorf("create results: %w", err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 64<<10)
	hw, err := tournament.NewWriter(bw, p.MaxRoles, true)
	if err == nil {
		err = hw.Flush() // the header; rows are copied as the workers wrote them
	}
	if err != nil {
		return col, err
	}
	columns := len(tournament.Header(p.MaxRoles))
	if opts.Started != nil {
		opts.Started(0, col.Jobs)
	}
	pending := map[int64]received{}
	lastFlush := time.Now()
	write := func(r received) error {
		if _, err := bw.Write(r.row); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
		col.Done++
		col.Workers[r.worker]++
		if r.delivery > 1 {
			col.Redelivered++
		}
		if opts.Progress != nil {
			opts.Progress(col.Done, col.Jobs)
		}
		return nil
	}
	err = nil
	if col.Jobs > 0 {
		err = q.readResults(ctx, t.Fingerprint, true, func(r received) (bool, error) {
			i := r.index
			if i < 0 || i >= p.Len() {
				return false, parley.Errorf(parley.EINVALID, "result of index %d: the plan has %d negotiations", i, p.Len())
			}
			if want := p.Job(i).KeyString; r.key != want {
				return false, parley.Errorf(parley.EINVALID, "result of index %d has key %q; the plan's is %q", i, r.key, want)
			}
			if r.columns != columns {
				return false, parley.Errorf(parley.EINVALID, "result of index %d has %d columns; the plan's results have %d", i, r.columns, columns)
			}
			if _, dup := pending[i]; dup || i < col.Done {
				col.Duplicates++
				return false, nil
			}
			pending[i] = r
			for {
				next, ok := pending[col.Done]
				if !ok {
					break
				}
				delete(pending, col.Done)
				if err := write(next); err != nil {
					return false, err
				}
			}
			if time.Since(lastFlush) >= flushEvery {
				lastFlush = time.Now()
				if err := bw.Flush(); err != nil {
					return false, fmt.Errorf("write results: %w", err)
				}
			}
			return col.Done == col.Jobs, nil
		})
	}
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write results: %w", ferr)
	}
	if serr := f.Sync(); err == nil && serr != nil {
		err = fmt.Errorf("write results: %w", serr)
	}
	man.Done = col.Done
	man.Complete = col.Done == col.Jobs
	if merr := writeManifest(dir, man); err == nil {
		err = merr
	}
	col.Elapsed = time.Since(start)
	return col, err
}

// writeManifest replaces dir's manifest atomically, in the form
// tournament.Run writes.
func writeManifest(dir string, m *tournament.Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	tmp := filepath.Join(dir, tournament.ManifestFile+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, tournament.ManifestFile)); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}
