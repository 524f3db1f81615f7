// Package natsqueue runs a tournament across processes and machines on a
// NATS JetStream work queue.
//
// A submitter (Queue.Submit) stores the tournament's bundle — its
// configuration and the content of every scenario — in a JetStream object
// store, and publishes the negotiation keys to a work-queue stream, in jobs
// of consecutive keys of one scenario sized to about DefaultJobTime of work
// (or SubmitOptions.Batch keys). Workers (Queue.Work), any
// number on any machine, pull jobs, rebuild the plan from the bundle (no
// shared disk is needed), run the negotiations (tournament.Plan.Run),
// publish their result rows to a results stream and only then acknowledge
// the job. A collector (Queue.Collect) reads the
// results stream and writes results.csv and tournament.json exactly as a
// local tournament.Run of the same plan would.
//
// Delivery is at-least-once: a job whose worker dies before acknowledging it
// is redelivered after the consumer's ack wait, and a worker that dies after
// publishing but before acknowledging leaves a duplicate result. Results are
// keyed by the plan's fingerprint and the job's index: the results stream
// drops duplicates published within its duplicate window (Nats-Msg-Id), and
// the collector keeps the first result of each index and counts the others,
// so every negotiation appears exactly once in results.csv. Since a
// negotiation is a pure function of the configuration and its key, any copy
// of a result is the same row.
//
// docs/scaling.md describes the deployment, the guarantees and the failure
// behaviour.
package natsqueue
