package natsqueue

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"parley"
)

// Defaults of Options.
const (
	DefaultPrefix  = "parley"
	DefaultAckWait = 30 * time.Second
	// DefaultDuplicateWindow is how long the streams remember message ids
	// to drop duplicate jobs and results.
	DefaultDuplicateWindow = 10 * time.Minute
)

// Message headers set on results.
const (
	// HeaderWorker names the worker that ran the negotiation.
	HeaderWorker = "Parley-Worker"
	// HeaderDelivery is the job's delivery count when it ran (1 the first
	// time; more after a redelivery).
	HeaderDelivery = "Parley-Delivery"
)

// Options name and configure the JetStream resources of a queue. Every
// process of one deployment must use the same Prefix; the other fields
// apply when the resources are created or updated.
type Options struct {
	// Prefix names the streams (PREFIX_JOBS, PREFIX_RESULTS), the workers'
	// consumer (PREFIX_workers), the bundle bucket (PREFIX_bundles) and the
	// subjects (prefix.jobs.FINGERPRINT, prefix.results.FINGERPRINT).
	// Letters, digits, '-' and '_'; default "parley".
	Prefix string
	// AckWait is how long a job may stay unacknowledged without a sign of
	// progress before it is redelivered to another worker. Workers signal
	// progress every AckWait/3 while they run a negotiation, so a long
	// negotiation is not redelivered; a dead worker's jobs are redelivered
	// after AckWait. Default 30s.
	AckWait time.Duration
	// Replicas is the number of copies of each stream and of the bucket in a
	// NATS cluster (1 on a single server; 3 on a 3-node cluster).
	Replicas int
	// DuplicateWindow is how long the streams drop a job or result published
	// again under the same id. Default DefaultDuplicateWindow.
	DuplicateWindow time.Duration
}

// Queue is a tournament work queue on a JetStream server or cluster.
type Queue struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	opt Options

	jobs, results jetstream.Stream
	bundles       jetstream.ObjectStore
}

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Open creates or updates the queue's streams, consumer and bucket on the
// server nc is connected to, and returns the queue.
func Open(ctx context.Context, nc *nats.Conn, opt Options) (*Queue, error) {
	if opt.Prefix == "" {
		opt.Prefix = DefaultPrefix
	}
	if !prefixRE.MatchString(opt.Prefix) {
		return nil, parley.Errorf(parley.EINVALID, "queue prefix %q: want letters, digits, '-' and '_'", opt.Prefix)
	}
	if opt.AckWait <= 0 {
		opt.AckWait = DefaultAckWait
	}
	if opt.Replicas <= 0 {
		opt.Replicas = 1
	}
	if opt.DuplicateWindow <= 0 {
		opt.DuplicateWindow = DefaultDuplicateWindow
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	q := &Queue{nc: nc, js: js, opt: opt}
	q.jobs, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        q.streamName("JOBS"),
		Description: "Parley tournament jobs: one message per negotiation key",
		Subjects:    []string{q.subject("jobs", ">")},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    opt.Replicas,
		Duplicates:  opt.DuplicateWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs stream: %w", err)
	}
	q.results, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        q.streamName("RESULTS"),
		Description: "Parley tournament results: one results row per negotiation",
		Subjects:    []string{q.subject("results", ">")},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    opt.Replicas,
		Duplicates:  opt.DuplicateWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("results stream: %w", err)
	}
	_, err = js.CreateOrUpdateConsumer(ctx, q.streamName("JOBS"), jetstream.ConsumerConfig{
		Durable:       q.consumerName(),
		Description:   "Parley workers",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       opt.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 100000,
		Replicas:      opt.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("workers consumer: %w", err)
	}
	q.bundles, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      q.opt.Prefix + "_bundles",
		Description: "Parley tournament bundles: configuration and scenarios",
		Storage:     jetstream.FileStorage,
		Replicas:    opt.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("bundle bucket: %w", err)
	}
	return q, nil
}

// Options returns the queue's options, defaults filled in.
func (q *Queue) Options() Options { return q.opt }

func (q *Queue) streamName(kind string) string {
	return strings.ToUpper(q.opt.Prefix) + "_" + kind
}

func (q *Queue) consumerName() string { return q.opt.Prefix + "_workers" }

func (q *Queue) subject(kind, fingerprint string) string {
	return q.opt.Prefix + "." + kind + "." + fingerprint
}

// Pending returns the number of jobs waiting in the queue and the number
// delivered to workers but not yet acknowledged.
func (q *Queue) Pending(ctx context.Context) (waiting, unacked int64, err error) {
	c, err := q.js.Consumer(ctx, q.streamName("JOBS"), q.consumerName())
	if err != nil {
		return 0, 0, fmt.Errorf("workers consumer: %w", err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("workers consumer: %w", err)
	}
	return int64(info.NumPending), int64(info.NumAckPending), nil
}

var fingerprintRE = regexp.MustCompile(`^[0-9a-f]{1,64}$`)

func checkFingerprint(fp string) error {
	if !fingerprintRE.MatchString(fp) {
		return parley.Errorf(parley.EINVALID, "tournament fingerprint %q: want hexadecimal digits", fp)
	}
	return nil
}

// isNotFound reports whether err says a JetStream object does not exist.
func isNotFound(err error) bool {
	return errors.Is(err, jetstream.ErrObjectNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) ||
		errors.Is(err, jetstream.ErrConsumerNotFound)
}
