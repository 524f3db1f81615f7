package analysis

import (
	"math/big"
	"testing"

	"parley/scenario"
)

// artefactScenario: B's utility of outcome (a, p) is 0.34 + 0.56, which
// float64 sums to 0.9000000000000001, while (b, q) is exactly 0.9. A's
// utilities come from a table: ap and bq are given aValue and 0.394.
func artefactScenario(t *testing.T, aValue string) *scenario.Scenario {
	t.Helper()
	src := `name: artefact
issues:
  - {name: x, type: categorical, values: [a, b]}
  - {name: y, type: categorical, values: [p, q]}
parties:
  - name: A
    role: participant
    preferences:
      table:
        default: 0
        outcomes:
          - {outcome: {x: a, y: p}, utility: ` + aValue + `}
          - {outcome: {x: b, y: q}, utility: 0.394}
  - name: B
    role: participant
    preferences:
      linear:
        issues:
          x: {weight: 1, values: {a: 0.34, b: 0.9}}
          y: {weight: 1, values: {p: 0.56, q: 0}}
`
	sc, err := scenario.Parse([]byte(src), "artefact.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestNoFloatArtefacts is the BarterC case in miniature: outcomes ap =
// (0.324, 0.34+0.56) and bq = (0.394, 0.9). Exactly, bq dominates ap; in
// float64, ap's B utility is 0.9000000000000001 and a float engine keeps it
// on the frontier. The exact frontier is bp (0, 1.46) and bq (0.394, 0.9).
func TestNoFloatArtefacts(t *testing.T) {
	x, y := 0.34, 0.56 // variables: Go folds constants exactly
	if x+y == 0.9 {
		t.Skip("this platform's float64 sums 0.34 + 0.56 exactly; the case shows nothing")
	}
	r, err := Analyze(artefactScenario(t, "0.324"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pareto) != 2 {
		t.Fatalf("frontier %v, want 2 points", r.Pareto)
	}
	want := [][2]string{{"0", "73/50"}, {"197/500", "9/10"}}
	for i, w := range want {
		p := r.Pareto[i]
		if p.Exact[0].RatString() != w[0] || p.Exact[1].RatString() != w[1] {
			t.Errorf("frontier[%d] = %v, want %v", i, p.Exact, w)
		}
	}
}

// TestExactDuplicates: with A at 0.394 for both ap and bq, the two outcomes
// have the same exact utilities (0.394, 0.9) — one frontier point standing
// for 2 outcomes — though their float64 utilities differ.
func TestExactDuplicates(t *testing.T) {
	r, err := Analyze(artefactScenario(t, "0.394"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, p := range r.Pareto {
		if p.Exact[0].Cmp(big.NewRat(394, 1000)) == 0 {
			found = true
			if p.Count.Int64() != 2 {
				t.Errorf("point %v stands for %v outcomes, want 2", p.Exact, p.Count)
			}
			if p.Outcome[0] != 0 || p.Outcome[1] != 0 {
				t.Errorf("representative %v, want the smaller outcome (a, p)", p.Outcome)
			}
			if p.Utilities[1] != 0.9 {
				t.Errorf("reported utility %v, want the exact 0.9 rounded: 0.9", p.Utilities[1])
			}
		}
	}
	if !found {
		t.Fatalf("no point (0.394, 0.9) in %v", r.Pareto)
	}
}

// TestMergeWidthsAgree runs the merge with 64-bit, 128-bit and big
// integers on the same small-number scenarios: all must agree.
func TestMergeWidthsAgree(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		sc := decimalScenario(2+int(seed%2), 6, 5, seed)
		profiles, err := participants(sc)
		if err != nil {
			t.Fatal(err)
		}
		sp := spaceOf(t, sc)
		a := mergeFrontier(sp, profiles, true, toI64, 0)
		b := mergeFrontier(sp, profiles, true, toI128, 0)
		c := mergeFrontier(sp, profiles, true, toBig, 0)
		if len(a) == 0 || len(a) != len(b) || len(a) != len(c) {
			t.Fatalf("seed %d: %d, %d, %d points", seed, len(a), len(b), len(c))
		}
		sortPoints(a)
		sortPoints(b)
		sortPoints(c)
		for i := range a {
			if key(a[i].Exact) != key(b[i].Exact) || key(a[i].Exact) != key(c[i].Exact) ||
				a[i].Count.Cmp(c[i].Count) != 0 || a[i].Index.Cmp(b[i].Index) != 0 {
				t.Fatalf("seed %d point %d differs: %s / %s / %s", seed, i, key(a[i].Exact), key(b[i].Exact), key(c[i].Exact))
			}
		}
	}
}

func TestI128(t *testing.T) {
	for _, x := range []string{"0", "1", "-1", "18446744073709551615", "-18446744073709551616", "85070591730234615865843651857942052863", "-85070591730234615865843651857942052864"} {
		v, _ := new(big.Int).SetString(x, 10)
		if got := toBigInt(toI128(v)); got.Cmp(v) != 0 {
			t.Errorf("round trip of %s gives %s", x, got)
		}
	}
	a, _ := new(big.Int).SetString("18446744073709551615", 10)
	b, _ := new(big.Int).SetString("-36893488147419103231", 10)
	sum := toBigInt(toI128(a).add(toI128(b)))
	if want := new(big.Int).Add(a, b); sum.Cmp(want) != 0 {
		t.Errorf("sum %s, want %s", sum, want)
	}
	if toI128(a).cmp(toI128(b)) != 1 || toI128(b).cmp(toI128(a)) != -1 {
		t.Error("compare")
	}
}
