package analysis

import (
	"fmt"
	"math"
	"strconv"

	"pgregory.net/rapid"

	"parley/scenario"
)

// tenth draws a multiple of 0.1 in [0, 1]: coarse values make ties and
// duplicate utility vectors common, which is where frontier code breaks.
func tenth(t *rapid.T, label string) float64 {
	return float64(rapid.IntRange(0, 10).Draw(t, label)) / 10
}

func ptr(x float64) *float64 { return &x }

// randomScenario draws a small valid scenario with nParties participants of
// mixed preference kinds.
func randomScenario(t *rapid.T, nParties int) *scenario.Scenario {
	return randomScenarioKinds(t, nParties, 3)
}

// randomScenarioKinds draws preference kinds 0…maxKind: 0 linear, 1
// spatial, 2 table, 3 constraints.
func randomScenarioKinds(t *rapid.T, nParties, maxKind int) *scenario.Scenario {
	nIssues := rapid.IntRange(1, 4).Draw(t, "issues")
	sc := &scenario.Scenario{Name: "random"}
	for i := 0; i < nIssues; i++ {
		name := fmt.Sprintf("i%d", i)
		switch rapid.IntRange(0, 2).Draw(t, "type") {
		case 0:
			k := rapid.IntRange(1, 4).Draw(t, "values")
			is := scenario.Issue{Name: name, Type: scenario.Categorical, Ordered: true}
			for v := 0; v < k; v++ {
				is.Values = append(is.Values, "v"+strconv.Itoa(v))
			}
			sc.Issues = append(sc.Issues, is)
		case 1:
			lo := float64(rapid.IntRange(-3, 3).Draw(t, "min"))
			sc.Issues = append(sc.Issues, scenario.Issue{Name: name, Type: scenario.Integer, Min: ptr(lo), Max: ptr(lo + float64(rapid.IntRange(0, 3).Draw(t, "width")))})
		default:
			sc.Issues = append(sc.Issues, scenario.Issue{Name: name, Type: scenario.Real, Min: ptr(0), Max: ptr(1), Steps: rapid.IntRange(2, 4).Draw(t, "steps")})
		}
	}
	for p := 0; p < nParties; p++ {
		party := scenario.Party{Name: fmt.Sprintf("p%d", p), Role: scenario.Participant, Preferences: &scenario.Preferences{}}
		if rapid.Bool().Draw(t, "hasReservation") {
			party.Reservation = ptr(tenth(t, "reservation") * 0.8)
		}
		switch rapid.IntRange(0, maxKind).Draw(t, "kind") {
		case 0:
			l := &scenario.Linear{Issues: map[string]scenario.LinearIssue{}}
			for i := range sc.Issues {
				is := &sc.Issues[i]
				li := scenario.LinearIssue{Weight: tenth(t, "weight")}
				if rapid.IntRange(0, 3).Draw(t, "scaled") == 0 {
					li.Scale = ptr(float64(rapid.IntRange(1, 7).Draw(t, "scale")))
				}
				if is.Type == scenario.Categorical {
					li.Values = map[string]float64{}
					for _, v := range is.Values {
						li.Values[v] = tenth(t, "value")
					}
				} else {
					li.Function = &scenario.ValueFunction{Shape: scenario.ShapeLinear, AtMin: ptr(tenth(t, "atmin")), AtMax: ptr(tenth(t, "atmax"))}
				}
				l.Issues[is.Name] = li
			}
			party.Preferences.Linear = l
		case 1:
			s := &scenario.Spatial{Issues: map[string]scenario.SpatialIssue{}}
			for i := range sc.Issues {
				is := &sc.Issues[i]
				k := rapid.IntRange(0, is.Cardinality()-1).Draw(t, "ideal")
				s.Issues[is.Name] = scenario.SpatialIssue{Ideal: is.Label(k), Salience: 0.1 + tenth(t, "salience")}
			}
			party.Preferences.Spatial = s
		case 2:
			tb := &scenario.Table{Default: ptr(tenth(t, "default"))}
			rows := rapid.IntRange(0, 6).Draw(t, "rows")
			seen := map[string]bool{}
			for r := 0; r < rows; r++ {
				out := map[string]string{}
				key := ""
				for i := range sc.Issues {
					is := &sc.Issues[i]
					v := is.Label(rapid.IntRange(0, is.Cardinality()-1).Draw(t, "cell"))
					out[is.Name] = v
					key += v + "|"
				}
				if seen[key] {
					continue
				}
				seen[key] = true
				tb.Outcomes = append(tb.Outcomes, scenario.TableEntry{Outcome: out, Utility: tenth(t, "u")})
			}
			party.Preferences.Table = tb
		default:
			c := &scenario.Constraints{}
			if rapid.IntRange(0, 2).Draw(t, "capped") == 0 {
				c.Cap = ptr(tenth(t, "cap"))
			}
			rules := rapid.IntRange(1, 4).Draw(t, "rules")
			for r := 0; r < rules; r++ {
				rule := scenario.Rule{Utility: tenth(t, "ru") - 0.3}
				for i := range sc.Issues {
					is := &sc.Issues[i]
					if !rapid.Bool().Draw(t, "constrain") {
						continue
					}
					a := rapid.IntRange(0, is.Cardinality()-1).Draw(t, "a")
					b := rapid.IntRange(a, is.Cardinality()-1).Draw(t, "b")
					cond := scenario.Condition{Issue: is.Name, Min: ptr(is.Number(a)), Max: ptr(is.Number(b))}
					if rapid.IntRange(0, 3).Draw(t, "exclude") == 0 {
						rule.Excludes = append(rule.Excludes, cond)
					} else {
						rule.Includes = append(rule.Includes, cond)
					}
				}
				c.Rules = append(c.Rules, rule)
			}
			party.Preferences.Constraints = c
		}
		sc.Parties = append(sc.Parties, party)
	}
	if err := sc.Validate(); err != nil {
		t.Fatalf("generated an invalid scenario: %v", err)
	}
	return sc
}

func sameFloat(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}
