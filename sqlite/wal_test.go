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

// TestWALStartsAgain: under sustained writes, the writer finishes a
// checkpoint now and then at the checkpointer's request and the WAL is
// written again from its beginning, so its file stays smaller than what the
// same writes leave when it never starts again (the same run with no
// checkpoints: every frame written stays in the file); once the writes
// stop, a large WAL file is truncated.
//
// On a quiet machine the file stays under a tenth of the whole (about 4 of
// 40 MB here); how far it grows between restarts depends on how fast the
// checkpointer's passes and fsyncs go beside the writes, up to 40% of the
// whole seen with other tests busy on the disk, so the test asserts the
// restarts and a file under three quarters of the whole. Without the
// writer's catch-up a busy machine's pauses sometimes let passive
// checkpoints alone catch up, which is why the baseline has no checkpoints
// at all rather than no catch-up.
func TestWALStartsAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("writes some 40 MB twice")
	}
	size := func(every time.Duration, restartFrames int) (walSize, catchUps int64) {
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
		catchUps = sqlite.CatchUps(s)
		if every > time.Minute {
			return st.Size(), catchUps // the checkpointer does not run
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
		return st.Size(), catchUps
	}
	grown, none := size(time.Hour, 1<<30)
	bounded, restarts := size(20*time.Millisecond, 256)
	t.Logf("WAL file after the writes: %d bytes never checkpointed, %d bytes starting again from 256 frames (%d times)", grown, bounded, restarts)
	if grown < 20<<20 {
		t.Fatalf("the writes left a WAL of %d bytes without checkpoints; the test expects more than 20 MB", grown)
	}
	if none != 0 {
		t.Fatalf("the writer finished %d checkpoints with the checkpointer idle, want none", none)
	}
	if restarts < 2 {
		t.Fatalf("the writer finished %d checkpoints over some 40 MB of writes with restarts from 256 frames (1 MB), want several", restarts)
	}
	if bounded*4 > grown*3 {
		t.Fatalf("WAL of %d bytes starting again, %d never checkpointed: want under three quarters", bounded, grown)
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
	inParallel(t, negs, func(i int) error {
		id := fmt.Sprint("n", i)
		for seq := int64(1); seq <= int64(per); seq++ {
			e := live.Event{NegotiationID: id, Seq: seq, Time: time.Unix(1700000000, seq), Type: live.EvOffer, Party: "Buyer", Data: data, Hash: fmt.Sprint(seq)}
			r := &live.Reply{TokenHash: []byte(id), Key: fmt.Sprint(seq), Status: 200, Body: []byte("{}"), Created: e.Time}
			if err := s.Commit(ctx, &live.Batch{Events: []live.Event{e}, Reply: r}); err != nil {
				return err
			}
		}
		return nil
	})
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

// inParallel runs f(0) … f(n-1) each in a goroutine and fails the test
// with the first error any returns.
func inParallel(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
