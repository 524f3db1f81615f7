package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TestTournamentOnNATS: `parley tournament --nats` with two `parley worker`
// commands writes the files of the same tournament run locally, and
// `parley tournament collect` writes them again from the queue.
func TestTournamentOnNATS(t *testing.T) {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Shutdown()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	url := s.ClientURL()
	dir := t.TempDir()
	flags := []string{"--negotiators", "boulware,conceder,micro", "--scenarios", "../../examples/us-russia.yaml",
		"--rounds", "300", "--repetitions", "3", "--seed", "5", "--plot", "none"}
	local := filepath.Join(dir, "local")
	if _, stderr, code := run(t, append([]string{"tournament", "-j", "2", "--out", local}, flags...)...); code != 0 {
		t.Fatalf("local run: exit %d: %s", code, stderr)
	}

	var wg sync.WaitGroup
	for _, name := range []string{"w1", "w2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// --idle stops the worker once the queue has been empty for 2s.
			if _, stderr, code := run(t, "worker", "--nats", url, "-j", "1", "--idle", "2s", "--name", name, "-q"); code != 0 {
				t.Errorf("worker %s: exit %d: %s", name, code, stderr)
			}
		}()
	}
	dist := filepath.Join(dir, "nats")
	stdout, stderr, code := run(t, append([]string{"tournament", "--nats", url, "--out", dist}, flags...)...)
	wg.Wait()
	if code != 0 {
		t.Fatalf("tournament --nats: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "18 negotiations collected") { // one batch: one of the workers ran it
		t.Errorf("output:\n%s", stdout)
	}
	fp := fingerprintIn(t, stderr)
	again := filepath.Join(dir, "again")
	if _, stderr, code := run(t, "tournament", "collect", fp, "--nats", url, "--out", again, "--plot", "none"); code != 0 {
		t.Fatalf("collect: exit %d: %s", code, stderr)
	}
	for _, f := range []string{"results.csv", "tournament.json", "scores.csv", "scores.json", "summary.txt"} {
		want, err := os.ReadFile(filepath.Join(local, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{dist, again} {
			got, err := os.ReadFile(filepath.Join(d, f))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, got) {
				t.Errorf("%s in %s differs from the local run's", f, d)
			}
		}
	}
	if _, stderr, code := run(t, append([]string{"tournament", "--nats", url, "--shard", "1/2", "--out", filepath.Join(dir, "x")}, flags...)...); code != ExitBadInput {
		t.Errorf("--shard with --nats: exit %d (%s), want %d", code, stderr, ExitBadInput)
	}
}

// fingerprintIn finds the tournament fingerprint in the submit message.
func fingerprintIn(t *testing.T, stderr string) string {
	t.Helper()
	f := strings.Fields(stderr)
	if len(f) < 2 || f[0] != "tournament" {
		t.Fatalf("no fingerprint in %q", stderr)
	}
	return strings.TrimSuffix(f[1], ":")
}
