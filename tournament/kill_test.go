package tournament

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestResumeAfterKill builds the parley binary, starts a tournament, kills
// the process (SIGKILL) part-way, starts it again with the same command and
// compares the results with an uninterrupted run's.
func TestResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "parley")
	build := exec.Command("go", "build", "-o", bin, "parley/cmd/parley")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	scen, err := filepath.Abs("testdata/bilateral.yaml")
	if err != nil {
		t.Fatal(err)
	}
	args := func(out string) []string {
		return []string{"tournament", "--negotiators", "boulware,conceder,linear,titfortat,micro,random",
			"--scenarios", scen, "--rounds", "1000", "--repetitions", "60", "--seed", "3", "-j", "1", "--quiet", "--out", out}
	}
	whole := filepath.Join(tmp, "whole")
	if out, err := exec.Command(bin, args(whole)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	want := readFile(t, filepath.Join(whole, ResultsFile))

	dir := filepath.Join(tmp, "killed")
	cmd := exec.Command(bin, args(dir)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	path := filepath.Join(dir, ResultsFile)
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if bytes.Count(b, []byte("\n")) > 200 {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the run ended before it could be killed (%v); make the tournament longer\n%s", err, stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no results after 30 s")
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	part := readFile(t, path)
	if len(part) >= len(want) {
		t.Fatalf("killed run wrote everything (%d bytes)", len(part))
	}
	if !bytes.HasPrefix(want, part[:bytes.LastIndexByte(part, '\n')+1]) {
		t.Fatal("the killed run's complete lines are not a prefix of the uninterrupted results")
	}
	out, err := exec.Command(bin, args(dir)...).CombinedOutput()
	if err != nil {
		t.Fatalf("resumed run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "resumed") {
		t.Errorf("resumed run does not report resuming:\n%s", out)
	}
	if !bytes.Equal(readFile(t, path), want) {
		t.Error("results after kill and resume differ from the uninterrupted run's")
	}
	for _, f := range []string{ScoresCSV, ScoresJSON} {
		if !bytes.Equal(readFile(t, filepath.Join(dir, f)), readFile(t, filepath.Join(whole, f))) {
			t.Errorf("%s after kill and resume differs", f)
		}
	}
	t.Logf("killed after %d of %d bytes", len(part), len(want))
}
