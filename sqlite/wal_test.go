package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/live"
	"parley/sqlite"
	"parley/store/storetest"
)

// TestWALStartsAgain: under sustained writes, the WAL is wholly
// checkpointed now and then and written again from its beginning, so its
// file stays a fraction of what the same writes leave when it never starts
// again (the same run with no checkpoints: every frame written stays in the
// file); once the writes stop, a large WAL file is truncated.
//
// Without the writer's catch-up the WAL also grows to the whole (about
// 40 MB here) on a quiet machine; on a busy one the writes pause and
// passive checkpoints alone sometimes catch up, which is why the baseline
// has no checkpoints at all rather than no catch-up.
func TestWALStartsAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("writes some 40 MB twice")
	}
	size := func(every time.Duration, restartFrames int) int64 {
		defer sqlite.SetCheckpointing(every, restartFrames, 1<<20)()
		p := filepath.Join(t.TempDir(), "w.db")
		s, err := sqlite.OpenSync(p, "normal")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		const negs, per = 50, 200
		writeOffers(t, s, negs, per)
		st, err := os.Stat(p + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		// Every event is stored, whatever the WAL did.
		for i := 0; i < negs; i++ {
			evs, err := s.Events(context.Background(), fmt.Sprint("n", i), 0, 0)
			if err != nil || len(evs) != per {
				t.Fatalf("n%d: %d events (%v), want %d", i, len(evs), err, per)
			}
		}
		if every > time.Minute {
			return st.Size() // the checkpointer does not run
		}
		// Idle, the checkpointer truncates a WAL file over (here) 1 MB.
		for deadline := time.Now().Add(5 * time.Second); ; {
			now, err := os.Stat(p + "-wal")
			if err != nil {
				t.Fatal(err)
			}
			if now.Size() <= 1<<20 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("WAL file still %d bytes 5 s after the last commit", now.Size())
			}
			time.Sleep(20 * time.Millisecond)
		}
		return st.Size()
	}
	grown := size(time.Hour, 1<<30)
	bounded := size(20*time.Millisecond, 256)
	t.Logf("WAL file after the writes: %d bytes never checkpointed, %d bytes starting again from 256 frames", grown, bounded)
	if grown < 20<<20 {
		t.Fatalf("the writes left a WAL of %d bytes without checkpoints; the test expects more than 20 MB", grown)
	}
	if bounded*3 > grown {
		t.Fatalf("WAL of %d bytes starting again, %d never checkpointed: want under a third", bounded, grown)
	}
}

// writeOffers creates negs negotiations and has each commit per offers,
// one batch at a time, all negotiations at once.
func writeOffers(t *testing.T, s *sqlite.Store, negs, per int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < negs; i++ {
		if err := s.Commit(ctx, &live.Batch{Negotiation: storetest.Negotiation(t, fmt.Sprint("n", i))}); err != nil {
			t.Fatal(err)
		}
	}
	data := []byte(`{"outcome":{"price":"` + strings.Repeat("x", 1500) + `"}}`) // about a page a commit per negotiation
	var wg sync.WaitGroup
	errs := make([]error, negs)
	for i := 0; i < negs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprint("n", i)
			for seq := int64(1); seq <= int64(per); seq++ {
				e := live.Event{NegotiationID: id, Seq: seq, Time: time.Unix(1700000000, seq), Type: live.EvOffer, Party: "Buyer", Data: data, Hash: fmt.Sprint(seq)}
				r := &live.Reply{TokenHash: []byte(id), Key: fmt.Sprint(seq), Status: 200, Body: []byte("{}"), Created: e.Time}
				if err := s.Commit(ctx, &live.Batch{Events: []live.Event{e}, Reply: r}); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestCheckpointerSyncsDatabase: the checkpointer syncs the database file
// (not the WAL, which the writer's commits sync) after its passes, so that
// the writer's own copy at a WAL restart does not wait for every page the
// passes wrote.
func TestCheckpointerSyncsDatabase(t *testing.T) {
	defer sqlite.SetCheckpointing(20*time.Millisecond, 256, 1<<30)()
	var mu sync.Mutex
	var synced []string
	defer sqlite.OnSyncDatabase(func(name string) {
		mu.Lock()
		synced = append(synced, name)
		mu.Unlock()
	})()
	p := filepath.Join(t.TempDir(), "w.db")
	s, err := sqlite.OpenSync(p, "normal")
	if err != nil {
		t.Fatal(err)
	}
	writeOffers(t, s, 20, 100)
	// Each pass that copied something is followed by a sync; wait for one
	// after the last commit, then stop the checkpointer.
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(synced) == 0 {
		t.Fatal("the checkpointer never synced the database file")
	}
	for _, name := range synced {
		if name != p {
			t.Fatalf("the checkpointer synced %s, want the database file %s", name, p)
		}
	}
	t.Logf("%d syncs of the database file", len(synced))
}
