package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"parley"
	"parley/natsqueue"
)

func init() { register(newWorkerCmd) }

// queueFlags are the options shared by the commands that use the NATS
// JetStream queue.
type queueFlags struct {
	url      string
	prefix   string
	ackWait  time.Duration
	replicas int
}

func addQueueFlags(cmd *cobra.Command, q *queueFlags) {
	fl := cmd.Flags()
	fl.StringVar(&q.url, "nats", os.Getenv("NATS_URL"), "NATS server URL(s), comma-separated (default $NATS_URL)")
	fl.StringVar(&q.prefix, "queue", natsqueue.DefaultPrefix, "name prefix of the queue's streams, consumer and bucket")
	fl.DurationVar(&q.ackWait, "ack-wait", 0, "redeliver a job after this long without a sign of life from its worker (default: the queue's; 30s when this command creates it)")
	fl.IntVar(&q.replicas, "replicas", 0, "copies of the queue's streams in a NATS cluster, e.g. 3 (default: the queue's; 1 when this command creates it)")
}

// openQueue connects to NATS and opens the queue. The connection retries
// for ever, so a worker outlives a restarting NATS node.
func openQueue(ctx context.Context, q queueFlags, name string) (*natsqueue.Queue, *nats.Conn, error) {
	if strings.TrimSpace(q.url) == "" {
		return nil, nil, usageError{parley.Errorf(parley.EINVALID, "give --nats URL (or set NATS_URL)")}
	}
	nc, err := nats.Connect(q.url, nats.Name(name), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(false))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS at %s: %w", q.url, err)
	}
	oc, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	qu, err := natsqueue.Open(oc, nc, natsqueue.Options{Prefix: q.prefix, AckWait: q.ackWait, Replicas: q.replicas})
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("open queue on %s: %w", q.url, err)
	}
	return qu, nc, nil
}

func newWorkerCmd() *cobra.Command {
	var qf queueFlags
	var workers int
	var name string
	var idle time.Duration
	var quiet bool
	cmd := &cobra.Command{
		Use:   "worker --nats URL",
		Short: "Run tournament negotiations pulled from a NATS JetStream queue",
		Long: `worker pulls negotiations of tournaments submitted with
'parley tournament CONFIG --nats URL' from the queue, runs them (-j at once),
publishes each result and acknowledges its job. Any number of workers may run
on any machines: they need no shared disk, since the tournament's
configuration and scenarios travel through the queue.

A worker killed mid-negotiation has its jobs given to another worker after
--ack-wait. On SIGTERM or Ctrl-C it finishes the negotiations under way,
publishes them and exits. With --idle it also exits once the queue has been
empty that long (for batch jobs).

  parley worker --nats nats://127.0.0.1:4222 -j 2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			q, nc, err := openQueue(ctx, qf, "parley worker")
			if err != nil {
				return err
			}
			defer nc.Close()
			stderr := cmd.ErrOrStderr()
			opts := natsqueue.WorkOptions{Workers: workers, Name: name, Idle: idle,
				Log: func(m string) { fmt.Fprintln(stderr, "parley worker:", m) }}
			if !quiet {
				fmt.Fprintf(stderr, "parley worker: pulling jobs from %s (%d at once)\n", qf.url, workersOf(workers))
			}
			st, err := q.Work(ctx, opts)
			if st != nil && !quiet {
				fmt.Fprintf(cmd.OutOrStdout(), "worker: %d negotiations in %.1fs (%d could not run)\n", st.Ran, st.Elapsed.Seconds(), st.Failed)
			}
			if err != nil && ctx.Err() != nil {
				return nil // stopped by a signal after finishing its work
			}
			return err
		},
	}
	addQueueFlags(cmd, &qf)
	cmd.Flags().IntVarP(&workers, "jobs", "j", 0, "negotiations run at once (default: every core)")
	cmd.Flags().StringVar(&name, "name", "", "worker name in results (default HOST-PID)")
	cmd.Flags().DurationVar(&idle, "idle", 0, "exit once no job has come for this long (0: run until stopped)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}
