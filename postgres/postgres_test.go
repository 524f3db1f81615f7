package postgres_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"parley/live"

	"parley/postgres"
	"parley/postgres/pgtest"
	"parley/store"
	"parley/store/storetest"
)

func TestContract(t *testing.T) {
	dsns := map[store.Store]string{}
	open := func(t *testing.T) store.Store {
		dsn := pgtest.DSN(t)
		s, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		dsns[s] = dsn
		return s
	}
	reopen := func(t *testing.T, s store.Store) store.Store {
		s.Close()
		s2, err := postgres.Open(context.Background(), dsns[s])
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
	dsn := pgtest.DSN(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE replies (
	token_hash BYTEA NOT NULL,
	key        TEXT NOT NULL,
	status     INTEGER NOT NULL,
	body       BYTEA NOT NULL,
	created    BIGINT NOT NULL,
	PRIMARY KEY (token_hash, key)
);
INSERT INTO replies VALUES ('\x01', 'old', 200, '{}', 5);`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	s, err := postgres.Open(ctx, dsn)
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
}

func BenchmarkCommit(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s, err := postgres.Open(context.Background(), pgtest.DSN(b))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
