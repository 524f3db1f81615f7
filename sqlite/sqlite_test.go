package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"parley"
	"parley/live"

	"parley/sqlite"
	"parley/store"
	"parley/store/storetest"
)

func TestContract(t *testing.T) {
	paths := map[store.Store]string{}
	open := func(t *testing.T) store.Store {
		p := filepath.Join(t.TempDir(), "parley.db")
		s, err := sqlite.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		paths[s] = p
		return s
	}
	reopen := func(t *testing.T, s store.Store) store.Store {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s2, err := sqlite.Open(paths[s])
		if err != nil {
			t.Fatal(err)
		}
		return s2
	}
	storetest.Run(t, open, reopen)
}

func BenchmarkCommit(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s, err := sqlite.Open(filepath.Join(b.TempDir(), "parley.db"))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

// TestMigrateReplies opens a database whose replies table has the first
// layout (keyed by token hash and idempotency key): its replies are moved to
// the appended layout, found by Reply and their keys still refused.
func TestMigrateReplies(t *testing.T) {
	p := oldDatabase(t, `CREATE TABLE replies (token_hash BLOB NOT NULL, key TEXT NOT NULL, status INTEGER NOT NULL,
		body BLOB NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (token_hash, key)) WITHOUT ROWID;
		INSERT INTO replies VALUES (x'0102', 'k1', 201, '{"a":1}', 5), (x'0102', 'k2', 200, '{"b":2}', 7);`)
	s, err := sqlite.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	r, err := s.Reply(ctx, []byte{1, 2}, "k2")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 200 || string(r.Body) != `{"b":2}` || r.Created.UnixNano() != 7 || len(r.Fingerprint) != 0 {
		t.Fatalf("migrated reply %+v, want status 200, body {\"b\":2}, created 7ns", r)
	}
	err = s.Commit(ctx, &live.Batch{Reply: &live.Reply{TokenHash: []byte{1, 2}, Key: "k1", Status: 200, Body: []byte("{}"), Created: time.Unix(0, 9)}})
	if parley.ErrorCode(err) != parley.ECONFLICT {
		t.Fatalf("reusing a migrated key: %v, want a conflict", err)
	}
	if err := s.Commit(ctx, &live.Batch{Reply: &live.Reply{TokenHash: []byte{1, 2}, Key: "k3", Status: 200, Body: []byte("{}"), Created: time.Unix(0, 9)}}); err != nil {
		t.Fatal(err)
	}
	for key, status := range map[string]int{"k1": 201, "k2": 200, "k3": 200} {
		if r, err := s.Reply(ctx, []byte{1, 2}, key); err != nil || r.Status != status {
			t.Fatalf("reply %s after migration and one new: %+v, %v; want status %d", key, r, err, status)
		}
	}
	var n int
	if err := db2(t, p).QueryRow("SELECT COUNT(*) FROM replies").Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d replies stored (%v), want 3", n, err)
	}
}

// db2 opens a second, plain connection to the database at p.
func db2(t *testing.T, p string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestMigrateFingerprint: a database whose (appended) replies table
// predates the fingerprint column opens, keeps its replies (with no
// fingerprint) and stores fingerprints from then on.
func TestMigrateFingerprint(t *testing.T) {
	ctx := context.Background()
	p := oldDatabase(t, `CREATE TABLE replies (
	id         INTEGER PRIMARY KEY,
	token_hash BLOB NOT NULL,
	key        TEXT NOT NULL,
	status     INTEGER NOT NULL,
	body       BLOB NOT NULL,
	created    INTEGER NOT NULL
);
INSERT INTO replies VALUES (1, x'01', 'old', 200, '{}', 5);`)
	s, err := sqlite.Open(p)
	if err != nil {
		t.Fatalf("open a database without replies.fingerprint: %v", err)
	}
	defer s.Close()
	fp := storetest.FingerprintMigrated(t, s)
	// Opening it again (the column now exists) changes nothing.
	s.Close()
	s2, err := sqlite.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, err := s2.Reply(ctx, []byte{1}, "new"); err != nil || !bytes.Equal(got.Fingerprint, fp) {
		t.Fatalf("new reply after reopening: %+v, %v", got, err)
	}
}

// TestMigrateEvents: a database whose events are keyed by (negotiation,
// seq) (the first layout) opens with every event moved to the appended
// layout, in order per negotiation, and goes on refusing an event that does
// not follow the last.
func TestMigrateEvents(t *testing.T) {
	ctx := context.Background()
	p := oldDatabase(t, `CREATE TABLE negotiations (id TEXT PRIMARY KEY, data TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE events (
	negotiation TEXT NOT NULL REFERENCES negotiations(id),
	seq INTEGER NOT NULL, time INTEGER NOT NULL, type TEXT NOT NULL, party TEXT NOT NULL,
	recipients TEXT NOT NULL, data BLOB NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL,
	PRIMARY KEY (negotiation, seq)
) WITHOUT ROWID;
INSERT INTO negotiations VALUES ('b', '{"id":"b"}', 1), ('a', '{"id":"a"}', 2);
INSERT INTO events VALUES
	('b', 2, 30, 'offer', 'Buyer', 'null', '{"n":"b2"}', 'hb1', 'hb2'),
	('a', 1, 20, 'created', '', 'null', '{"n":"a1"}', '', 'ha1'),
	('b', 1, 10, 'created', '', '["Buyer"]', '{"n":"b1"}', '', 'hb1');`)
	s, err := sqlite.Open(p)
	if err != nil {
		t.Fatalf("open a database with the first events layout: %v", err)
	}
	defer s.Close()
	want := map[string][]string{"a": {`{"n":"a1"}`}, "b": {`{"n":"b1"}`, `{"n":"b2"}`}}
	for id, datas := range want {
		evs, err := s.Events(ctx, id, 0, 0)
		if err != nil || len(evs) != len(datas) {
			t.Fatalf("events of %s after migration: %+v, %v", id, evs, err)
		}
		for i, e := range evs {
			if e.Seq != int64(i+1) || string(e.Data) != datas[i] || e.NegotiationID != id {
				t.Fatalf("event %d of %s after migration: %+v, want seq %d, data %s", i, id, e, i+1, datas[i])
			}
		}
	}
	if evs, _ := s.Events(ctx, "b", 0, 0); len(evs) == 2 && (evs[0].To[0] != "Buyer" || evs[1].Prev != "hb1" || evs[1].Hash != "hb2" || evs[1].Time.UnixNano() != 30 || evs[1].Party != "Buyer") {
		t.Fatalf("fields of b's events after migration: %+v", evs)
	}
	next := live.Event{NegotiationID: "b", Seq: 3, Time: time.Unix(0, 40), Type: "offer", Data: []byte("{}"), Prev: "hb2", Hash: "hb3"}
	if err := s.Commit(ctx, &live.Batch{Events: []live.Event{next}}); err != nil {
		t.Fatalf("the next event after migration: %v", err)
	}
	again := next
	again.Hash = "other"
	if err := s.Commit(ctx, &live.Batch{Events: []live.Event{again}}); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Fatalf("event 3 of b again: %v, want a conflict", err)
	}
	var n int
	if err := db2(t, p).QueryRow("SELECT COUNT(*) FROM events").Scan(&n); err != nil || n != 4 {
		t.Fatalf("%d events stored (%v), want 4", n, err)
	}
	// The unique (negotiation, seq) index of the layout before is gone; the
	// last sequence numbers are in heads.
	if err := db2(t, p).QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name = 'events_seq'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("events_seq index still there (%d, %v)", n, err)
	}
	var heads string
	if err := db2(t, p).QueryRow("SELECT group_concat(negotiation || seq, ' ') FROM (SELECT * FROM heads ORDER BY negotiation)").Scan(&heads); err != nil || heads != "a1 b3" {
		t.Fatalf("heads %q (%v), want a1 b3", heads, err)
	}
}

// TestMigrateSeqIndex: a database of the layout with a unique
// (negotiation, seq) index on events (before the chain) opens with every
// event found, its events linked, and its last sequence numbers enforced.
func TestMigrateSeqIndex(t *testing.T) {
	ctx := context.Background()
	p := oldDatabase(t, `CREATE TABLE negotiations (id TEXT PRIMARY KEY, data TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE events (
	id INTEGER PRIMARY KEY,
	negotiation TEXT NOT NULL REFERENCES negotiations(id),
	seq INTEGER NOT NULL, time INTEGER NOT NULL, type TEXT NOT NULL, party TEXT NOT NULL,
	recipients TEXT NOT NULL, data BLOB NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE UNIQUE INDEX events_seq ON events (negotiation, seq);
INSERT INTO negotiations VALUES ('b', '{"id":"b"}', 1), ('a', '{"id":"a"}', 2);
INSERT INTO events (negotiation, seq, time, type, party, recipients, data, prev, hash) VALUES
	('b', 1, 10, 'created', '', 'null', '{"n":"b1"}', '', 'hb1'),
	('a', 1, 20, 'created', '', 'null', '{"n":"a1"}', '', 'ha1'),
	('b', 2, 30, 'offer', 'Buyer', 'null', '{"n":"b2"}', 'hb1', 'hb2');`)
	s, err := sqlite.Open(p)
	if err != nil {
		t.Fatalf("open a database with the (negotiation, seq) index: %v", err)
	}
	defer s.Close()
	for id, n := range map[string]int{"a": 1, "b": 2} {
		evs, err := s.Events(ctx, id, 0, 0)
		if err != nil || len(evs) != n || evs[n-1].Seq != int64(n) {
			t.Fatalf("events of %s after migration: %+v, %v; want %d", id, evs, err, n)
		}
	}
	// Ids 1, 2, 3 are b1, a1, b2: b2 links to b1, the first events to none.
	var links, heads string
	if err := db2(t, p).QueryRow("SELECT group_concat(id || ':' || prev_id, ' ') FROM (SELECT id, prev_id FROM events ORDER BY id)").Scan(&links); err != nil || links != "1:0 2:0 3:1" {
		t.Fatalf("after migration: links %q (%v), want 1:0 2:0 3:1", links, err)
	}
	if err := db2(t, p).QueryRow("SELECT group_concat(negotiation || seq || '@' || last_id, ' ') FROM (SELECT * FROM heads ORDER BY negotiation)").Scan(&heads); err != nil || heads != "a1@2 b2@3" {
		t.Fatalf("after migration: heads %q (%v), want a1@2 b2@3", heads, err)
	}
	var n int
	if err := db2(t, p).QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name = 'events_seq'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("events_seq index still there (%d, %v)", n, err)
	}
	for _, c := range []struct {
		seq  int64
		code string
	}{{2, parley.ECONFLICT}, {4, parley.ECONFLICT}, {3, ""}} {
		e := live.Event{NegotiationID: "b", Seq: c.seq, Time: time.Unix(0, 40), Type: "offer", Data: []byte("{}"), Prev: "hb2", Hash: "x"}
		if err := s.Commit(ctx, &live.Batch{Events: []live.Event{e}}); parley.ErrorCode(err) != c.code {
			t.Fatalf("event %d of b after migration: %v, want code %q", c.seq, err, c.code)
		}
	}
}

// TestEventsChain: a negotiation's events are found by walking back from
// its last one, with after and limit, among another negotiation's events
// interleaved with them, and written in groups and batch by batch alike.
func TestEventsChain(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "chain.db")
	s, err := sqlite.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range []string{"x", "y"} {
		if err := s.Commit(ctx, &live.Batch{Negotiation: storetest.Negotiation(t, id)}); err != nil {
			t.Fatal(err)
		}
	}
	ev := func(id string, seq int64) live.Event {
		return live.Event{NegotiationID: id, Seq: seq, Time: time.Unix(0, seq), Type: live.EvOffer, Data: []byte(fmt.Sprintf(`{"n":%d}`, seq)), Hash: fmt.Sprint(id, seq)}
	}
	// Interleaved, one batch at a time, and several events in one batch.
	for seq := int64(1); seq <= 4; seq++ {
		for _, id := range []string{"x", "y"} {
			if err := s.Commit(ctx, &live.Batch{Events: []live.Event{ev(id, seq)}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Commit(ctx, &live.Batch{Events: []live.Event{ev("x", 5), ev("y", 5), ev("x", 6)}}); err != nil {
		t.Fatal(err)
	}
	// Concurrently, so that the writer groups them.
	inParallel(t, 2, func(i int) error {
		id := []string{"x", "y"}[i]
		from := map[string]int64{"x": 7, "y": 6}[id]
		for seq := from; seq < from+20; seq++ {
			if err := s.Commit(ctx, &live.Batch{Events: []live.Event{ev(id, seq)}}); err != nil {
				return err
			}
		}
		return nil
	})
	seqs := func(from, to int64) []int64 {
		var out []int64
		for q := from; q <= to; q++ {
			out = append(out, q)
		}
		return out
	}
	for _, c := range []struct {
		id    string
		after int64
		limit int
		want  []int64
	}{
		{"x", 0, 0, seqs(1, 26)},
		{"y", 0, 0, seqs(1, 25)},
		{"x", 3, 4, seqs(4, 7)},
		{"x", 25, 0, seqs(26, 26)},
		{"x", 26, 0, nil},
		{"y", 24, 10, seqs(25, 25)},
		{"z", 0, 0, nil},
	} {
		evs, err := s.Events(ctx, c.id, c.after, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, e := range evs {
			if string(e.Data) != fmt.Sprintf(`{"n":%d}`, e.Seq) || e.NegotiationID != c.id || e.Hash != fmt.Sprint(c.id, e.Seq) {
				t.Fatalf("event %+v", e)
			}
			got = append(got, e.Seq)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Fatalf("events of %s after %d, limit %d: %v, want %v", c.id, c.after, c.limit, got, c.want)
		}
	}
	// Repeated and missing sequence numbers are refused.
	for _, seq := range []int64{1, 26, 28} {
		if err := s.Commit(ctx, &live.Batch{Events: []live.Event{ev("x", seq)}}); parley.ErrorCode(err) != parley.ECONFLICT {
			t.Fatalf("event %d of x: %v, want a conflict", seq, err)
		}
	}
	// Rows changed behind the store's back (what an audit must see): with
	// y's event 3 removed, and then x's head too, the events that are
	// there are still read, in order.
	broken := func(id string, want []int64) {
		t.Helper()
		evs, err := s.Events(ctx, id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, e := range evs {
			got = append(got, e.Seq)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("events of %s with a broken chain: %v, want %v", id, got, want)
		}
	}
	if _, err := db2(t, p).Exec("DELETE FROM events WHERE negotiation = 'y' AND seq = 3"); err != nil {
		t.Fatal(err)
	}
	broken("y", append([]int64{1, 2}, seqs(4, 25)...))
	if _, err := db2(t, p).Exec("DELETE FROM heads WHERE negotiation = 'x'"); err != nil {
		t.Fatal(err)
	}
	broken("x", seqs(1, 26))
}

// oldDatabase makes a database file with stmts (a layout of an earlier
// Parley) and returns its path.
func oldDatabase(t *testing.T, stmts string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmts); err != nil {
		t.Fatal(err)
	}
	return p
}
