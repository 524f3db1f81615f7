package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"parley"
	"parley/client"
	httpapi "parley/http"
	"parley/live"
	"parley/postgres/pgtest"
)

// binary builds parley once per test run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func parleyBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "parley-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "parley")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/parley").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// server is a running `parley serve` process.
type server struct {
	cmd  *exec.Cmd
	addr string
	url  string
}

func startServer(t *testing.T, addr, db string, flags ...string) *server {
	t.Helper()
	cmd := exec.Command(parleyBinary(t), append([]string{"serve", "--addr", addr, "--db", db, "--log-level", "warn"}, flags...)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, addr: addr, url: "http://" + addr}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("server on %s did not come up: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait()
}

const tinyScenario = `{"name": "tiny", "issues": [
  {"name": "price", "type": "categorical", "values": ["low", "mid", "high"]},
  {"name": "days", "type": "integer", "min": 1, "max": 9}],
 "parties": [
  {"name": "Buyer", "role": "participant", "reservation": 0.3,
   "preferences": {"linear": {"issues": {"price": {"weight": 0.6, "values": {"low": 1, "mid": 0.5, "high": 0}}, "days": {"weight": 0.4, "function": {"shape": "linear", "at_min": 0, "at_max": 1}}}}}},
  {"name": "Seller", "role": "participant", "reservation": 0.3,
   "preferences": {"linear": {"issues": {"price": {"weight": 0.7, "values": {"low": 0, "mid": 0.5, "high": 1}}, "days": {"weight": 0.3, "function": {"shape": "linear", "at_min": 1, "at_max": 0}}}}}}]}`

// table is one SAOP negotiation with its two participants' clients.
type table struct {
	id      string
	conv    *client.Client
	parties [2]*client.Client
}

func setupTables(t *testing.T, c *client.Client, n int, duration string) []*table {
	t.Helper()
	ctx := context.Background()
	var out []*table
	for i := 0; i < n; i++ {
		res, err := c.Create(ctx, httpapi.CreateBody{Protocol: live.SAOP, Duration: duration, Scenario: json.RawMessage(tinyScenario)})
		if err != nil {
			t.Fatal(err)
		}
		tb := &table{id: res.ID, conv: c.WithToken(res.ConvenerToken)}
		for j, p := range []string{"Buyer", "Seller"} {
			tok, err := tb.conv.Invite(ctx, res.ID, live.Participant, p)
			if err != nil {
				t.Fatal(err)
			}
			tb.parties[j] = c.WithToken(tok)
		}
		if _, err := tb.conv.Start(ctx, res.ID); err != nil {
			t.Fatal(err)
		}
		out = append(out, tb)
	}
	return out
}

// acked is an action the server acknowledged.
type acked struct {
	seq  int64
	hash string
}

// drive makes the two participants of a table offer in turn until stop is
// closed, and returns the acknowledged offers and their latencies.
func drive(ctx context.Context, tb *table, stop <-chan struct{}, lat *latencies) ([]acked, error) {
	return drivePaced(ctx, tb, 0, stop, lat, time.Time{}, 0)
}

// drivePaced is drive from the from-th offer of the table on (the earlier
// ones already made), with the i-th offer it makes scheduled at
// start + i*every (every > 0): it waits for that time, and its latency counts from it, so
// that an answer that comes late also delays, and is charged to, the
// offers after it (no coordinated omission).
func drivePaced(ctx context.Context, tb *table, from int, stop <-chan struct{}, lat *latencies, start time.Time, every time.Duration) ([]acked, error) {
	var out []acked
	var answered time.Time // when the last answer came
	for i := from; ; i++ {
		t0 := time.Now()
		if every > 0 {
			t0 = start.Add(time.Duration(i-from) * every)
			if d := time.Until(t0); d > 0 {
				select {
				case <-stop:
					return out, nil
				case <-time.After(d):
				}
			}
		}
		select {
		case <-stop:
			return out, nil
		default:
		}
		o := map[string]string{"price": []string{"low", "mid", "high"}[i%3], "days": fmt.Sprint(i%9 + 1)}
		// The offer could go at t0, or when the last answer came if later.
		ready := t0
		if answered.After(ready) {
			ready = answered
		}
		sent := time.Now()
		evs, err := tb.parties[i%2].Offer(ctx, tb.id, o)
		if err != nil {
			return out, fmt.Errorf("table %s, offer %d: %w", tb.id, i, err)
		}
		answered = time.Now()
		lat.add(t0, ready.Sub(t0), sent.Sub(ready), answered.Sub(t0))
		if len(evs) != 1 || evs[0].Type != live.EvOffer {
			return out, fmt.Errorf("table %s, offer %d: answer %+v", tb.id, i, evs)
		}
		out = append(out, acked{evs[0].Seq, evs[0].Hash})
	}
}

// latencies collects request latencies.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration // from when each request was due to its answer
	at []time.Time     // when each request was due
	// behind is how long after its due time the previous answer of its
	// negotiation came (0 if before): the request could not go earlier.
	behind []time.Duration
	// own is the load generator's own delay in sending the request once it
	// could go (timer, scheduling, encoding).
	own []time.Duration
}

// add records a request due at at, answered d later, which could go behind
// after its due time and went own after that.
func (l *latencies) add(at time.Time, behind, own, d time.Duration) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.d = append(l.d, d)
	l.at = append(l.at, at)
	l.behind = append(l.behind, behind)
	l.own = append(l.own, own)
	l.mu.Unlock()
}

// crashBackends are the databases the crash test runs on.
func crashBackends(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "parley.db") },
		"postgres": func(t *testing.T) string { return pgtest.DSN(t) },
	}
}

// TestCrash kills a real `parley serve` with SIGKILL while remote clients
// drive 20 negotiations, restarts it, and checks that every acknowledged
// action is stored exactly once, the audit chains verify, and a deadline
// that passed while the server was down fires.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test builds and runs parley serve")
	}
	for name, db := range crashBackends(t) {
		t.Run(name, func(t *testing.T) { crash(t, db(t)) })
	}
}

func crash(t *testing.T, db string) {
	addr := freePort(t)
	srv := startServer(t, addr, db)
	c := client.New(srv.url, "")
	c.Retry = 60 * time.Second
	tables := setupTables(t, c, 20, "1h")
	short := setupTables(t, c, 1, "1500ms")[0]

	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	results := make([][]acked, len(tables))
	errs := make([]error, len(tables))
	for i, tb := range tables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = drive(ctx, tb, stop, nil)
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	srv.kill(t)
	killedAt := time.Now()
	time.Sleep(700 * time.Millisecond) // the short deadline passes while no server runs
	srv = startServer(t, addr, db)
	t.Logf("server down for %s", time.Since(killedAt).Round(time.Millisecond))
	time.Sleep(1000 * time.Millisecond)
	close(stop)
	wg.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		total += len(results[i])
	}
	t.Logf("%d offers acknowledged across the crash", total)
	if total < 40 {
		t.Fatalf("only %d offers acknowledged: the load did not run", total)
	}
	for i, tb := range tables {
		evs, err := tb.conv.Events(ctx, tb.id, 0)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[int64]string{}
		offers := 0
		for _, e := range evs {
			stored[e.Seq] = e.Hash
			if e.Type == live.EvOffer {
				offers++
			}
		}
		for _, a := range results[i] {
			if h, ok := stored[a.seq]; !ok || h != a.hash {
				t.Fatalf("table %d: acknowledged event %d is not stored as acknowledged", i, a.seq)
			}
		}
		if offers != len(results[i]) {
			t.Fatalf("table %d: %d offers stored, %d acknowledged: an action was lost or duplicated", i, offers, len(results[i]))
		}
	}
	// The deadline of the short negotiation passed while the server was
	// down: it fired on restart.
	v, err := short.conv.Negotiation(ctx, short.id)
	if err != nil {
		t.Fatal(err)
	}
	if v.Phase != live.TimedOut {
		t.Fatalf("short negotiation is %s after restart, want timed_out", v.Phase)
	}
	out, err := exec.Command(parleyBinary(t), "audit", "--db", db).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "21 negotiations, 0 broken") {
		t.Fatalf("audit after the crash: %v\n%s", err, out)
	}
	// The server still refuses what it must.
	_, err = tables[0].parties[0].Offer(ctx, "nope", map[string]string{"price": "low", "days": "1"})
	var ce *client.Error
	if !errors.As(err, &ce) || parley.ErrorCode(err) != parley.EFORBIDDEN {
		t.Fatalf("offer on another negotiation: %v", err)
	}
	srv.kill(t)
}

// TestManySubscribers streams one negotiation to 1,000 SSE subscribers
// and checks that every one receives every event.
func TestManySubscribers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server with 1,000 streams")
	}
	addr := freePort(t)
	srv := startServer(t, addr, filepath.Join(t.TempDir(), "parley.db"))
	c := client.New(srv.url, "")
	tb := setupTables(t, c, 1, "1h")[0]
	obs, err := tb.conv.Invite(context.Background(), tb.id, live.Observer, "")
	if err != nil {
		t.Fatal(err)
	}
	const subs, offers = 1000, 200
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start, err := tb.conv.Events(ctx, tb.id, 0)
	if err != nil {
		t.Fatal(err)
	}
	after := start[len(start)-1].Seq
	want := after + offers
	var ready, done sync.WaitGroup
	var got atomic.Int64
	var failed atomic.Int64
	tr := &http.Transport{MaxIdleConnsPerHost: subs, MaxConnsPerHost: 0}
	for i := 0; i < subs; i++ {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			sc := client.New(srv.url, obs)
			sc.HTTP = &http.Client{Transport: tr}
			n := int64(0)
			err := sc.Stream(ctx, tb.id, after, func(e live.Event) error {
				n++
				if e.Seq == want {
					return client.ErrStop
				}
				return nil
			})
			if err != nil || n != offers {
				failed.Add(1)
			}
			got.Add(n)
		}()
		ready.Done()
	}
	ready.Wait()
	t0 := time.Now()
	for n := 0; n < subs; {
		if time.Since(t0) > 30*time.Second {
			t.Fatalf("only %d of %d streams connected in 30 s", n, subs)
		}
		time.Sleep(50 * time.Millisecond)
		n = subscribers(t, srv.url)
	}
	t.Logf("%d streams connected in %s", subs, time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	drv := &table{id: tb.id, parties: tb.parties}
	for i := 0; i < offers; i++ {
		o := map[string]string{"price": "mid", "days": fmt.Sprint(i%9 + 1)}
		if _, err := drv.parties[i%2].Offer(ctx, tb.id, o); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d offers made in %s", offers, time.Since(t0).Round(time.Millisecond))
	done.Wait()
	t.Logf("all %d events delivered to every stream %s after the first offer", offers, time.Since(t0).Round(time.Millisecond))
	if failed.Load() > 0 || got.Load() != subs*offers {
		t.Fatalf("%d subscribers failed; %d events received, want %d", failed.Load(), got.Load(), subs*offers)
	}
	srv.kill(t)
}

// subscribers reads the server's live stream count from /metrics.
func subscribers(t *testing.T, url string) int {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "parley_sse_subscribers "); ok {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}
