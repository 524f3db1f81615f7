// Package store is the storage interface of live negotiations. Package
// memstore keeps it in memory (for unit tests), package sqlite in a SQLite
// file (the default of `parley serve`) and package postgres in PostgreSQL;
// package storetest is the contract suite every implementation passes.
package store

import (
	"context"

	"parley/live"
)

// Store persists negotiations, tokens, events and idempotent replies.
// Implementations are safe for concurrent use.
type Store interface {
	// Commit writes a batch atomically: all of it or none. It fails with
	// parley.ECONFLICT when the negotiation already exists, an event's Seq
	// does not follow the last stored event of its negotiation, or the
	// reply's (token, key) is already recorded; with parley.ENOTFOUND when
	// tokens or events name a negotiation that does not exist.
	Commit(ctx context.Context, b *live.Batch) error
	// Negotiation returns the negotiation with the given ID, or a
	// parley.ENOTFOUND error.
	Negotiation(ctx context.Context, id string) (*live.Negotiation, error)
	// Negotiations returns every negotiation, oldest first.
	Negotiations(ctx context.Context) ([]*live.Negotiation, error)
	// Token returns the token with the given hash, or a parley.ENOTFOUND
	// error.
	Token(ctx context.Context, hash []byte) (*live.Token, error)
	// Events returns the events of a negotiation with Seq > after, in order,
	// at most limit of them (limit <= 0: all).
	Events(ctx context.Context, negotiation string, after int64, limit int) ([]live.Event, error)
	// Reply returns the reply recorded for a token hash and idempotency key,
	// or a parley.ENOTFOUND error. A store keeps every reply for as long as
	// it lives: the server looks one up when a request is refused, to
	// answer a retry of a request that was done.
	Reply(ctx context.Context, tokenHash []byte, key string) (*live.Reply, error)
	// Close releases the store's resources.
	Close() error
}

// Notifier is implemented by stores that several servers may share
// (package postgres): through it every server learns of the events the
// others commit, so that it can bring its in-memory state up to date and
// stream them to its own subscribers.
type Notifier interface {
	// Listen calls f with a Notice for every commit of events by the
	// other servers on the store (not those made through this Store), on
	// one goroutine and in commit order, until ctx ends; then it returns. Each time it
	// (re)connects, the first notice has Resync set: notices may have
	// been missed before it. A lost connection is reported as a notice
	// with Err set, and Listen reconnects.
	Listen(ctx context.Context, f func(Notice))
}

// Notice is what a Notifier tells its listener.
type Notice struct {
	// Negotiation and Seq name the last event committed to a
	// negotiation.
	Negotiation string
	Seq         int64
	// Resync says that notices may have been missed: the listener should
	// read again everything it holds.
	Resync bool
	// Err is a lost connection (Listen is reconnecting).
	Err error
}
