package sqlite_test

import (
	"path/filepath"
	"testing"

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
