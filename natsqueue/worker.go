package natsqueue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"parley"
	"parley/tournament"
)

// WorkOptions control a worker.
type WorkOptions struct {
	// Workers is the number of negotiations run at once; 0 means every
	// core.
	Workers int
	// Name identifies the worker in results (header Parley-Worker); default
	// HOSTNAME-PID.
	Name string
	// Idle stops the worker once no job has come for this long (0: run
	// until ctx ends).
	Idle time.Duration
	// Done, if set, is called after each job is acknowledged, with its
	// number of negotiations. It is called from the worker's goroutines
	// concurrently.
	Done func(negotiations int)
	// Log, if set, receives one line per job that could not be run and is
	// left for redelivery or dropped. Called concurrently.
	Log func(msg string)
}

// WorkStats reports a worker's run.
type WorkStats struct {
	// Ran counts the negotiations run and acknowledged; Failed the jobs
	// (batches of negotiations) that could not be run (left for
	// redelivery, or dropped when they can never run).
	Ran, Failed int64
	// Elapsed is the worker's wall time.
	Elapsed time.Duration
}

// publishTimeout bounds publishing one result message, and acknowledging a
// job.
const publishTimeout = 30 * time.Second

// Work pulls jobs from the queue and runs them on opts.Workers goroutines
// until ctx ends or, with opts.Idle, the queue stays empty. For each job it
// runs its negotiations, publishes their result rows under the id
// result/FINGERPRINT/INDEX-COUNT (in several messages if they exceed half
// the server's maximum payload), waits for the server to store them, and
// only then acknowledges the job; while the negotiations run it tells the
// server every AckWait/3 that the job is in progress. When ctx ends, the
// negotiations under way are finished, published and acknowledged before
// Work returns.
// A pull that fails once jobs have come (a NATS node lost, a stream leader
// being elected) is logged and started again a second later.
func (q *Queue) Work(ctx context.Context, opts WorkOptions) (*WorkStats, error) {
	start := time.Now()
	n := opts.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	if opts.Name == "" {
		host, _ := os.Hostname()
		opts.Name = host + "-" + strconv.Itoa(os.Getpid())
	}
	w := &worker{q: q, opts: opts, plans: map[string]*planSlot{}}
	var ran, failed atomic.Int64
	logf := func(format string, args ...any) {
		if opts.Log != nil {
			opts.Log(fmt.Sprintf(format, args...))
		}
	}
	// Pull until ctx ends or the queue stays empty. A pull that fails (a
	// NATS node lost, a stream leader being elected) is started again.
	for attempt := 0; ; attempt++ {
		idle, err := w.pull(ctx, n, &ran, &failed)
		if idle || ctx.Err() != nil {
			break
		}
		if attempt == 0 && ran.Load() == 0 && failed.Load() == 0 && !isTransient(err) {
			return &WorkStats{Elapsed: time.Since(start)}, err
		}
		logf("%v; pulling again", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	stats := &WorkStats{Ran: ran.Load(), Failed: failed.Load(), Elapsed: time.Since(start)}
	if ctx.Err() != nil && opts.Idle <= 0 {
		return stats, ctx.Err()
	}
	return stats, nil
}

// isTransient reports whether a pull failed for a reason that may pass:
// anything but a consumer or stream that does not exist.
func isTransient(err error) bool { return err != nil && !isNotFound(err) }

// pull runs jobs from one pull subscription on n goroutines until ctx ends
// (idle false, nil), every goroutine has waited opts.Idle for a job (idle
// true), or the subscription fails (its error).
func (w *worker) pull(ctx context.Context, n int, ran, failed *atomic.Int64) (idle bool, err error) {
	opts := w.opts
	cons, err := w.q.js.Consumer(ctx, w.q.streamName("JOBS"), w.q.consumerName())
	if err != nil {
		return false, fmt.Errorf("workers consumer: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(n))
	if err != nil {
		return false, fmt.Errorf("pull jobs: %w", err)
	}
	stop := context.AfterFunc(ctx, it.Drain)
	defer stop()
	defer it.Stop()

	var idleWorkers atomic.Int32
	var allIdle atomic.Bool
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			idle := false
			for {
				var next []jetstream.NextOpt
				if opts.Idle > 0 {
					next = append(next, jetstream.NextMaxWait(opts.Idle))
				}
				msg, err := it.Next(next...)
				if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
					// Stop once every goroutine found the queue empty.
					if !idle {
						idle = true
						if int(idleWorkers.Add(1)) == n {
							allIdle.Store(true)
							it.Stop()
							return
						}
					}
					continue
				}
				if idle {
					idle = false
					idleWorkers.Add(-1)
				}
				if err != nil {
					if !errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() == nil {
						errOnce.Do(func() { firstErr = fmt.Errorf("pull jobs: %w", err) })
					}
					it.Stop()
					return
				}
				k, err := w.handle(ctx, msg)
				if err != nil {
					failed.Add(1)
					if opts.Log != nil {
						opts.Log(err.Error())
					}
					continue
				}
				ran.Add(int64(k))
				if opts.Done != nil {
					opts.Done(k)
				}
			}
		}()
	}
	wg.Wait()
	if allIdle.Load() {
		return true, nil
	}
	if ctx.Err() != nil {
		return false, nil
	}
	if firstErr == nil {
		firstErr = errors.New("pull jobs: the subscription ended")
	}
	return false, firstErr
}

// worker holds the plans a worker process has rebuilt, by fingerprint.
type worker struct {
	q     *Queue
	opts  WorkOptions
	mu    sync.Mutex
	plans map[string]*planSlot
}

// planSlot rebuilds one plan once, however many goroutines need it.
type planSlot struct {
	once sync.Once
	t    *Tournament
	err  error
}

func (w *worker) tournament(ctx context.Context, fp string) (*Tournament, error) {
	w.mu.Lock()
	s, ok := w.plans[fp]
	if !ok {
		s = &planSlot{}
		w.plans[fp] = s
	}
	w.mu.Unlock()
	s.once.Do(func() {
		// Bounded: a cluster electing leaders keeps requests waiting.
		lctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		s.t, s.err = w.q.Load(lctx, fp)
	})
	if s.err != nil && parley.ErrorCode(s.err) != parley.ECONFLICT && parley.ErrorCode(s.err) != parley.EINVALID {
		// A transient failure: let the next job try again.
		w.mu.Lock()
		if w.plans[fp] == s {
			delete(w.plans, fp)
		}
		w.mu.Unlock()
	}
	return s.t, s.err
}

// handle runs one job and returns its number of negotiations. A job that can never run
// (malformed, or of a plan this worker cannot rebuild identically) is
// terminated; other failures leave it for redelivery.
func (w *worker) handle(ctx context.Context, msg jetstream.Msg) (int, error) {
	var j job
	if err := json.Unmarshal(msg.Data(), &j); err != nil || checkFingerprint(j.Tournament) != nil || len(j.Keys) == 0 {
		_ = msg.TermWithReason("malformed job")
		return 0, parley.Errorf(parley.EINVALID, "job %.200q is malformed; dropped", msg.Data())
	}
	name := fmt.Sprintf("job %s (%d negotiations)", j.Keys[0], len(j.Keys))
	meta, err := msg.Metadata()
	if err != nil {
		_ = msg.Nak()
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	t, err := w.tournament(ctx, j.Tournament)
	if err != nil {
		if c := parley.ErrorCode(err); c == parley.ECONFLICT || c == parley.EINVALID {
			_ = msg.TermWithReason("cannot rebuild the plan")
			return 0, fmt.Errorf("%s: dropped: %w", name, err)
		}
		_ = msg.NakWithDelay(time.Second)
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	p := t.Plan
	if j.Index < 0 || j.Index > p.Len()-int64(len(j.Keys)) {
		_ = msg.TermWithReason("no such jobs in the plan")
		return 0, parley.Errorf(parley.EINVALID, "%s: indexes %d to %d are not in tournament %s; dropped", name, j.Index, j.Index+int64(len(j.Keys))-1, j.Tournament)
	}
	for k, key := range j.Keys {
		if p.Job(j.Index+int64(k)).KeyString != key {
			_ = msg.TermWithReason("no such job in the plan")
			return 0, parley.Errorf(parley.EINVALID, "%s: key %s is not at index %d of tournament %s; dropped", name, key, j.Index+int64(k), j.Tournament)
		}
	}
	// Tell the server the job is in progress while it runs.
	beat := time.NewTicker(max(w.q.opt.AckWait/3, 10*time.Millisecond))
	running := make(chan struct{})
	go func() {
		for {
			select {
			case <-beat.C:
				_ = msg.InProgress()
			case <-running:
				return
			}
		}
	}()
	// Publish and acknowledge even when ctx has ended: the work is done.
	pub := context.WithoutCancel(ctx)
	// Results go in messages of at most half the server's maximum payload:
	// a batch of cheap negotiations may hold more.
	limit := int(max(w.q.nc.MaxPayload()/2, 1<<10))
	var buf bytes.Buffer
	rw, err := tournament.NewWriter(&buf, p.MaxRoles, false)
	first := 0 // the first row in buf
	for k := 0; err == nil && k < len(j.Keys); k++ {
		rec := p.Run(p.Job(j.Index + int64(k)))
		if err = rw.Write(&rec); err == nil {
			err = rw.Flush()
		}
		if err == nil && (buf.Len() >= limit || k == len(j.Keys)-1) {
			err = w.publish(pub, msg, j, first, k+1-first, meta.NumDelivered, buf.Bytes())
			buf.Reset()
			first = k + 1
		}
	}
	beat.Stop()
	close(running)
	if err != nil {
		_ = msg.Nak()
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	actx, cancel := context.WithTimeout(pub, publishTimeout)
	defer cancel()
	if err := msg.DoubleAck(actx); err != nil {
		// The results are stored; a redelivered copy will be a duplicate.
		return 0, fmt.Errorf("%s: acknowledge: %w", name, err)
	}
	return len(j.Keys), nil
}

// publish publishes the result rows data of the count negotiations of j
// from its key first, under the id result/FINGERPRINT/INDEX-COUNT, and
// waits for the server to store them, for up to publishTimeout. A cluster
// electing a stream leader does not answer for a few seconds: it keeps the
// job (and its results) meanwhile.
func (w *worker) publish(ctx context.Context, msg jetstream.Msg, j job, first, count int, delivered uint64, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	out := &nats.Msg{Subject: w.q.subject("results", j.Tournament), Data: data, Header: nats.Header{}}
	out.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("result/%s/%d-%d", j.Tournament, j.Index+int64(first), count))
	out.Header.Set(HeaderWorker, w.opts.Name)
	out.Header.Set(HeaderDelivery, strconv.FormatUint(delivered, 10))
	for {
		_, err := w.q.js.PublishMsg(ctx, out)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoStreamResponse) && !errors.Is(err, nats.ErrNoResponders) {
			return fmt.Errorf("publish results: %w", err)
		}
		_ = msg.InProgress()
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}
