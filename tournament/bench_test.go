package tournament

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"parley"
	"parley/scenario"
)

// benchScenario builds a bilateral linear additive scenario of issues ×
// values outcomes, ANAC-like: seeded random weights; on every other issue
// the parties want opposite values, on the rest their values are drawn
// independently; the second party walks away below 0.2.
func benchScenario(issues, values int, seed uint64) *scenario.Scenario {
	rng := rand.New(rand.NewPCG(seed, 7))
	sc := &scenario.Scenario{Name: fmt.Sprintf("bench-%dx%d", issues, values)}
	for i := 0; i < issues; i++ {
		is := scenario.Issue{Name: fmt.Sprintf("i%d", i), Type: scenario.Categorical}
		for v := 0; v < values; v++ {
			is.Values = append(is.Values, fmt.Sprintf("v%d", v))
		}
		sc.Issues = append(sc.Issues, is)
	}
	for p := 0; p < 2; p++ {
		l := &scenario.Linear{Issues: map[string]scenario.LinearIssue{}}
		for i, is := range sc.Issues {
			li := scenario.LinearIssue{Weight: (0.2 + rng.Float64()) / float64(issues), Values: map[string]float64{}}
			for _, v := range is.Values {
				li.Values[v] = rng.Float64()
				if p == 1 && i%2 == 0 {
					li.Values[v] = 1 - sc.Parties[0].Preferences.Linear.Issues[is.Name].Values[v]
				}
			}
			l.Issues[is.Name] = li
		}
		party := scenario.Party{Name: fmt.Sprintf("p%d", p), Role: scenario.Participant, Preferences: &scenario.Preferences{Linear: l}}
		if p == 1 {
			r := 0.2
			party.Reservation = &r
		}
		sc.Parties = append(sc.Parties, party)
	}
	return sc
}

// benchLoader serves the benchmark scenarios by name: "bench-IxV".
func benchLoader(path string) (*scenario.Scenario, error) {
	var i, v int
	if _, err := fmt.Sscanf(path, "bench-%dx%d", &i, &v); err != nil {
		return nil, parley.Errorf(parley.ENOTFOUND, "no benchmark scenario %q", path)
	}
	sc := benchScenario(i, v, uint64(i*100+v))
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return sc, nil
}

// benchConfig is the issue's benchmark tournament: bilateral SAOP with a
// 1000-round deadline over scenarios of 10², 10³ and 10⁴ outcomes, between
// time-dependent and tit-for-tat negotiators, repetitions chosen to make
// at least n negotiations (4 competitors: 12 ordered pairs × 3 scenarios).
func benchConfig(n int) *Config {
	c := Defaults()
	for _, s := range []string{"boulware", "linear", "conceder", "titfortat"} {
		c.Competitors = append(c.Competitors, Competitor{Name: s, Strategy: s})
	}
	c.Scenarios = []ScenarioSpec{{Path: "bench-2x10"}, {Path: "bench-3x10"}, {Path: "bench-4x10"}}
	c.Rounds = 1000
	c.Repetitions = (n + 35) / 36
	return &c
}

// BenchmarkTournament runs the 10,000-negotiation tournament on every core
// (GOMAXPROCS; -cpu 2 for the issue's figure), results streamed to disk.
// One op is the whole tournament; negotiations/s is the figure, and
// peak-heap-MB the largest heap in use seen during the run.
func BenchmarkTournament(b *testing.B) {
	plan, err := NewPlan(benchConfig(10000), benchLoader)
	if err != nil {
		b.Fatal(err)
	}
	var peak uint64
	b.ReportAllocs()
	for b.Loop() {
		var ms runtime.MemStats
		_, err := Run(context.Background(), plan, Options{Dir: b.TempDir(), Progress: func(done, _ int64) {
			if done%500 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(plan.Len())*float64(b.N)/b.Elapsed().Seconds(), "negotiations/s")
	b.ReportMetric(float64(plan.Len()), "negotiations/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// TestMemoryFlat: the heap in use while a tournament runs does not grow
// with the number of negotiations (results are streamed to disk): 20 times
// more negotiations peak within 4 MB of the smaller run.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 21,000 negotiations")
	}
	peak := func(n int) uint64 {
		c := benchConfig(n)
		c.Rounds = 20
		plan, err := NewPlan(c, benchLoader)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var p uint64
		var ms runtime.MemStats
		_, err = Run(context.Background(), plan, Options{Dir: t.TempDir(), Workers: 2, Progress: func(done, _ int64) {
			if done%250 == 0 {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				p = max(p, ms.HeapInuse)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	small, large := peak(1000), peak(20000)
	t.Logf("peak heap in use: %.1f MB for 1,000 negotiations, %.1f MB for 20,000", float64(small)/(1<<20), float64(large)/(1<<20))
	if large > small+4<<20 {
		t.Errorf("heap grows with negotiations: %d bytes for 1,000, %d for 20,000", small, large)
	}
}
