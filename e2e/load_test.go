package e2e_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"parley/client"
)

// TestLoad is the bounded load test behind docs/performance.md: 100
// negotiations, each driven by its two participants as remote clients of a
// real `parley serve` on loopback, offering in turn, per database. It runs
// two phases of PARLEY_LOAD_SECONDS seconds each (default: skipped):
//
//   - max: every negotiation offers again as soon as its last offer is
//     answered (closed loop), which measures the most actions per second
//     the server acknowledges, and its latency at that saturation;
//   - paced: the negotiations together offer PARLEY_LOAD_RATE actions per
//     second (default 5000), each offer at its scheduled time, with latency
//     counted from that time (no coordinated omission) — the latency users
//     see at that rate.
//
// With PARLEY_LOAD_PROFILE=DIR it saves the server's CPU profile over each
// phase as DIR/<database>-<phase>.pprof, and its heap after both phases as
// DIR/<database>.heap. With PARLEY_LOAD_TRACE=DIR it writes
// every request's due time (ms from the phase's start) and latency (µs) to
// DIR/<database>-<phase>.tsv, to see when the slow ones happen.
// PARLEY_LOAD_DBS=sqlite,postgres picks the databases. Each phase also
// logs the server's own latency histogram (/metrics), where the answers
// over 20 ms fell (slowWindows) and how the latency splits before and after
// sending (sending).
func TestLoad(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv("PARLEY_LOAD_SECONDS"))
	if secs <= 0 {
		t.Skip("set PARLEY_LOAD_SECONDS to run the load test")
	}
	rate := 5000
	if r, err := strconv.Atoi(os.Getenv("PARLEY_LOAD_RATE")); err == nil && r > 0 {
		rate = r
	}
	t.Logf("kernel writeback: %s", writeback())
	dbs := []string{"sqlite", "sqlite-normal", "postgres"}
	if only := os.Getenv("PARLEY_LOAD_DBS"); only != "" {
		dbs = strings.Split(only, ",")
	}
	for _, name := range dbs {
		t.Run(name, func(t *testing.T) {
			var flags []string
			backend := name
			if name == "sqlite-normal" {
				backend, flags = "sqlite", []string{"--sqlite-sync", "normal"}
			}
			db := crashBackends(t)[backend](t)
			prof := os.Getenv("PARLEY_LOAD_PROFILE")
			var debugAddr string
			if prof != "" {
				debugAddr = freePort(t)
				flags = append(flags, "--debug-addr", debugAddr)
			}
			srv := startServer(t, freePort(t), db, flags...)
			tr := &http.Transport{MaxIdleConnsPerHost: 400}
			c := client.New(srv.url, "")
			c.HTTP = &http.Client{Transport: tr, Timeout: 30 * time.Second}
			tables := setupTables(t, c, 100, "1h")
			// Write out what is dirty in the page cache (the binaries just
			// built, earlier runs' files) before measuring: the kernel would
			// otherwise write it in one burst 30 s after it was dirtied, in
			// the middle of a phase, and every commit's fsync would wait
			// behind it.
			syscall.Sync()
			var ru0 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			cpu0 := serverCPU(t, srv)
			made := make([]int, len(tables)) // offers made so far per table
			hist0 := offerHistogram(t, srv)
			for _, phase := range []string{"max", "paced"} {
				stop := make(chan struct{})
				lat := &latencies{}
				var wg sync.WaitGroup
				counts := make([]int, len(tables))
				errs := make([]error, len(tables))
				start := time.Now()
				t.Logf("%s phase starts at %.3f", phase, float64(start.UnixMicro())/1e6)
				every := time.Duration(0)
				if phase == "paced" {
					every = time.Duration(float64(time.Second) * float64(len(tables)) / float64(rate))
				}
				for i, tb := range tables {
					wg.Add(1)
					go func() {
						defer wg.Done()
						// Paced negotiations start spread over one interval.
						first := start.Add(every * time.Duration(i) / time.Duration(len(tables)))
						acks, err := drivePaced(context.Background(), tb, made[i], stop, lat, first, every)
						counts[i], errs[i] = len(acks), err
						made[i] += len(acks)
					}()
				}
				if prof != "" {
					// A CPU profile of the server over the phase, for go tool pprof.
					if err := fetchProfile("http://"+debugAddr+"/debug/pprof/profile?seconds="+strconv.Itoa(secs), filepath.Join(prof, name+"-"+phase+".pprof")); err != nil {
						t.Error(err)
					}
				} else {
					time.Sleep(time.Duration(secs) * time.Second)
				}
				close(stop)
				wg.Wait()
				elapsed := time.Since(start)
				var ru1 syscall.Rusage
				syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
				clientCPU := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()+ru1.Stime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
				cpu1 := serverCPU(t, srv)
				ru0 = ru1
				total := 0
				for i := range counts {
					if errs[i] != nil {
						t.Fatal(errs[i])
					}
					total += counts[i]
				}
				if dir := os.Getenv("PARLEY_LOAD_TRACE"); dir != "" {
					var b strings.Builder
					for i, d := range lat.d {
						fmt.Fprintf(&b, "%.3f\t%d\n", float64(lat.at[i].Sub(start).Microseconds())/1000, d.Microseconds())
					}
					if err := os.WriteFile(filepath.Join(dir, name+"-"+phase+".tsv"), []byte(b.String()), 0o644); err != nil {
						t.Error(err)
					}
				}
				slowLog := slowWindows(lat, start, 20*time.Millisecond)
				sendLog := sending(lat)
				slices.Sort(lat.d)
				pct := func(p float64) time.Duration { return lat.d[int(p*float64(len(lat.d)-1))] }
				what := "as fast as answered"
				if phase == "paced" {
					what = fmt.Sprintf("offered at %d/s", rate)
				}
				t.Logf("%s, %s: %d acknowledged actions in %s: %.0f actions/s; latency p50 %s, p99 %s, max %s; CPU per action: server %.0f µs, load generator %.0f µs",
					name, what, total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(),
					pct(0.5).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat.d[len(lat.d)-1].Round(10*time.Microsecond),
					float64((cpu1-cpu0).Microseconds())/float64(total), float64(clientCPU.Microseconds())/float64(total))
				cpu0 = cpu1
				// The server's own view: how long its handler took, without
				// the loopback, the listener queue and the load generator.
				hist1 := offerHistogram(t, srv)
				before := func(i int) int64 { // hist0 is empty before the first offer
					if i < len(hist0) {
						return hist0[i].n
					}
					return 0
				}
				var parts []string
				n := hist1[len(hist1)-1].n - before(len(hist1)-1)
				for i, b := range hist1 {
					if b.le >= 0.005 && b.le <= 0.05 {
						parts = append(parts, fmt.Sprintf("≤%gms %.2f%%", b.le*1000, 100*float64(b.n-before(i))/float64(max(n, 1))))
					}
				}
				t.Logf("%s, %s: inside the server: %s", name, what, strings.Join(parts, ", "))
				t.Logf("%s, %s: %s", name, what, slowLog)
				t.Logf("%s, %s: %s", name, what, sendLog)
				hist0 = hist1
			}
			if prof != "" {
				// The server's live heap after both phases.
				if err := fetchProfile("http://"+debugAddr+"/debug/pprof/heap?gc=1", filepath.Join(prof, name+".heap")); err != nil {
					t.Error(err)
				}
			}
			srv.kill(t)
		})
	}
}

// slowWindows tells whether the answers slower than limit came in bursts
// or spread out: how many there were, in how many of the phase's 100 ms
// windows (by due time), and the five windows with the most.
func slowWindows(lat *latencies, start time.Time, limit time.Duration) string {
	const window = 100 * time.Millisecond
	type win struct {
		n       int
		slowest time.Duration
	}
	wins := map[int64]*win{}
	total := 0
	last := int64(0)
	for i, d := range lat.d {
		k := int64(lat.at[i].Sub(start) / window)
		last = max(last, k)
		if d <= limit {
			continue
		}
		total++
		w := wins[k]
		if w == nil {
			w = &win{}
			wins[k] = w
		}
		w.n++
		w.slowest = max(w.slowest, d)
	}
	keys := slices.Collect(maps.Keys(wins))
	slices.SortFunc(keys, func(a, b int64) int { return cmp.Or(cmp.Compare(wins[b].n, wins[a].n), cmp.Compare(a, b)) })
	var worst []string
	for _, k := range keys[:min(5, len(keys))] {
		worst = append(worst, fmt.Sprintf("%.1f s: %d (slowest %s)", float64(k)/10, wins[k].n, wins[k].slowest.Round(100*time.Microsecond)))
	}
	return fmt.Sprintf("%d answers over %s, in %d of %d windows of 100 ms; most in: %s", total, limit, len(wins), last+1, strings.Join(worst, ", "))
}

// sending splits the latency counted from the due time into what came
// before the request was sent — waiting for the previous answer of its
// negotiation, then the load generator's own delay — and the rest, from
// sending to the answer (the server, the loopback, and the load generator
// reading the answer).
func sending(lat *latencies) string {
	n := len(lat.d)
	if n == 0 {
		return "no requests"
	}
	fromSend := make([]time.Duration, n)
	own := slices.Clone(lat.own)
	var behind []time.Duration
	for i, d := range lat.d {
		fromSend[i] = d - lat.behind[i] - lat.own[i]
		if lat.behind[i] > 0 {
			behind = append(behind, lat.behind[i])
		}
	}
	slices.Sort(fromSend)
	slices.Sort(own)
	slices.Sort(behind)
	pct := func(ds []time.Duration, p float64) time.Duration {
		return ds[int(p*float64(len(ds)-1))].Round(10 * time.Microsecond)
	}
	out := fmt.Sprintf("from sending to the answer p50 %s, p99 %s; the load generator's own delay in sending p50 %s, p99 %s, max %s; ",
		pct(fromSend, 0.5), pct(fromSend, 0.99), pct(own, 0.5), pct(own, 0.99), own[n-1].Round(10*time.Microsecond))
	if len(behind) == 0 {
		return out + "no request waited for a late answer"
	}
	return out + fmt.Sprintf("%d requests (%.2f%%) waited for the late answer before them, p50 %s, max %s",
		len(behind), 100*float64(len(behind))/float64(n), pct(behind, 0.5), behind[len(behind)-1].Round(10*time.Microsecond))
}

// bucket is one cumulative bucket of a Prometheus histogram.
type bucket struct {
	le float64 // upper bound, seconds; +Inf for the last
	n  int64
}

// offerHistogram is the server's latency histogram of the offers route,
// from /metrics.
func offerHistogram(t *testing.T, srv *server) []bucket {
	resp, err := http.Get(srv.url + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	const prefix = `parley_http_request_duration_seconds_bucket{route="POST /v1/negotiations/{id}/offers",le="`
	var out []bucket
	for line := range strings.Lines(string(b)) {
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		le, count, _ := strings.Cut(strings.TrimSpace(rest), `"} `)
		ub, err1 := strconv.ParseFloat(le, 64)
		n, err2 := strconv.ParseInt(count, 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("metrics: cannot read %q", line)
		}
		out = append(out, bucket{ub, n})
	}
	return out // empty before the first offer
}

// writeback describes when the kernel writes dirty page cache to disk:
// PostgreSQL's table files are written without fsync and left to it, and
// with the default (10% of memory, 30 s) it writes them in bursts of
// hundreds of megabytes that every fsync — every commit — waits behind.
func writeback() string {
	var parts []string
	for _, k := range []string{"dirty_background_bytes", "dirty_background_ratio", "dirty_expire_centisecs"} {
		b, err := os.ReadFile("/proc/sys/vm/" + k)
		if err != nil {
			return "unknown"
		}
		parts = append(parts, "vm."+k+"="+strings.TrimSpace(string(b)))
	}
	return strings.Join(parts, " ")
}

// serverCPU is the CPU time (user and system) the server process has used
// so far, from /proc.
func serverCPU(t *testing.T, srv *server) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", srv.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("server CPU: %v", err)
	}
	// Fields after the command name (which may hold spaces, inside parentheses).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // clock ticks of 1/100 s
}

// fetchProfile saves the profile served at url in file.
func fetchProfile(url, file string) error {
	resp, err := http.Get(url)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	return os.WriteFile(file, b, 0o644)
}

// TestSlowWindows checks the burst summary on a hand-made trace: answers
// due at 0.05 s (slow), 0.15 s (fast), 0.25 s and 0.26 s (both slow, one
// 30 ms) and 0.35 s (slow) over a limit of 20 ms.
func TestSlowWindows(t *testing.T) {
	start := time.Unix(1000, 0)
	lat := &latencies{}
	for _, a := range []struct{ at, d time.Duration }{
		{50 * time.Millisecond, 25 * time.Millisecond},
		{150 * time.Millisecond, 5 * time.Millisecond},
		{250 * time.Millisecond, 21 * time.Millisecond},
		{260 * time.Millisecond, 30 * time.Millisecond},
		{350 * time.Millisecond, 22 * time.Millisecond},
	} {
		lat.add(start.Add(a.at), 0, 0, a.d)
	}
	got := slowWindows(lat, start, 20*time.Millisecond)
	want := "4 answers over 20ms, in 3 of 4 windows of 100 ms; most in: 0.2 s: 2 (slowest 30ms), 0.0 s: 1 (slowest 25ms), 0.3 s: 1 (slowest 22ms)"
	if got != want {
		t.Errorf("slowWindows:\n got %s\nwant %s", got, want)
	}
}

// TestSending checks the split of latency on four hand-made requests:
// (behind, own, total) of (0, 1, 5), (0, 2, 10), (3, 1, 30) and (0, 5, 7)
// ms, i.e. 4, 8, 26 and 2 ms from sending to the answer.
func TestSending(t *testing.T) {
	start := time.Unix(1000, 0)
	lat := &latencies{}
	ms := time.Millisecond
	for i, r := range [][3]time.Duration{{0, 1 * ms, 5 * ms}, {0, 2 * ms, 10 * ms}, {3 * ms, 1 * ms, 30 * ms}, {0, 5 * ms, 7 * ms}} {
		lat.add(start.Add(time.Duration(i)*20*ms), r[0], r[1], r[2])
	}
	got := sending(lat)
	want := "from sending to the answer p50 4ms, p99 8ms; the load generator's own delay in sending p50 1ms, p99 2ms, max 5ms; 1 requests (25.00%) waited for the late answer before them, p50 3ms, max 3ms"
	if got != want {
		t.Errorf("sending:\n got %s\nwant %s", got, want)
	}
	if got := sending(&latencies{}); got != "no requests" {
		t.Errorf("sending of nothing: %q", got)
	}
}
