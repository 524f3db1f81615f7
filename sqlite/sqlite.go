// Package sqlite is the store.Store of `parley serve` by default: one SQLite
// file in WAL mode (modernc.org/sqlite, pure Go, no setup), synchronous=FULL
// so that every acknowledged commit is on disk. Writes go through one writer
// goroutine that commits concurrent batches together (group commit): checked
// against the cached sequence numbers and idempotency keys first, then one
// multi-row INSERT per table; a group that meets a refusal is committed again
// with each batch in its own savepoint, so that one refused batch does not
// refuse the others. Statement journals stay in memory, and a second
// goroutine checkpoints the WAL beside the writer.
package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"parley"
	"parley/live"
	"parley/store"
)

// maxGroup bounds how many batches one transaction commits.
const maxGroup = 512

const schema = `
CREATE TABLE IF NOT EXISTS negotiations (
	id      TEXT PRIMARY KEY,
	data    TEXT NOT NULL,
	created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
	hash        BLOB PRIMARY KEY,
	negotiation TEXT NOT NULL REFERENCES negotiations(id),
	role        TEXT NOT NULL,
	party       TEXT NOT NULL,
	created     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events ` + eventsColumns + `;
CREATE TABLE IF NOT EXISTS replies ` + repliesColumns + `;
CREATE TABLE IF NOT EXISTS heads (
	negotiation TEXT PRIMARY KEY,
	seq         INTEGER NOT NULL,
	last_id     INTEGER NOT NULL
) WITHOUT ROWID;
`

// A negotiation's events form a chain: each event row holds the id of its
// negotiation's previous event (prev_id, 0 for the first), and heads holds
// each negotiation's last sequence number and the id of its last event. A
// read walks the chain back from the last event to the first it returns
// (a recursive query: one row lookup per event). Each commit moves the
// negotiations' heads by compare-and-set (one row per negotiation, a few
// pages for all of them), which is what makes the database refuse a
// repeated or missing sequence number, also from another process.
//
// Before, a unique index on events (negotiation, seq) did both, but each
// negotiation's latest entries sit in a leaf of their own, so a commit of
// events of n negotiations rewrote n index pages: about one WAL page an
// action, most of the WAL, and (measured with the load test,
// docs/performance.md) the difference between a p99 over and under 20 ms
// at 5,000 actions/s. Filling that index in bulk instead wrote its leaves
// less often but inserted the same entries, in bursts inside the writer.

// addPrevID gives the events of a database made before the chain their
// prev_id column (filled by linkEvents).
const addPrevID = `ALTER TABLE events ADD COLUMN prev_id INTEGER NOT NULL DEFAULT 0`

// linkEvents links the events of a database made before the chain (with
// the unique (negotiation, seq) index, or none when it has just been moved
// to the appended layout) and fills heads.
const linkEvents = `
CREATE INDEX IF NOT EXISTS events_seq ON events (negotiation, seq);
UPDATE events SET prev_id = COALESCE((SELECT p.id FROM events p WHERE p.negotiation = events.negotiation AND p.seq = events.seq - 1), 0) WHERE seq > 1;
DELETE FROM heads;
INSERT INTO heads (negotiation, seq, last_id)
	SELECT negotiation, seq, id FROM events e WHERE seq = (SELECT MAX(seq) FROM events WHERE negotiation = e.negotiation);
DROP INDEX events_seq;
`

// eventsColumns are the columns of the events table.
const eventsColumns = `(
	id          INTEGER PRIMARY KEY,
	negotiation TEXT NOT NULL REFERENCES negotiations(id),
	seq         INTEGER NOT NULL,
	time        INTEGER NOT NULL,
	type        TEXT NOT NULL,
	party       TEXT NOT NULL,
	recipients  TEXT NOT NULL,
	data        BLOB NOT NULL,
	prev        TEXT NOT NULL,
	hash        TEXT NOT NULL,
	prev_id     INTEGER NOT NULL DEFAULT 0
)`

// Events are appended in id order (one page written for many events of a
// commit) and found through their chain (see heads). Keyed by
// (negotiation, seq) themselves (the first layout), each
// event was written into the middle of the table, at its negotiation's
// place: a commit of events of n negotiations wrote n pages, and as those
// filled, SQLite rebalanced each with its neighbours, writing three or four
// more — 2.7 pages an action where the appended layout writes about one.
const migrateEvents = `
ALTER TABLE events RENAME TO events_v1;
CREATE TABLE events ` + eventsColumns + `;
INSERT INTO events (negotiation, seq, time, type, party, recipients, data, prev, hash)
	SELECT negotiation, seq, time, type, party, recipients, data, prev, hash FROM events_v1 ORDER BY time, negotiation, seq;
DROP TABLE events_v1;
`

// repliesColumns are the columns of the replies table.
const repliesColumns = `(
	id          INTEGER PRIMARY KEY,
	token_hash  BLOB NOT NULL,
	key         TEXT NOT NULL,
	status      INTEGER NOT NULL,
	body        BLOB NOT NULL,
	created     INTEGER NOT NULL,
	fingerprint BLOB NOT NULL DEFAULT x''
)`

// Replies are appended in id order with no index on (token_hash, key): an
// index on random keys would dirty one page per reply, which was a third of
// the writer's work. The writer keeps every stored key in memory instead
// (keys), checks it before writing, and answers Reply through it. Databases
// made before this layout (replies keyed by (token_hash, key)) are moved to
// it when opened.
const migrateReplies = `
ALTER TABLE replies RENAME TO replies_v1;
CREATE TABLE replies ` + repliesColumns + `;
INSERT INTO replies (token_hash, key, status, body, created) SELECT token_hash, key, status, body, created FROM replies_v1 ORDER BY created;
DROP TABLE replies_v1;
`

// addFingerprint gives the replies of a database made before requests were
// fingerprinted their fingerprint column (empty for the replies stored so
// far).
const addFingerprint = `ALTER TABLE replies ADD COLUMN fingerprint BLOB NOT NULL DEFAULT x''`

// Store is a SQLite store.Store.
type Store struct {
	w, r   *sql.DB
	reqs   chan *request
	done   chan struct{}
	closed chan struct{}
	stmts  map[string]*sql.Stmt // prepared on w, reused by every transaction
	// multiEvents and multiReplies insert 1, 2, 4, … rows (prepareMulti).
	multiEvents, multiReplies []*sql.Stmt
	// keysMu guards keys: the id of the stored reply of every (token hash,
	// idempotency key), written by the writer only after its commit. Its
	// keys and values hold no pointers, so the garbage collector never
	// scans it however many replies the database holds.
	keysMu sync.RWMutex
	keys   map[replyID]int64
	nextID int64 // the id of the next reply (writer only)
	// commits counts the writer's transactions, for the checkpointer.
	commits atomic.Int64
	// catchUp asks the writer to checkpoint the frames the checkpointer
	// could not, so that the WAL starts again from its beginning (see
	// checkpointer).
	catchUp atomic.Bool
	// catchUps counts the writer's checkpoints (for tests).
	catchUps atomic.Int64
	ckDone   chan struct{}
}

// Statements the writer prepares once.
const (
	qNegotiation = "INSERT INTO negotiations (id, data, created) VALUES (?, ?, ?)"
	qToken       = "INSERT INTO tokens (hash, negotiation, role, party, created) VALUES (?, ?, ?, ?, ?)"
	qEvent       = "INSERT INTO events (id, negotiation, seq, time, type, party, recipients, data, prev, hash, prev_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	qNextID      = "SELECT COALESCE(MAX(id), 0) + 1 FROM events"
	qReply       = "INSERT INTO replies (id, token_hash, key, status, body, created, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?)"
	qLast        = "SELECT seq, last_id FROM heads WHERE negotiation = ?"
	qHeadInsert  = "INSERT INTO heads (negotiation, seq, last_id) VALUES (?, ?, ?)"
	qHeadMove    = "UPDATE heads SET seq = ?, last_id = ? WHERE negotiation = ? AND seq = ?"
	qExists      = "SELECT 1 FROM negotiations WHERE id = ?"
)

var _ store.Store = (*Store)(nil)

type request struct {
	b   *live.Batch
	err chan error
}

// Open opens (creating if needed) the SQLite database at path, with
// synchronous=FULL: every acknowledged commit survives a power cut.
func Open(path string) (*Store, error) { return OpenSync(path, "full") }

// OpenSync is Open with SQLite's synchronous setting: "full" (fsync at every
// commit) or "normal" (in WAL mode: a commit survives a crash of the
// process, as the crash test checks, but may be lost in a power cut or an
// operating-system crash).
func OpenSync(path, sync string) (*Store, error) {
	switch strings.ToLower(sync) {
	case "full", "normal":
	default:
		return nil, parley.Errorf(parley.EINVALID, "sqlite synchronous: %q is not full or normal", sync)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(" + strings.ToUpper(sync) + ")", "foreign_keys(ON)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + q.Encode()
	// The writer never checkpoints: the checkpointer goroutine does, on a
	// reader connection, so that copying the WAL into the database (and its
	// fsync) runs beside the writer instead of inside a commit.
	w, err := sql.Open("sqlite", dsn+"&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if _, err := w.Exec(schema); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite %s: create schema: %w", path, err)
	}
	for _, m := range migrations {
		var done int
		if err := w.QueryRow(m.done).Scan(&done); err != nil {
			w.Close()
			return nil, fmt.Errorf("sqlite %s: inspect schema: %w", path, err)
		}
		if done == 0 {
			if err := migrate(w, m.stmts); err != nil {
				w.Close()
				return nil, fmt.Errorf("sqlite %s: %s: %w", path, m.what, err)
			}
		}
	}
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	s := &Store{w: w, r: r, reqs: make(chan *request, maxGroup), done: make(chan struct{}), closed: make(chan struct{}), ckDone: make(chan struct{}), stmts: map[string]*sql.Stmt{}}
	for _, q := range []string{qNegotiation, qToken, qEvent, qNextID, qReply, qLast, qHeadInsert, qHeadMove, qExists} {
		st, err := w.Prepare(q)
		if err != nil {
			w.Close()
			r.Close()
			return nil, fmt.Errorf("sqlite %s: prepare: %w", path, err)
		}
		s.stmts[q] = st
	}
	if s.multiEvents, err = prepareMulti(w, "INSERT INTO events (id, negotiation, seq, time, type, party, recipients, data, prev, hash, prev_id) VALUES ", 11); err == nil {
		s.multiReplies, err = prepareMulti(w, "INSERT INTO replies (id, token_hash, key, status, body, created, fingerprint) VALUES ", 7)
	}
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite %s: prepare: %w", path, err)
	}
	if err := s.loadKeys(); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	go s.writer()
	go s.checkpointer(path)
	return s, nil
}

// migrations bring a database made by an earlier Parley to the current
// layout, in order.
var migrations = []struct {
	what  string // what it does, for errors
	done  string // a count that is 0 while the migration is needed
	stmts string
}{
	{"move replies to the appended layout", "SELECT COUNT(*) FROM pragma_table_info('replies') WHERE name = 'id'", migrateReplies},
	{"add replies.fingerprint", "SELECT COUNT(*) FROM pragma_table_info('replies') WHERE name = 'fingerprint'", addFingerprint},
	{"move events to the appended layout", "SELECT COUNT(*) FROM pragma_table_info('events') WHERE name = 'id'", migrateEvents},
	{"add events.prev_id", "SELECT COUNT(*) FROM pragma_table_info('events') WHERE name = 'prev_id'", addPrevID},
	// Needed while the old index exists, or when events have no heads yet
	// (just moved from the first layout); constant time, at every open.
	{"link events", "SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'events_seq') AND (EXISTS (SELECT 1 FROM heads) OR NOT EXISTS (SELECT 1 FROM events))", linkEvents},
}

// migrate runs a migration in one transaction.
func migrate(db *sql.DB, stmts string) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if _, err := tx.Exec(stmts); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// loadKeys reads every stored reply's key into keys (at open, and after a
// commit whose outcome is unknown).
func (s *Store) loadKeys() error {
	rows, err := s.w.Query("SELECT id, token_hash, key FROM replies")
	if err != nil {
		return fmt.Errorf("load idempotency keys: %w", err)
	}
	defer rows.Close()
	keys := map[replyID]int64{}
	var last int64
	for rows.Next() {
		var id int64
		var h []byte
		var k string
		if err := rows.Scan(&id, &h, &k); err != nil {
			return fmt.Errorf("load idempotency keys: %w", err)
		}
		keys[replyKey(h, k)] = id
		last = max(last, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load idempotency keys: %w", err)
	}
	s.keysMu.Lock()
	s.keys, s.nextID = keys, last+1
	s.keysMu.Unlock()
	return nil
}

// replyID identifies a reply's (token hash, idempotency key) in keys: the
// first 128 bits of their SHA-256, so that two keys share an identifier
// with a probability under 2^-60 even among billions of replies.
type replyID [16]byte

func replyKey(hash []byte, key string) replyID {
	var buf [256]byte // on the stack for the usual sizes
	// The hash's length first: ("ab", "c") and ("a", "bc") differ.
	b := binary.BigEndian.AppendUint64(buf[:0], uint64(len(hash)))
	b = append(append(b, hash...), key...)
	sum := sha256.Sum256(b)
	return replyID(sum[:16])
}

// stored reports whether a reply with this key is committed (writer only,
// so no other goroutine changes keys meanwhile).
func (s *Store) stored(k replyID) bool {
	s.keysMu.RLock()
	_, ok := s.keys[k]
	s.keysMu.RUnlock()
	return ok
}

// remember records the keys of a committed transaction.
func (s *Store) remember(pending map[replyID]int64) {
	if len(pending) == 0 {
		return
	}
	s.keysMu.Lock()
	for k, id := range pending {
		s.keys[k] = id
	}
	s.keysMu.Unlock()
}

// checkpointInterval is how often the checkpointer copies the WAL into the
// database file (a variable for tests).
var checkpointInterval = 200 * time.Millisecond

// walRestartFrames is the length of the WAL (in pages) from which the
// writer finishes a checkpoint itself so that the WAL starts again (a
// variable for tests): 16384 pages, about 64 MB, some 2 s at 5,000 actions
// a second.
var walRestartFrames = 16384

// walTruncateBytes is the size of the WAL file from which an idle
// checkpointer truncates it (a variable for tests).
var walTruncateBytes int64 = 64 << 20

// checkpointer runs passive checkpoints (they never block the writer) while
// commits happen, and a truncating one at Close.
//
// A passive checkpoint copies the frames committed before it began; under
// sustained writes new ones always follow, the WAL is never wholly copied,
// and SQLite never starts it again from its beginning: it would grow without
// bound (by 4 to 12 KB an action at thousands a second). So when the WAL
// holds walRestartFrames or more, the checkpointer copies again, each pass
// shorter than the last (it copies what was committed during the previous
// one), until a pass takes under 2 ms; then it asks the writer (catchUp) to
// copy the few frames committed since, between two of its transactions: the
// WAL is then wholly copied and the next transaction writes from its
// beginning again. The writer pauses for that copy and two fsyncs of little
// data, 1 to 7 ms on the 2-core test machine (when it copied what a whole
// 200 ms pass left, with the fsyncs that flushed it, 20 to 70 ms).
//
// SQLite syncs the database file only after a checkpoint that reached the
// end of the WAL, so under sustained writes the pages the passes copy stay
// dirty in the page cache until the writer's own copy, whose fsync then
// waited for them all, up to the whole WAL's worth (a 15 to 20 ms pause at
// a third of the restarts measured). So the checkpointer syncs the
// database file itself after each pass and before asking the writer to
// copy (syncDatabase), beside the writer.
// When a whole interval passes without a commit and the WAL file is larger
// than walTruncateBytes, the checkpointer truncates it.
func (s *Store) checkpointer(path string) {
	defer close(s.ckDone)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	// Any descriptor of the file serves for fsync. Without one (it cannot
	// be opened) the writer's copy flushes what the passes wrote, as with
	// SQLite alone.
	db, err := os.Open(path)
	if err == nil {
		defer db.Close()
	}
	var seen int64
	for {
		select {
		case <-s.closed:
			s.r.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
			return
		case <-t.C:
			n := s.commits.Load()
			if n == seen {
				if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > walTruncateBytes {
					s.r.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
				}
				continue
			}
			seen = n
			frames, err := s.checkpoint()
			if err != nil || frames < walRestartFrames {
				syncDatabase(db)
				continue
			}
			// Copy again until a pass is short, so that what the writer
			// copies and syncs itself is a few pages.
			for i := 0; i < 8; i++ {
				t0 := time.Now()
				if _, err := s.checkpoint(); err != nil || time.Since(t0) < 2*time.Millisecond {
					break
				}
			}
			syncDatabase(db)
			s.catchUp.Store(true)
		}
	}
}

// syncDatabase flushes the database file's pages that checkpoints wrote (a
// variable for tests). A failure is left to SQLite: Linux (since 4.13)
// reports a writeback error to every descriptor of the file that was open
// when it happened, so SQLite's own sync of the database file, at the end of
// the next complete checkpoint, fails too; that checkpoint then does not
// count the frames as copied, and the WAL keeps them (it does not start
// again over them).
var syncDatabase = func(db *os.File) {
	if db != nil {
		db.Sync()
	}
}

// checkpoint runs a passive checkpoint and returns the WAL's length in
// frames at its start (all of which it copied, if no reader held them).
func (s *Store) checkpoint() (frames int, err error) {
	var busy, copied int
	err = s.r.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	return frames, err
}

// Close stops the writer and closes the database.
func (s *Store) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	close(s.done)
	<-s.closed
	<-s.ckDone
	return errors.Join(s.w.Close(), s.r.Close())
}

// Commit implements store.Store.
func (s *Store) Commit(ctx context.Context, b *live.Batch) error {
	req := &request{b: b, err: make(chan error, 1)}
	select {
	case s.reqs <- req:
	case <-s.done:
		return parley.Errorf(parley.EINTERNAL, "sqlite store closed")
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

// commitDelay is how long the writer gathers batches after a group of more
// than one (store.Gather). Each commit writes a few pages whatever its size
// (the database header, the last pages of the appended tables) and pays
// BEGIN and COMMIT: at thousands of actions a second groups of two or three
// made those half of the writer's work.
const commitDelay = 500 * time.Microsecond

// writer commits batches in groups until Close.
func (s *Store) writer() {
	defer close(s.closed)
	known := map[string]bool{}
	last := map[string]head{}
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
		if !s.commitFast(group, known, last) {
			clear(last)
			s.commitGroup(group, known)
		}
		s.commits.Add(1)
		if s.catchUp.Swap(false) {
			s.w.Exec("PRAGMA wal_checkpoint(PASSIVE)")
			s.catchUps.Add(1)
		}
	}
}

// head is a negotiation's last event: its sequence number and row id (0
// and 0 before the first).
type head struct{ seq, id int64 }

// readHead reads negotiation's head inside tx.
func (s *Store) readHead(ctx context.Context, tx *sql.Tx, negotiation string) (head, error) {
	var h head
	err := tx.StmtContext(ctx, s.stmts[qLast]).QueryRowContext(ctx, negotiation).Scan(&h.seq, &h.id)
	if errors.Is(err, sql.ErrNoRows) {
		return head{}, nil
	}
	return h, err
}

// moveHead moves negotiation's head from the sequence number old (0: none
// yet) to to inside tx, and reports false if it was not at old: another
// process appended meanwhile.
func (s *Store) moveHead(ctx context.Context, tx *sql.Tx, negotiation string, old int64, to head) (bool, error) {
	if old == 0 {
		_, err := tx.StmtContext(ctx, s.stmts[qHeadInsert]).ExecContext(ctx, negotiation, to.seq, to.id)
		if constraint(err) {
			return false, nil
		}
		return err == nil, err
	}
	res, err := tx.StmtContext(ctx, s.stmts[qHeadMove]).ExecContext(ctx, to.seq, to.id, negotiation, old)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *Store) commitGroup(group []*request, known map[string]bool) {
	ctx := context.Background()
	fail := func(err error) {
		for _, r := range group {
			r.err <- err
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("sqlite: begin: %w", err))
		return
	}
	errs := make([]error, len(group))
	var added []string
	pending := map[replyID]int64{}
	for i, r := range group {
		if _, err := tx.Exec("SAVEPOINT b"); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("sqlite: savepoint: %w", err))
			return
		}
		newIDs, err := s.apply(ctx, tx, r.b, known, pending)
		if err != nil {
			errs[i] = err
			if _, err := tx.Exec("ROLLBACK TO b"); err != nil {
				tx.Rollback()
				fail(fmt.Errorf("sqlite: rollback to savepoint: %w", err))
				return
			}
		} else {
			for _, id := range newIDs {
				known[id] = true
			}
			added = append(added, newIDs...)
		}
		if _, err := tx.Exec("RELEASE b"); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("sqlite: release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		for _, id := range added {
			delete(known, id)
		}
		s.loadKeys()
		fail(fmt.Errorf("sqlite: commit: %w", err))
		return
	}
	s.remember(pending)
	for i, r := range group {
		r.err <- errs[i]
	}
}

// commitFast commits a group without savepoints: it checks each batch's
// sequence numbers against the last stored ones (kept in last) before
// writing, and writes a batch's reply first, so that the only refusals left
// to SQLite (a reused idempotency key) happen before the batch writes
// anything. Batches with a new negotiation or tokens take the slow path.
// It reports false, having committed nothing, when the group must take the
// slow path.
func (s *Store) commitFast(group []*request, known map[string]bool, last map[string]head) bool {
	for _, r := range group {
		if r.b.Negotiation != nil || len(r.b.Tokens) > 0 {
			return false
		}
	}
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false
	}
	errs := make([]error, len(group))
	// last holds, for every negotiation the group touches, its head before
	// the group (it gains entries here and changes only after the commit).
	next := map[string]head{}  // heads as of the batches accepted so far
	fresh := map[string]bool{} // head read in this transaction
	// The group's events take the ids after the last one stored (read here,
	// so that another process's events count).
	var nid int64
	if err := tx.StmtContext(ctx, s.stmts[qNextID]).QueryRowContext(ctx).Scan(&nid); err != nil {
		tx.Rollback()
		return false
	}
	pending := map[replyID]int64{}
	var replyArgs, eventArgs []any
	for i, r := range group {
		var key replyID
		if rp := r.b.Reply; rp != nil {
			key = replyKey(rp.TokenHash, rp.Key)
			if _, dup := pending[key]; dup || s.stored(key) {
				errs[i] = parley.Errorf(parley.ECONFLICT, "idempotency key %q already used", rp.Key)
				continue
			}
		}
		mine := map[string]int64{}
		for _, e := range r.b.Events {
			l, ok := mine[e.NegotiationID]
			if !ok {
				var h head
				h, ok = next[e.NegotiationID]
				l = h.seq
			}
			cached := false
			if !ok {
				var h head
				h, ok = last[e.NegotiationID]
				l = h.seq
				cached = ok && !fresh[e.NegotiationID]
			}
			if !ok {
				if !known[e.NegotiationID] {
					var one int
					err := tx.StmtContext(ctx, s.stmts[qExists]).QueryRowContext(ctx, e.NegotiationID).Scan(&one)
					if errors.Is(err, sql.ErrNoRows) {
						errs[i] = parley.Errorf(parley.ENOTFOUND, "event for unknown negotiation %s", e.NegotiationID)
						break
					}
					if err != nil {
						tx.Rollback()
						return false
					}
					known[e.NegotiationID] = true
				}
				h, err := s.readHead(ctx, tx, e.NegotiationID)
				if err != nil {
					tx.Rollback()
					return false
				}
				l = h.seq
				last[e.NegotiationID] = h
				fresh[e.NegotiationID] = true
			}
			if e.Seq != l+1 {
				if cached {
					// Another process may have appended since the number
					// was cached: let the database decide, on the slow path.
					tx.Rollback()
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
			pending[key] = s.nextID
			replyArgs = append(replyArgs, s.nextID, nonNil(rp.TokenHash), rp.Key, rp.Status, nonNil(rp.Body), rp.Created.UnixNano(), nonNil(rp.Fingerprint))
			s.nextID++
		}
		for _, e := range r.b.Events {
			prev, ok := next[e.NegotiationID]
			if !ok {
				prev = last[e.NegotiationID]
			}
			to, _ := json.Marshal(e.To)
			eventArgs = append(eventArgs, nid, e.NegotiationID, e.Seq, e.Time.UnixNano(), e.Type, e.Party, string(to), []byte(e.Data), e.Prev, e.Hash, prev.id)
			next[e.NegotiationID] = head{e.Seq, nid}
			nid++
		}
	}
	// One multi-row INSERT per table for the whole group.
	if err := insertRows(ctx, tx, s.multiReplies, 7, replyArgs); err != nil {
		tx.Rollback()
		return false
	}
	if err := insertRows(ctx, tx, s.multiEvents, 11, eventArgs); err != nil {
		tx.Rollback()
		return false
	}
	// The database's own check: each negotiation's last sequence number
	// moves from what this group followed; if another process appended
	// meanwhile, the slow path decides batch by batch.
	for id, h := range next {
		if ok, err := s.moveHead(ctx, tx, id, last[id].seq, h); !ok || err != nil {
			tx.Rollback()
			return false
		}
	}
	if err := tx.Commit(); err != nil {
		// Whether it committed is unknown: fail the group and forget the
		// cached sequence numbers and keys.
		clear(last)
		s.loadKeys()
		for _, r := range group {
			r.err <- fmt.Errorf("sqlite: commit: %w", err)
		}
		return true
	}
	for id, h := range next {
		last[id] = h
	}
	s.remember(pending)
	for i, r := range group {
		r.err <- errs[i]
	}
	return true
}

// maxRowsLog2 bounds the rows of one multi-row INSERT: 2^maxRowsLog2 (256,
// under SQLite's limit of variables for the widest table).
const maxRowsLog2 = 8

// multiRow returns the INSERT of prefix with n "(?, …)" groups of cols
// placeholders.
func multiRow(prefix string, cols, n int) string {
	var q strings.Builder
	q.WriteString(prefix)
	row := "(?" + strings.Repeat(", ?", cols-1) + ")"
	for i := 0; i < n; i++ {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(row)
	}
	return q.String()
}

// prepareMulti prepares the multi-row INSERTs of prefix for 1, 2, 4, …
// 2^maxRowsLog2 rows, so that no commit compiles SQL.
func prepareMulti(db *sql.DB, prefix string, cols int) ([]*sql.Stmt, error) {
	var out []*sql.Stmt
	for k := 0; k <= maxRowsLog2; k++ {
		st, err := db.Prepare(multiRow(prefix, cols, 1<<k))
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// insertRows inserts the rows of args (cols values each) with the prepared
// statements of prepareMulti: the largest that fits, then the next.
func insertRows(ctx context.Context, tx *sql.Tx, stmts []*sql.Stmt, cols int, args []any) error {
	for len(args) > 0 {
		n := len(args) / cols
		k := min(bits.Len(uint(n))-1, maxRowsLog2)
		if _, err := tx.StmtContext(ctx, stmts[k]).ExecContext(ctx, args[:cols<<k]...); err != nil {
			return err
		}
		args = args[cols<<k:]
	}
	return nil
}

func constraint(err error) bool {
	return err != nil && strings.Contains(err.Error(), "constraint failed")
}

// apply writes one batch inside tx and returns the negotiations it created.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, b *live.Batch, known map[string]bool, pending map[replyID]int64) ([]string, error) {
	var created []string
	exists := func(id string) (bool, error) {
		if known[id] || (b.Negotiation != nil && b.Negotiation.ID == id) {
			return true, nil
		}
		var one int
		err := tx.StmtContext(ctx, s.stmts[qExists]).QueryRowContext(ctx, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("sqlite: look up negotiation %s: %w", id, err)
		}
		known[id] = true
		return true, nil
	}
	if n := b.Negotiation; n != nil {
		data, err := json.Marshal(n)
		if err != nil {
			// The service built n: a value it cannot encode is its fault.
			return nil, parley.Errorf(parley.EINTERNAL, "sqlite: encode negotiation %s: %v", n.ID, err)
		}
		_, err = tx.StmtContext(ctx, s.stmts[qNegotiation]).ExecContext(ctx, n.ID, string(data), n.Created.UnixNano())
		if constraint(err) {
			return nil, parley.Errorf(parley.ECONFLICT, "negotiation %s already exists", n.ID)
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite: insert negotiation %s: %w", n.ID, err)
		}
		created = append(created, n.ID)
	}
	for _, t := range b.Tokens {
		ok, err := exists(t.NegotiationID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, parley.Errorf(parley.ENOTFOUND, "token for unknown negotiation %s", t.NegotiationID)
		}
		_, err = tx.StmtContext(ctx, s.stmts[qToken]).ExecContext(ctx,
			t.Hash, t.NegotiationID, string(t.Role), t.Party, t.Created.UnixNano())
		if constraint(err) {
			return nil, parley.Errorf(parley.ECONFLICT, "token already exists")
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite: insert token: %w", err)
		}
	}
	last := map[string]head{}
	var nid int64 // the next event id, read in this transaction (which no other writer shares)
	for _, e := range b.Events {
		h, seen := last[e.NegotiationID]
		if !seen {
			ok, err := exists(e.NegotiationID)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, parley.Errorf(parley.ENOTFOUND, "event for unknown negotiation %s", e.NegotiationID)
			}
			if h, err = s.readHead(ctx, tx, e.NegotiationID); err != nil {
				return nil, fmt.Errorf("sqlite: last event of %s: %w", e.NegotiationID, err)
			}
		}
		if e.Seq != h.seq+1 {
			return nil, parley.Errorf(parley.ECONFLICT, "negotiation %s: event %d does not follow event %d", e.NegotiationID, e.Seq, h.seq)
		}
		if nid == 0 {
			if err := tx.StmtContext(ctx, s.stmts[qNextID]).QueryRowContext(ctx).Scan(&nid); err != nil {
				return nil, fmt.Errorf("sqlite: next event id: %w", err)
			}
		}
		id := nid
		nid++
		to, _ := json.Marshal(e.To)
		_, err := tx.StmtContext(ctx, s.stmts[qEvent]).ExecContext(ctx,
			id, e.NegotiationID, e.Seq, e.Time.UnixNano(), e.Type, e.Party, string(to), []byte(e.Data), e.Prev, e.Hash, h.id)
		if err != nil {
			return nil, fmt.Errorf("sqlite: insert event %s/%d: %w", e.NegotiationID, e.Seq, err)
		}
		ok, err := s.moveHead(ctx, tx, e.NegotiationID, h.seq, head{e.Seq, id})
		if err != nil {
			return nil, fmt.Errorf("sqlite: move the last event of %s to %d: %w", e.NegotiationID, e.Seq, err)
		}
		if !ok {
			return nil, parley.Errorf(parley.ECONFLICT, "negotiation %s: event %d does not follow event %d", e.NegotiationID, e.Seq, h.seq)
		}
		last[e.NegotiationID] = head{e.Seq, id}
	}
	if r := b.Reply; r != nil {
		k := replyKey(r.TokenHash, r.Key)
		if _, dup := pending[k]; dup || s.stored(k) {
			return nil, parley.Errorf(parley.ECONFLICT, "idempotency key %q already used", r.Key)
		}
		_, err := tx.StmtContext(ctx, s.stmts[qReply]).ExecContext(ctx,
			s.nextID, nonNil(r.TokenHash), r.Key, r.Status, nonNil(r.Body), r.Created.UnixNano(), nonNil(r.Fingerprint))
		if err != nil {
			return nil, fmt.Errorf("sqlite: insert reply: %w", err)
		}
		pending[k] = s.nextID
		s.nextID++
	}
	return created, nil
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
	err := s.r.QueryRowContext(ctx, "SELECT data FROM negotiations WHERE id = ?", id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "no negotiation %q", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: negotiation %s: %w", id, err)
	}
	var n live.Negotiation
	if err := json.Unmarshal([]byte(data), &n); err != nil {
		return nil, fmt.Errorf("sqlite: decode negotiation %s: %w", id, err)
	}
	return &n, nil
}

// Negotiations implements store.Store.
func (s *Store) Negotiations(ctx context.Context) ([]*live.Negotiation, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT data FROM negotiations ORDER BY rowid")
	if err != nil {
		return nil, fmt.Errorf("sqlite: list negotiations: %w", err)
	}
	defer rows.Close()
	var out []*live.Negotiation
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("sqlite: list negotiations: %w", err)
		}
		var n live.Negotiation
		if err := json.Unmarshal([]byte(data), &n); err != nil {
			return nil, fmt.Errorf("sqlite: decode negotiation: %w", err)
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
	err := s.r.QueryRowContext(ctx, "SELECT negotiation, role, party, created FROM tokens WHERE hash = ?", hash).Scan(&t.NegotiationID, &role, &t.Party, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "no such token")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: token: %w", err)
	}
	t.Role, t.Created = live.Role(role), time.Unix(0, created).UTC()
	return &t, nil
}

// Events implements store.Store.
func (s *Store) Events(ctx context.Context, negotiation string, after int64, limit int) ([]live.Event, error) {
	if limit <= 0 {
		limit = -1
	}
	// The chain from the last event back to the first after `after`, in
	// one statement (one snapshot).
	evs, err := s.queryEvents(ctx, negotiation, `WITH RECURSIVE chain(id) AS (
	SELECT last_id FROM heads WHERE negotiation = ?1 AND seq > ?2
	UNION ALL
	SELECT e.prev_id FROM chain c JOIN events e ON e.id = c.id WHERE e.seq > ?2 + 1
)
SELECT e.seq, e.time, e.type, e.party, e.recipients, e.data, e.prev, e.hash
FROM chain c JOIN events e ON e.id = c.id ORDER BY e.seq LIMIT ?3`, after, limit)
	if err != nil {
		return nil, err
	}
	if len(evs) > 0 && evs[0].Seq == after+1 {
		return evs, nil
	}
	if len(evs) == 0 {
		// Nothing after `after`, unless the head is broken: its sequence
		// number, 0 for no such negotiation, NULL for one without a head.
		var seq sql.NullInt64
		err := s.r.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM heads WHERE negotiation = ?1),
	CASE WHEN EXISTS (SELECT 1 FROM negotiations WHERE id = ?1) THEN NULL ELSE 0 END)`, negotiation).Scan(&seq)
		if err != nil {
			return nil, fmt.Errorf("sqlite: events of %s: %w", negotiation, err)
		}
		if seq.Valid && seq.Int64 <= after {
			return nil, nil
		}
	}
	// A row changed or removed behind the store's back broke the chain:
	// read what is there by scanning the table, so that an audit finds the
	// first broken link where it is.
	return s.queryEvents(ctx, negotiation, `SELECT seq, time, type, party, recipients, data, prev, hash
FROM events WHERE negotiation = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3`, after, limit)
}

// queryEvents runs a query of events of negotiation with the parameters
// after and limit.
func (s *Store) queryEvents(ctx context.Context, negotiation, query string, after int64, limit int) ([]live.Event, error) {
	rows, err := s.r.QueryContext(ctx, query, negotiation, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: events of %s: %w", negotiation, err)
	}
	defer rows.Close()
	var out []live.Event
	for rows.Next() {
		e := live.Event{NegotiationID: negotiation}
		var tm int64
		var to string
		var data []byte
		if err := rows.Scan(&e.Seq, &tm, &e.Type, &e.Party, &to, &data, &e.Prev, &e.Hash); err != nil {
			return nil, fmt.Errorf("sqlite: events of %s: %w", negotiation, err)
		}
		e.Time, e.Data = time.Unix(0, tm).UTC(), data
		if err := json.Unmarshal([]byte(to), &e.To); err != nil {
			return nil, fmt.Errorf("sqlite: event %s/%d recipients: %w", negotiation, e.Seq, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Reply implements store.Store.
func (s *Store) Reply(ctx context.Context, tokenHash []byte, key string) (*live.Reply, error) {
	r := live.Reply{TokenHash: tokenHash, Key: key}
	var created int64
	s.keysMu.RLock()
	id, ok := s.keys[replyKey(tokenHash, key)]
	s.keysMu.RUnlock()
	if !ok {
		return nil, parley.Errorf(parley.ENOTFOUND, "no reply for key %q", key)
	}
	err := s.r.QueryRowContext(ctx, "SELECT status, body, created, fingerprint FROM replies WHERE id = ?", id).Scan(&r.Status, &r.Body, &created, &r.Fingerprint)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "no reply for key %q", key)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: reply: %w", err)
	}
	r.Created = time.Unix(0, created).UTC()
	return &r, nil
}
