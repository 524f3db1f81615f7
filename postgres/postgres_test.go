package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

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
	storetest.FingerprintMigrated(t, s)
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
