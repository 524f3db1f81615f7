package natsqueue

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"parley/load"
	"parley/scenario"
	"parley/tournament"
)

// TestThroughput measures a distributed tournament against a local run of
// the same plan: examples/tournament.yaml with 10 repetitions (ANAC domains
// included when ../shared holds them; PARLEY_THROUGHPUT_REPETITIONS sets
// another number), run locally on -j 2, then through an
// embedded NATS server by 2 and by 4 `parley worker -j 1` processes, with
// jobs sized by Submit (the default); with PARLEY_THROUGHPUT_COMPARE set,
// also by 2 workers with jobs of 32 negotiations and by 2 on GOMAXPROCS=1. It runs only with PARLEY_THROUGHPUT set to the number of
// rounds of measurements; each round measures every configuration once, in
// turn (round r starting with configuration r), so that a change of the
// machine's load affects them alike. It logs
// every measurement and the range of each configuration;
// docs/performance.md reports it.
func TestThroughput(t *testing.T) {
	reps, _ := strconv.Atoi(os.Getenv("PARLEY_THROUGHPUT"))
	if reps <= 0 {
		t.Skip("set PARLEY_THROUGHPUT=N to measure (N rounds)")
	}
	bin := buildParley(t)
	cfg, err := tournament.LoadConfig("../examples/tournament.yaml")
	if err != nil {
		t.Fatal(err)
	}
	loader := func(path string) (*scenario.Scenario, error) { return load.Load(path, load.Options{}) }
	// 10 repetitions, 9000 negotiations, unless PARLEY_THROUGHPUT_REPETITIONS
	// says otherwise: two sizes separate the fixed costs (workers' start-up
	// and plan rebuild) from the cost per negotiation.
	cfg.Repetitions = 10
	if r, err := strconv.Atoi(os.Getenv("PARLEY_THROUGHPUT_REPETITIONS")); err == nil && r > 0 {
		cfg.Repetitions = r
	}
	t0 := time.Now()
	plan, err := tournament.NewPlan(cfg, loader)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plan made (scenarios loaded and analysed) in %.2fs; each worker rebuilds it once from the bundle", time.Since(t0).Seconds())
	n := plan.Len()
	t.Logf("%d negotiations, %d scenarios", n, len(plan.Entries))

	type config struct {
		name           string
		workers, batch int    // workers 0: local -j 2
		env            string // of the workers
	}
	configs := []config{
		{"local -j 2", 0, 0, ""},
		{"2 workers, sized jobs", 2, 0, ""},
		{"4 workers, sized jobs", 4, 0, ""},
	}
	if os.Getenv("PARLEY_THROUGHPUT_COMPARE") != "" {
		configs = append(configs,
			config{"2 workers, jobs of 32", 2, 32, ""},
			config{"2 workers, GOMAXPROCS=1", 2, 0, "GOMAXPROCS=1"})
	}
	results := make([][]measure, len(configs))
	for r := range reps {
		// Each round starts with the next configuration, so that none is
		// always the last when the machine's load grows during a round.
		for k := range configs {
			c := (k + r) % len(configs)
			run := configs[c]
			var m measure
			if run.workers == 0 {
				c0 := selfCPU(t)
				sum, err := tournament.Run(context.Background(), plan, tournament.Options{Dir: t.TempDir(), Workers: 2})
				if err != nil {
					t.Fatal(err)
				}
				m = measure{wall: sum.Elapsed, cpu: selfCPU(t) - c0}
			} else {
				m = distributedRun(t, bin, plan, run.workers, run.batch, run.env)
			}
			results[c] = append(results[c], m)
			extra := ""
			if run.workers > 0 {
				extra = fmt.Sprintf(", %d job messages; CPU of the workers %.2fs (%.2fs before the first job), of this process (server, submitter, collector) %.2fs",
					m.messages, m.workers.Seconds(), m.startup.Seconds(), (m.cpu - m.workers).Seconds())
			}
			t.Logf("round %d, %-24s %6.2fs wall %6.0f negotiations/s  CPU %6.2fs (%.0f negotiations per CPU-second)%s",
				r+1, run.name+":", m.wall.Seconds(), float64(n)/m.wall.Seconds(), m.cpu.Seconds(), float64(n)/m.cpu.Seconds(), extra)
		}
	}
	// Summary: the range of wall and CPU time of each configuration over
	// the rounds, and its CPU time against the local run's, best against
	// best and each round against the same round's local run.
	localCPU, _ := spread(results[0], func(m measure) time.Duration { return m.cpu })
	for c, run := range configs {
		wlo, whi := spread(results[c], func(m measure) time.Duration { return m.wall })
		clo, chi := spread(results[c], func(m measure) time.Duration { return m.cpu })
		line := fmt.Sprintf("%-24s wall %5.2f–%5.2fs (best %5.0f negotiations/s)  CPU %5.2f–%5.2fs (best %5.0f negotiations per CPU-second)",
			run.name+":", wlo.Seconds(), whi.Seconds(), float64(n)/wlo.Seconds(), clo.Seconds(), chi.Seconds(), float64(n)/clo.Seconds())
		if run.workers > 0 {
			var rounds []string
			var ratios []float64
			for r, m := range results[c] {
				ratios = append(ratios, m.cpu.Seconds()/results[0][r].cpu.Seconds()-1)
				rounds = append(rounds, fmt.Sprintf("%+.0f%%", 100*ratios[r]))
			}
			slices.Sort(ratios)
			rounds = append(rounds, fmt.Sprintf("median %+.1f%%", 100*ratios[len(ratios)/2]))
			slo, _ := spread(results[c], func(m measure) time.Duration { return m.cpu - m.startup })
			ulo, uhi := spread(results[c], func(m measure) time.Duration { return m.startup })
			line += fmt.Sprintf("; best CPU vs best local %+.1f%% (each round vs its local run: %s); without the workers' start-up (%.2f–%.2fs) %+.1f%%",
				100*(clo.Seconds()/localCPU.Seconds()-1), strings.Join(rounds, " "), ulo.Seconds(), uhi.Seconds(), 100*(slo.Seconds()/localCPU.Seconds()-1))
		}
		t.Log(line)
	}
}

// measure is one measurement of TestThroughput. cpu is the CPU time of
// every process, workers that of the workers alone, startup theirs before
// the first job, and messages the number of job messages.
type measure struct {
	wall, cpu, workers, startup time.Duration
	messages                    int64
}

// spread returns the smallest and the largest f(m) of ms.
func spread(ms []measure, f func(measure) time.Duration) (lo, hi time.Duration) {
	for i, m := range ms {
		v := f(m)
		if i == 0 || v < lo {
			lo = v
		}
		if i == 0 || v > hi {
			hi = v
		}
	}
	return lo, hi
}

// distributedRun runs plan through a new embedded NATS server with workers
// `parley worker -j 1` processes (with env added to their environment if
// not empty), already connected and waiting, from the
// first job submitted to the last row collected. Its CPU time is that of
// every process involved: this one (server, submitter, collector) and the
// workers (read after SIGTERM), including the workers' start-up
// (startup: their CPU time before the first job).
func distributedRun(t *testing.T, bin string, plan *tournament.Plan, workers, batch int, env string) (m measure) {
	t.Helper()
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	// Shut down before the next measurement: an idle server still costs CPU.
	defer s.Shutdown()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	url := s.ClientURL()
	q := openQueue(t, url, Options{})
	defer q.nc.Close()
	var procs []*exec.Cmd
	for w := range workers {
		p := exec.Command(bin, "worker", "--nats", url, "-j", "1", "-q", "--name", fmt.Sprint("w", w))
		p.Stderr = os.Stderr
		if env != "" {
			p.Env = append(os.Environ(), env)
		}
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, p)
	}
	defer func() {
		for _, p := range procs {
			if p.ProcessState == nil {
				_ = p.Process.Kill()
				_ = p.Wait()
			}
		}
	}()
	time.Sleep(500 * time.Millisecond) // workers connected and waiting
	for _, p := range procs {
		m.startup += procCPU(t, p.Process.Pid)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c0 := selfCPU(t)
	start := time.Now()
	tour := FromPlan(plan)
	sub, err := q.Submit(ctx, tour, SubmitOptions{Batch: batch})
	if err != nil {
		t.Fatal(err)
	}
	m.messages = sub.Messages
	col, err := q.Collect(ctx, tour, t.TempDir(), CollectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if col.Done != plan.Len() {
		t.Fatalf("collected %d of %d", col.Done, plan.Len())
	}
	m.wall = time.Since(start)
	m.cpu = selfCPU(t) - c0
	for _, p := range procs {
		_ = p.Process.Signal(syscall.SIGTERM)
		_ = p.Wait()
		m.workers += p.ProcessState.UserTime() + p.ProcessState.SystemTime()
	}
	m.cpu += m.workers
	return m
}

// procCPU returns the user and system CPU time of process pid so far, from
// /proc (Linux; 10 ms resolution).
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (in parentheses): state is field 3,
	// utime 14 and stime 15, in clock ticks of 10 ms.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %q", pid, data)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// selfCPU returns this process's user and system CPU time so far.
func selfCPU(t testing.TB) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
