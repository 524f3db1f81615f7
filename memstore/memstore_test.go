package memstore_test

import (
	"testing"

	"parley/memstore"
	"parley/store"
	"parley/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() }, nil)
}
