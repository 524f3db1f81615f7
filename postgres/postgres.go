// Package postgres is the PostgreSQL store.Store of `parley serve --db
// postgres://…`, through pgx/v5. Each batch is one transaction; the
// primary keys refuse duplicate events, tokens and replies, so that two
// servers racing for the same sequence number cannot both win. It is also
// a store.Notifier: every commit sends a NOTIFY naming the negotiations it
// extended, so that several servers (replicas) can share one database.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"parley"
	"parley/live"
	"parley/store"
)

const schema = `
CREATE TABLE IF NOT EXISTS negotiations (
	n       BIGSERIAL,
	id      TEXT PRIMARY KEY,
	data    TEXT NOT NULL,
	created BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
	hash        BYTEA PRIMARY KEY,
	negotiation TEXT NOT NULL REFERENCES negotiations(id),
	role        TEXT NOT NULL,
	party       TEXT NOT NULL,
	created     BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
	negotiation TEXT NOT NULL REFERENCES negotiations(id),
	seq         BIGINT NOT NULL,
	time        BIGINT NOT NULL,
	type        TEXT NOT NULL,
	party       TEXT NOT NULL,
	recipients  TEXT NOT NULL,
	data        BYTEA NOT NULL,
	prev        TEXT NOT NULL,
	hash        TEXT NOT NULL,
	PRIMARY KEY (negotiation, seq)
);
CREATE TABLE IF NOT EXISTS replies (
	token_hash BYTEA NOT NULL,
	key        TEXT NOT NULL,
	status     INTEGER NOT NULL,
	body       BYTEA NOT NULL,
	created    BIGINT NOT NULL,
	fingerprint BYTEA NOT NULL DEFAULT ''::bytea,
	PRIMARY KEY (token_hash, key)
);
-- Databases created before requests were fingerprinted.
ALTER TABLE replies ADD COLUMN IF NOT EXISTS fingerprint BYTEA NOT NULL DEFAULT ''::bytea;
`

// Store is a PostgreSQL store.Store.
type Store struct {
	pool *pgxpool.Pool
	// channel is the LISTEN/NOTIFY channel of the store's schema
	// (channels are per database, not per schema).
	channel string
	// origin marks this store's notifications, which its own listener
	// skips: its server applied those events already.
	origin string
	reqs   chan *request
	done   chan struct{}
	closed chan struct{}
}

type request struct {
	b   *live.Batch
	err chan error
}

// maxGroup bounds how many batches one group transaction commits.
const maxGroup = 256

// commitDelay is how long the writer gathers batches after a group of more
// than one (store.Gather), for fewer, larger transactions under load.
const commitDelay = 500 * time.Microsecond

var (
	_ store.Store    = (*Store)(nil)
	_ store.Notifier = (*Store)(nil)
)

// Open connects to the database at dsn (a postgres:// URL or key=value
// string) and creates the tables when missing.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, parley.Errorf(parley.EINVALID, "postgres DSN: %v", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// A few connections per core: a burst of requests (a hundred agents
		// acting at once after a start) otherwise opened dozens of
		// connections together, each a new PostgreSQL process with cold
		// caches, and the first answers took a second on 2 cores.
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	if !strings.Contains(dsn, "pool_min_conns") {
		cfg.MinConns = min(4, cfg.MaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if _, err := pool.Exec(ctx, schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: create schema: %w", err)
	}
	var sch *string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&sch); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: current schema: %w", err)
	}
	origin, err := live.NewID()
	if err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, channel: channelOf(sch), origin: origin[:16], reqs: make(chan *request, maxGroup), done: make(chan struct{}), closed: make(chan struct{})}
	go s.writer()
	return s, nil
}

// Close stops the writer and closes the connection pool.
func (s *Store) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	close(s.done)
	<-s.closed
	s.pool.Close()
	return nil
}

// Commit implements store.Store. Batches of events and replies are
// committed in groups, one transaction for all the batches waiting (group
// commit); a group that meets a refusal is committed again batch by batch,
// so that each batch gets its own answer.
func (s *Store) Commit(ctx context.Context, b *live.Batch) error {
	req := &request{b: b, err: make(chan error, 1)}
	select {
	case s.reqs <- req:
	case <-s.done:
		return parley.Errorf(parley.EINTERNAL, "postgres store closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.err:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writer commits the queued batches in groups until Close.
func (s *Store) writer() {
	defer close(s.closed)
	last := map[string]int64{}
	previous := 0 // the size of the last group
	for {
		var first *request
		select {
		case <-s.done:
			return
		case first = <-s.reqs:
		}
		var wait time.Duration
		if previous > 1 {
			wait = commitDelay
		}
		group := store.Gather(s.reqs, first, maxGroup, wait)
		previous = len(group)
		if !s.commitGroup(group, last) {
			clear(last)
			for _, r := range group {
				r.err <- s.commitOne(context.Background(), r.b)
			}
		}
	}
}

// commitGroup commits a group in one transaction after checking every
// batch's sequence numbers against the last stored ones (cached in last).
// It reports false, having committed nothing, when the database refused
// something (a reused idempotency key, another writer's event): the caller
// then commits batch by batch.
func (s *Store) commitGroup(group []*request, last map[string]int64) bool {
	for _, r := range group {
		if r.b.Negotiation != nil || len(r.b.Tokens) > 0 {
			return false // set-up batches go one by one
		}
	}
	ctx := context.Background()
	var unknown []string
	seen := map[string]bool{} // sequence numbers read from the database for this group
	for _, r := range group {
		for _, e := range r.b.Events {
			if _, ok := last[e.NegotiationID]; !ok && !seen[e.NegotiationID] {
				seen[e.NegotiationID] = true
				unknown = append(unknown, e.NegotiationID)
			}
		}
	}
	if len(unknown) > 0 {
		rows, err := s.pool.Query(ctx, `SELECT n.id, COALESCE((SELECT MAX(seq) FROM events e WHERE e.negotiation = n.id), 0) FROM negotiations n WHERE n.id = ANY($1)`, unknown)
		if err != nil {
			return false
		}
		for rows.Next() {
			var id string
			var l int64
			if err := rows.Scan(&id, &l); err != nil {
				rows.Close()
				return false
			}
			last[id] = l
		}
		rows.Close()
		if rows.Err() != nil {
			return false
		}
	}
	errs := make([]error, len(group))
	next := map[string]int64{}
	var q pgx.Batch
	var events eventRows
	var replies replyRows
	for i, r := range group {
		mine := map[string]int64{}
		for _, e := range r.b.Events {
			l, ok := mine[e.NegotiationID]
			if !ok {
				l, ok = next[e.NegotiationID]
			}
			cached := false
			if !ok {
				l, ok = last[e.NegotiationID]
				cached = ok && !seen[e.NegotiationID]
			}
			if !ok {
				errs[i] = parley.Errorf(parley.ENOTFOUND, "event for unknown negotiation %s", e.NegotiationID)
				break
			}
			if e.Seq != l+1 {
				if cached {
					// Another server may have appended since the number
					// was cached: let the database decide, batch by batch.
					return false
				}
				errs[i] = parley.Errorf(parley.ECONFLICT, "negotiation %s: event %d does not follow event %d", e.NegotiationID, e.Seq, l)
				break
			}
			mine[e.NegotiationID] = e.Seq
		}
		if errs[i] != nil {
			continue
		}
		if rp := r.b.Reply; rp != nil {
			replies.add(rp)
		}
		for i := range r.b.Events {
			events.add(&r.b.Events[i])
		}
		for id, l := range mine {
			next[id] = l
		}
	}
	// One statement per table for the whole group (its rows as arrays),
	// and one notification for every 150 negotiations.
	if len(replies.key) > 0 {
		q.Queue(insertReplies, replies.tokenHash, replies.key, replies.status, replies.body, replies.created, replies.fingerprint)
	}
	if len(events.seq) > 0 {
		q.Queue(insertEvents, events.negotiation, events.seq, events.time, events.typ, events.party, events.recipients, events.data, events.prev, events.hash)
	}
	for _, p := range s.notices(next) {
		q.Queue("SELECT pg_notify($1, $2)", s.channel, p)
	}
	// One round trip: the statements of a batch sent without a BEGIN run
	// in one implicit transaction, committed at its end, so a refused
	// statement refuses them all (and its notifications are not sent).
	if q.Len() > 0 {
		if err := s.pool.SendBatch(ctx, &q).Close(); err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				return false // refused: nothing stored; go batch by batch
			}
			// Whether it committed is unknown.
			clear(last)
			for _, r := range group {
				r.err <- fmt.Errorf("postgres: commit: %w", err)
			}
			return true
		}
	}
	for id, l := range next {
		last[id] = l
	}
	for i, r := range group {
		r.err <- errs[i]
	}
	return true
}

// insertEvents and insertReplies insert the rows of a group, given column
// by column as arrays.
const (
	insertEvents = `INSERT INTO events (negotiation, seq, time, type, party, recipients, data, prev, hash)
	SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::text[], $9::text[])`
	insertReplies = `INSERT INTO replies (token_hash, key, status, body, created, fingerprint)
	SELECT * FROM unnest($1::bytea[], $2::text[], $3::integer[], $4::bytea[], $5::bigint[], $6::bytea[])`
)

// eventRows are events column by column, for insertEvents.
type eventRows struct {
	negotiation, typ, party, recipients, prev, hash []string
	seq, time                                       []int64
	data                                            [][]byte
}

func (r *eventRows) add(e *live.Event) {
	to, _ := json.Marshal(e.To)
	r.negotiation = append(r.negotiation, e.NegotiationID)
	r.seq = append(r.seq, e.Seq)
	r.time = append(r.time, e.Time.UnixNano())
	r.typ = append(r.typ, e.Type)
	r.party = append(r.party, e.Party)
	r.recipients = append(r.recipients, string(to))
	r.data = append(r.data, nonNil(e.Data))
	r.prev = append(r.prev, e.Prev)
	r.hash = append(r.hash, e.Hash)
}

// replyRows are replies column by column, for insertReplies.
type replyRows struct {
	tokenHash, body, fingerprint [][]byte
	key                          []string
	status                       []int32
	created                      []int64
}

func (r *replyRows) add(rp *live.Reply) {
	r.tokenHash = append(r.tokenHash, nonNil(rp.TokenHash))
	r.key = append(r.key, rp.Key)
	r.status = append(r.status, int32(rp.Status))
	r.body = append(r.body, nonNil(rp.Body))
	r.created = append(r.created, rp.Created.UnixNano())
	r.fingerprint = append(r.fingerprint, nonNil(rp.Fingerprint))
}

// pgError maps constraint violations to Parley error codes.
func pgError(err error, what string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return parley.Errorf(parley.ECONFLICT, "%s: already exists (%s)", what, pe.ConstraintName)
		case "23503":
			return parley.Errorf(parley.ENOTFOUND, "%s: unknown negotiation", what)
		}
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// commitOne commits one batch in its own transaction.
func (s *Store) commitOne(ctx context.Context, b *live.Batch) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	var q pgx.Batch
	if n := b.Negotiation; n != nil {
		data, err := json.Marshal(n)
		if err != nil {
			// The service built n: a value it cannot encode is its fault.
			return parley.Errorf(parley.EINTERNAL, "postgres: encode negotiation %s: %v", n.ID, err)
		}
		q.Queue("INSERT INTO negotiations (id, data, created) VALUES ($1, $2, $3)", n.ID, string(data), n.Created.UnixNano())
	}
	for _, t := range b.Tokens {
		q.Queue("INSERT INTO tokens (hash, negotiation, role, party, created) VALUES ($1, $2, $3, $4, $5)", t.Hash, t.NegotiationID, string(t.Role), t.Party, t.Created.UnixNano())
	}
	checked := map[string]bool{}
	for _, e := range b.Events {
		if !checked[e.NegotiationID] {
			// The first event of each negotiation in the batch must follow
			// the last stored one; later ones follow it in the batch.
			checked[e.NegotiationID] = true
			q.Queue("SELECT COALESCE(MAX(seq), 0), EXISTS (SELECT 1 FROM negotiations WHERE id = $1) FROM events WHERE negotiation = $1", e.NegotiationID)
		}
		to, _ := json.Marshal(e.To)
		q.Queue("INSERT INTO events (negotiation, seq, time, type, party, recipients, data, prev, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
			e.NegotiationID, e.Seq, e.Time.UnixNano(), e.Type, e.Party, string(to), []byte(e.Data), e.Prev, e.Hash)
	}
	if r := b.Reply; r != nil {
		q.Queue("INSERT INTO replies (token_hash, key, status, body, created, fingerprint) VALUES ($1, $2, $3, $4, $5, $6)", nonNil(r.TokenHash), r.Key, r.Status, nonNil(r.Body), r.Created.UnixNano(), nonNil(r.Fingerprint))
	}
	notify := map[string]int64{}
	for _, e := range b.Events {
		notify[e.NegotiationID] = max(notify[e.NegotiationID], e.Seq)
	}
	for _, p := range s.notices(notify) {
		q.Queue("SELECT pg_notify($1, $2)", s.channel, p)
	}
	br := tx.SendBatch(ctx, &q)
	if b.Negotiation != nil {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return pgError(err, "negotiation "+b.Negotiation.ID)
		}
	}
	for range b.Tokens {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return pgError(err, "token")
		}
	}
	last := map[string]int64{}
	for _, e := range b.Events {
		l, seen := last[e.NegotiationID]
		if !seen {
			var exists bool
			if err := br.QueryRow().Scan(&l, &exists); err != nil {
				br.Close()
				return pgError(err, "last event of "+e.NegotiationID)
			}
			if !exists && (b.Negotiation == nil || b.Negotiation.ID != e.NegotiationID) {
				br.Close()
				return parley.Errorf(parley.ENOTFOUND, "event for unknown negotiation %s", e.NegotiationID)
			}
		}
		if e.Seq != l+1 {
			br.Close()
			return parley.Errorf(parley.ECONFLICT, "negotiation %s: event %d does not follow event %d", e.NegotiationID, e.Seq, l)
		}
		if _, err := br.Exec(); err != nil {
			br.Close()
			return pgError(err, fmt.Sprintf("event %s/%d", e.NegotiationID, e.Seq))
		}
		last[e.NegotiationID] = e.Seq
	}
	if r := b.Reply; r != nil {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return pgError(err, fmt.Sprintf("idempotency key %q", r.Key))
		}
	}
	for range notify {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return pgError(err, "notify")
		}
	}
	if err := br.Close(); err != nil {
		return pgError(err, "batch")
	}
	if err := tx.Commit(ctx); err != nil {
		return pgError(err, "commit")
	}
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Negotiation implements store.Store.
func (s *Store) Negotiation(ctx context.Context, id string) (*live.Negotiation, error) {
	var data string
	err := s.pool.QueryRow(ctx, "SELECT data FROM negotiations WHERE id = $1", id).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "no negotiation %q", id)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: negotiation %s: %w", id, err)
	}
	var n live.Negotiation
	if err := json.Unmarshal([]byte(data), &n); err != nil {
		return nil, fmt.Errorf("postgres: decode negotiation %s: %w", id, err)
	}
	return &n, nil
}

// Negotiations implements store.Store.
func (s *Store) Negotiations(ctx context.Context) ([]*live.Negotiation, error) {
	rows, err := s.pool.Query(ctx, "SELECT data FROM negotiations ORDER BY n")
	if err != nil {
		return nil, fmt.Errorf("postgres: list negotiations: %w", err)
	}
	defer rows.Close()
	var out []*live.Negotiation
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("postgres: list negotiations: %w", err)
		}
		var n live.Negotiation
		if err := json.Unmarshal([]byte(data), &n); err != nil {
			return nil, fmt.Errorf("postgres: decode negotiation: %w", err)
		}
		out = append(out, &n)
	}
	return out, rows.Err()
}

// Token implements store.Store.
func (s *Store) Token(ctx context.Context, hash []byte) (*live.Token, error) {
	t := live.Token{Hash: hash}
	var role string
	var created int64
	err := s.pool.QueryRow(ctx, "SELECT negotiation, role, party, created FROM tokens WHERE hash = $1", hash).Scan(&t.NegotiationID, &role, &t.Party, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "no such token")
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: token: %w", err)
	}
	t.Role, t.Created = live.Role(role), time.Unix(0, created).UTC()
	return &t, nil
}

// Events implements store.Store.
func (s *Store) Events(ctx context.Context, negotiation string, after int64, limit int) ([]live.Event, error) {
	var lim any
	if limit > 0 {
		lim = limit
	}
	rows, err := s.pool.Query(ctx, "SELECT seq, time, type, party, recipients, data, prev, hash FROM events WHERE negotiation = $1 AND seq > $2 ORDER BY seq LIMIT $3", negotiation, after, lim)
	if err != nil {
		return nil, fmt.Errorf("postgres: events of %s: %w", negotiation, err)
	}
	defer rows.Close()
	var out []live.Event
	for rows.Next() {
		e := live.Event{NegotiationID: negotiation}
		var tm int64
		var to string
		var data []byte
		if err := rows.Scan(&e.Seq, &tm, &e.Type, &e.Party, &to, &data, &e.Prev, &e.Hash); err != nil {
			return nil, fmt.Errorf("postgres: events of %s: %w", negotiation, err)
		}
		e.Time, e.Data = time.Unix(0, tm).UTC(), data
		if err := json.Unmarshal([]byte(to), &e.To); err != nil {
			return nil, fmt.Errorf("postgres: event %s/%d recipients: %w", negotiation, e.Seq, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Reply implements store.Store.
func (s *Store) Reply(ctx context.Context, tokenHash []byte, key string) (*live.Reply, error) {
	r := live.Reply{TokenHash: tokenHash, Key: key}
	var created int64
	err := s.pool.QueryRow(ctx, "SELECT status, body, created, fingerprint FROM replies WHERE token_hash = $1 AND key = $2", nonNil(tokenHash), key).Scan(&r.Status, &r.Body, &created, &r.Fingerprint)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "no reply for key %q", key)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: reply: %w", err)
	}
	r.Created = time.Unix(0, created).UTC()
	return &r, nil
}
