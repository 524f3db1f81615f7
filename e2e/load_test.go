package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
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
// PARLEY_LOAD_DBS=sqlite,postgres picks the databases.
func TestLoad(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv("PARLEY_LOAD_SECONDS"))
	if secs <= 0 {
		t.Skip("set PARLEY_LOAD_SECONDS to run the load test")
	}
	rate := 5000
	if r, err := strconv.Atoi(os.Getenv("PARLEY_LOAD_RATE")); err == nil && r > 0 {
		rate = r
	}
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
			var ru0 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			cpu0 := serverCPU(t, srv)
			made := make([]int, len(tables)) // offers made so far per table
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
