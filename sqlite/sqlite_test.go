package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

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

// TestMigrateReplies: a database whose replies table predates the
// fingerprint column opens, keeps its replies (with no fingerprint) and
// stores fingerprints from then on.
func TestMigrateReplies(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE replies (
	token_hash BLOB NOT NULL,
	key        TEXT NOT NULL,
	status     INTEGER NOT NULL,
	body       BLOB NOT NULL,
	created    INTEGER NOT NULL,
	PRIMARY KEY (token_hash, key)
) WITHOUT ROWID;
INSERT INTO replies VALUES (x'01', 'old', 200, '{}', 5);`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := sqlite.Open(p)
	if err != nil {
		t.Fatalf("open a database without replies.fingerprint: %v", err)
	}
	defer s.Close()
	old, err := s.Reply(ctx, []byte{1}, "old")
	if err != nil || old.Status != 200 || len(old.Fingerprint) != 0 {
		t.Fatalf("old reply: %+v, %v", old, err)
	}
	fp := live.Fingerprint("POST", "/v1/negotiations", []byte("{}"))
	if err := s.Commit(ctx, &live.Batch{Reply: &live.Reply{TokenHash: []byte{1}, Key: "new", Status: 201, Body: []byte("{}"), Fingerprint: fp, Created: time.Unix(6, 0)}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Reply(ctx, []byte{1}, "new")
	if err != nil || !bytes.Equal(got.Fingerprint, fp) {
		t.Fatalf("new reply: %+v, %v", got, err)
	}
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
