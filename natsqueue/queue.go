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
	// after AckWait. 0 keeps the consumer's, or DefaultAckWait when Open
	// creates it.
	AckWait time.Duration
	// Replicas is the number of copies of each stream and of the bucket in a
	// NATS cluster (1 on a single server; 3 on a 3-node cluster). 0 keeps
	// the streams', or 1 when Open creates them.
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

// Open connects the queue to the JetStream server or cluster nc is
// connected to. It creates the streams, consumer and bucket that do not
// exist yet; an existing one keeps its settings unless opt sets AckWait or
// Replicas, which then update it.
func Open(ctx context.Context, nc *nats.Conn, opt Options) (*Queue, error) {
	if opt.Prefix == "" {
		opt.Prefix = DefaultPrefix
	}
	if !prefixRE.MatchString(opt.Prefix) {
		return nil, parley.Errorf(parley.EINVALID, "queue prefix %q: want letters, digits, '-' and '_'", opt.Prefix)
	}
	if opt.AckWait < 0 || opt.Replicas < 0 || opt.DuplicateWindow < 0 {
		return nil, parley.Errorf(parley.EINVALID, "queue options: negative ack wait, replicas or duplicate window")
	}
	if opt.DuplicateWindow == 0 {
		opt.DuplicateWindow = DefaultDuplicateWindow
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	q := &Queue{nc: nc, js: js, opt: opt}
	replicas := max(opt.Replicas, 1)
	q.jobs, err = q.ensureStream(ctx, jetstream.StreamConfig{
		Name:        q.streamName("JOBS"),
		Description: "Parley tournament jobs: one message per negotiation key",
		Subjects:    []string{q.subject("jobs", ">")},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Duplicates:  opt.DuplicateWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs stream: %w", err)
	}
	q.results, err = q.ensureStream(ctx, jetstream.StreamConfig{
		Name:        q.streamName("RESULTS"),
		Description: "Parley tournament results: one results row per negotiation",
		Subjects:    []string{q.subject("results", ">")},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Duplicates:  opt.DuplicateWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("results stream: %w", err)
	}
	cc := jetstream.ConsumerConfig{
		Durable:       q.consumerName(),
		Description:   "Parley workers",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       DefaultAckWait,
		MaxDeliver:    -1,
		MaxAckPending: 100000,
		Replicas:      opt.Replicas, // 0: the stream's
	}
	if opt.AckWait > 0 {
		cc.AckWait = opt.AckWait
	}
	cons, err := js.Consumer(ctx, q.streamName("JOBS"), q.consumerName())
	switch {
	case err != nil && !isNotFound(err):
		return nil, fmt.Errorf("workers consumer: %w", err)
	case err == nil && (opt.AckWait > 0 || opt.Replicas > 0):
		cons, err = js.UpdateConsumer(ctx, q.streamName("JOBS"), cc)
	case err != nil:
		cons, err = js.CreateConsumer(ctx, q.streamName("JOBS"), cc)
		if errors.Is(err, jetstream.ErrConsumerExists) {
			cons, err = js.Consumer(ctx, q.streamName("JOBS"), q.consumerName())
		}
	}
	if err != nil {
		return nil, fmt.Errorf("workers consumer: %w", err)
	}
	q.opt.AckWait = cons.CachedInfo().Config.AckWait
	q.opt.Replicas = q.jobs.CachedInfo().Config.Replicas
	bucket := q.opt.Prefix + "_bundles"
	q.bundles, err = js.ObjectStore(ctx, bucket)
	if err != nil {
		if !isNotFound(err) && !errors.Is(err, jetstream.ErrBucketNotFound) {
			return nil, fmt.Errorf("bundle bucket: %w", err)
		}
		q.bundles, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      bucket,
			Description: "Parley tournament bundles: configuration and scenarios",
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			q.bundles, err = js.ObjectStore(ctx, bucket)
		}
		if err != nil {
			return nil, fmt.Errorf("bundle bucket: %w", err)
		}
	}
	return q, nil
}

// ensureStream creates the stream if missing, and updates it when the
// options ask for a number of replicas. It never creates over an existing
// stream: a lookup that fails while a cluster elects a leader must not
// reset a replicated stream to one replica.
func (q *Queue) ensureStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := q.js.Stream(ctx, cfg.Name)
	switch {
	case err == nil && q.opt.Replicas == 0:
		return s, nil
	case err == nil:
		return q.js.UpdateStream(ctx, cfg)
	case !isNotFound(err):
		return nil, err
	}
	s, err = q.js.CreateStream(ctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return q.js.Stream(ctx, cfg.Name)
	}
	return s, err
}

// Options returns the queue's options, with the consumer's ack wait and
// the jobs stream's replicas as they are on the server.
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
