package web_test

import (
	"bufio"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestParleyServe: `parley serve` serves the page at the address it prints,
// next to the API.
func TestParleyServe(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "parley")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/parley").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--db", "memory", "--addr", "127.0.0.1:0", "--examples", "../examples", "--log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, u, ok := strings.Cut(sc.Text(), "listening on "); ok {
				addr <- u
				return
			}
		}
	}()
	var base string
	select {
	case base = <-addr:
	case <-time.After(20 * time.Second):
		t.Fatal("parley serve printed no address within 20 s")
	}
	for path, want := range map[string]string{"/": "<title>Parley</title>", "/app.js": "EventSource", "/v1/examples": "astana"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("GET %s: status %d, want %q in %.200s", path, resp.StatusCode, want, b)
		}
	}
}
