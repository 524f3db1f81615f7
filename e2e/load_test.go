package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"parley/client"
)

// TestLoad is the bounded load test behind docs/performance.md: 100
// negotiations, each driven by its two participants as remote clients of a
// real `parley serve` on loopback, offering in turn for PARLEY_LOAD_SECONDS
// seconds (default: skipped). With PARLEY_LOAD_PROFILE=DIR it saves the
// server's CPU profile over the run as DIR/<database>.pprof. It reports acknowledged durable actions per
// second and latency percentiles per database.
func TestLoad(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv("PARLEY_LOAD_SECONDS"))
	if secs <= 0 {
		t.Skip("set PARLEY_LOAD_SECONDS to run the load test")
	}
	for _, name := range []string{"sqlite", "sqlite-normal", "postgres"} {
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
			stop := make(chan struct{})
			lat := &latencies{}
			var ru0 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			var wg sync.WaitGroup
			counts := make([]int, len(tables))
			errs := make([]error, len(tables))
			start := time.Now()
			for i, tb := range tables {
				wg.Add(1)
				go func() {
					defer wg.Done()
					acks, err := drive(context.Background(), tb, stop, lat)
					counts[i], errs[i] = len(acks), err
				}()
			}
			if prof != "" {
				// A CPU profile of the server over the run, for go tool pprof.
				if err := fetchProfile("http://"+debugAddr+"/debug/pprof/profile?seconds="+strconv.Itoa(secs), filepath.Join(prof, name+".pprof")); err != nil {
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
			t.Logf("%s: the load generator used %s of CPU during the run (%.0f%% of one core)", name, clientCPU.Round(time.Millisecond), 100*clientCPU.Seconds()/elapsed.Seconds())
			total := 0
			for i := range counts {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				total += counts[i]
			}
			slices.Sort(lat.d)
			pct := func(p float64) time.Duration { return lat.d[int(p*float64(len(lat.d)-1))] }
			t.Logf("%s: %d acknowledged actions in %s: %.0f actions/s; latency p50 %s, p99 %s, max %s",
				name, total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(),
				pct(0.5).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat.d[len(lat.d)-1].Round(10*time.Microsecond))
			srv.kill(t)
			cpu := srv.cmd.ProcessState.UserTime() + srv.cmd.ProcessState.SystemTime()
			t.Logf("%s: the server used %s of CPU (%.0f%% of one core over the whole run, setup included)", name, cpu.Round(time.Millisecond), 100*cpu.Seconds()/time.Since(start).Seconds())
		})
	}
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
