package negotiator_test

import (
	"testing"

	"parley/negotiator"
)

// FuzzNew: any name either builds a negotiator or returns an error; never a
// panic, never both or neither.
func FuzzNew(f *testing.F) {
	for _, s := range []string{"boulware", "timedependent(e=0.5; k=0.1)", "hardheaded(e=0.05 window=40)", "random(p=", "((", "agentk()", "annealer(t0=1e308)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n, err := negotiator.New(name)
		if (n == nil) == (err == nil) {
			t.Fatalf("New(%q) = %v, %v", name, n, err)
		}
	})
}
