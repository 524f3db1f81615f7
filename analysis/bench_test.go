package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"parley/scenario"
	"parley/space"
	"parley/utility"
)

// linearScenario builds a linear additive scenario with the given number of
// parties and issues of values each, with weights and value utilities drawn
// from a fixed seed.
func linearScenario(parties, issues, values int, seed uint64) *scenario.Scenario {
	return linearScenarioOpposed(parties, issues, values, seed, false)
}

// linearScenarioOpposed is linearScenario where, if opposed, every party
// after the first values each option at 1 minus the first party's value
// (with weights of its own): the competitive case, with large frontiers.
func linearScenarioOpposed(parties, issues, values int, seed uint64, opposed bool) *scenario.Scenario {
	rng := rand.New(rand.NewPCG(seed, 1))
	sc := &scenario.Scenario{Name: fmt.Sprintf("linear-%dp-%dx%d", parties, issues, values)}
	for i := 0; i < issues; i++ {
		is := scenario.Issue{Name: fmt.Sprintf("issue%d", i), Type: scenario.Categorical}
		for v := 0; v < values; v++ {
			is.Values = append(is.Values, fmt.Sprintf("v%d", v))
		}
		sc.Issues = append(sc.Issues, is)
	}
	for p := 0; p < parties; p++ {
		l := &scenario.Linear{Issues: map[string]scenario.LinearIssue{}}
		for _, is := range sc.Issues {
			li := scenario.LinearIssue{Weight: rng.Float64() / float64(issues), Values: map[string]float64{}}
			for _, v := range is.Values {
				li.Values[v] = rng.Float64()
				if opposed && p > 0 {
					li.Values[v] = 1 - sc.Parties[0].Preferences.Linear.Issues[is.Name].Values[v]
				}
			}
			l.Issues[is.Name] = li
		}
		party := scenario.Party{Name: fmt.Sprintf("p%d", p), Role: scenario.Participant, Preferences: &scenario.Preferences{Linear: l}}
		if !opposed {
			res := 0.3
			party.Reservation = &res
		}
		sc.Parties = append(sc.Parties, party)
	}
	return sc
}

func benchAnalyze(b *testing.B, parties, issues, values int, opposed bool) {
	sc := linearScenarioOpposed(parties, issues, values, 42, opposed)
	if err := sc.Validate(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var r *Result
	for b.Loop() {
		var err error
		r, err = Analyze(sc, Options{Method: Enumerate})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(r.Pareto)), "frontier")
	b.ReportMetric(float64(r.Outcomes.Int64()), "outcomes")
}

// BenchmarkAnalyze measures the whole analysis (evaluation, rational set,
// frontier, all four fair points, opposition).
func BenchmarkAnalyze(b *testing.B) {
	for _, opposed := range []bool{false, true} {
		for _, c := range []struct{ parties, issues, values int }{
			{2, 4, 10}, {2, 5, 10}, {2, 6, 10}, {2, 7, 10},
			{3, 5, 10}, {4, 5, 10}, {5, 5, 10},
		} {
			kind := "independent"
			if opposed {
				kind = "opposed"
			}
			b.Run(fmt.Sprintf("%s/parties=%d/outcomes=1e%d", kind, c.parties, c.issues), func(b *testing.B) {
				benchAnalyze(b, c.parties, c.issues, c.values, opposed)
			})
		}
	}
}

// BenchmarkFill measures evaluating every outcome of a linear additive
// function.
func BenchmarkFill(b *testing.B) {
	for _, issues := range []int{4, 5, 6, 7} {
		b.Run(fmt.Sprintf("outcomes=1e%d", issues), func(b *testing.B) {
			sc := linearScenario(1, issues, 10, 7)
			prof, err := utility.Compile(sc, 0)
			if err != nil {
				b.Fatal(err)
			}
			sp, _ := space.Of(sc)
			n, _ := sp.Len()
			dst := make([]float64, n)
			b.ReportAllocs()
			for b.Loop() {
				utility.Fill(prof.Func, sp, dst)
			}
		})
	}
}

// decimalScenario is a linear additive scenario with the short decimals of
// real files: weights with 3 decimals, value utilities with 2, a
// reservation of 0.3.
func decimalScenario(parties, issues, values int, seed uint64) *scenario.Scenario {
	return decimalScenarioOpposed(parties, issues, values, seed, false)
}

// decimalScenarioOpposed is decimalScenario where, if opposed, every party
// after the first values each option at 1 minus the first party's value,
// and no party has a reservation value: large frontiers.
func decimalScenarioOpposed(parties, issues, values int, seed uint64, opposed bool) *scenario.Scenario {
	rng := rand.New(rand.NewPCG(seed, 2))
	sc := linearScenario(parties, issues, values, seed)
	for p := range sc.Parties {
		if opposed {
			sc.Parties[p].Reservation = nil
		}
		for _, is := range sc.Issues {
			li := sc.Parties[p].Preferences.Linear.Issues[is.Name]
			li.Weight = float64(rng.IntN(1000)+1) / 1000 / float64(issues) * 2
			li.Weight = math.Round(li.Weight*1000) / 1000
			for _, v := range is.Values {
				li.Values[v] = float64(rng.IntN(101)) / 100
				if opposed && p > 0 {
					li.Values[v] = math.Round((1-sc.Parties[0].Preferences.Linear.Issues[is.Name].Values[v])*100) / 100
				}
			}
			sc.Parties[p].Preferences.Linear.Issues[is.Name] = li
		}
	}
	return sc
}

func participants(sc *scenario.Scenario) ([]*party, error) {
	profiles, err := utility.Participants(sc)
	if err != nil {
		return nil, err
	}
	var out []*party
	for _, p := range profiles {
		pt, err := newParty(p, false)
		if err != nil {
			return nil, err
		}
		out = append(out, pt)
	}
	return out, nil
}

func spaceOf(t testing.TB, sc *scenario.Scenario) *space.Space {
	sp, err := space.Of(sc)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// BenchmarkMerge measures the issue-by-issue merge on spaces far beyond
// enumeration.
func BenchmarkMerge(b *testing.B) {
	for _, c := range []struct {
		parties, issues, values int
		opposed                 bool
	}{
		{2, 8, 5, false}, {2, 12, 10, false}, {2, 20, 10, false}, {3, 8, 5, false},
		{2, 8, 5, true}, {2, 12, 10, true}, {2, 20, 10, true}, {3, 8, 5, true},
	} {
		kind := map[bool]string{false: "independent", true: "opposed"}[c.opposed]
		b.Run(fmt.Sprintf("%s/parties=%d/issues=%dx%d", kind, c.parties, c.issues, c.values), func(b *testing.B) {
			sc := decimalScenarioOpposed(c.parties, c.issues, c.values, 3, c.opposed)
			b.ReportAllocs()
			var r *Result
			for b.Loop() {
				var err error
				r, err = Analyze(sc, Options{Method: Merge})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(r.Pareto)), "frontier")
		})
	}
}
