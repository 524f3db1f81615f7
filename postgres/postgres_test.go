package postgres_test

import (
	"context"
	"testing"

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

func BenchmarkCommit(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s, err := postgres.Open(context.Background(), pgtest.DSN(b))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
