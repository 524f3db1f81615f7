package sqlite_test

import (
	"path/filepath"
	"testing"

	"parley/sqlite"
	"parley/store"
	"parley/store/storetest"
)

// TestTwoWriters opens one database file twice (two writers) and runs the
// shared-store contract on them.
func TestTwoWriters(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		p := filepath.Join(t.TempDir(), "parley.db")
		var st [2]store.Store
		for i := range st {
			s, err := sqlite.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			st[i] = s
		}
		return st[0], st[1]
	})
}
