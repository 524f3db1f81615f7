package store_test

import (
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"parley/store"
)

// TestGatherTakesWaiting: without a wait, Gather returns the first request
// and those already queued, in order, at most max, and leaves the rest
// queued.
func TestGatherTakesWaiting(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		queued := rapid.IntRange(0, 50).Draw(t, "queued")
		max := rapid.IntRange(1, 60).Draw(t, "max")
		reqs := make(chan int, 64)
		for i := 1; i <= queued; i++ {
			reqs <- i
		}
		got := store.Gather(reqs, 0, max, 0)
		n := min(max, queued+1)
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		if !slices.Equal(got, want) {
			t.Fatalf("group %v, want %v", got, want)
		}
		if len(reqs) != queued+1-n {
			t.Fatalf("%d left queued, want %d", len(reqs), queued+1-n)
		}
	})
}

// TestGatherWaits: with a wait, requests sent during it join the group, a
// group that fills returns at once (here the wait is an hour), and one that
// does not returns when the wait is over.
func TestGatherWaits(t *testing.T) {
	reqs := make(chan int)
	go func() {
		for i := 1; i <= 3; i++ {
			time.Sleep(time.Millisecond)
			reqs <- i
		}
	}()
	if got := store.Gather(reqs, 0, 4, time.Hour); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Fatalf("full group %v, want [0 1 2 3]", got)
	}
	if got := store.Gather(reqs, 0, 10, 20*time.Millisecond); !slices.Equal(got, []int{0}) {
		t.Fatalf("group after the wait %v, want [0]", got)
	}
}
