package utility

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"parley/scenario"
	"parley/space"
)

const handYAML = `name: hand
issues:
  - {name: color, type: categorical, values: [red, green, blue]}
  - {name: n, type: integer, min: 0, max: 10}
  - {name: r, type: real, min: 0, max: 10, steps: 11}
  - {name: lvl, type: categorical, ordered: true, values: [x, y, z], positions: [0, 1, 4]}
parties:
  - name: lin
    role: participant
    reservation: 0.25
    discount: 0.5
    preferences:
      linear:
        issues:
          color: {weight: 0.5, values: {red: 1, green: 0.4, blue: 0}}
          n: {weight: 0.2, function: {shape: linear, at_min: 0, at_max: 1}}
          r: {weight: 0.3, function: {shape: triangular, at_min: 0.2, peak: 4, at_max: 0}}
  - name: pw
    role: participant
    preferences:
      linear:
        issues:
          r: {weight: 1, function: {shape: piecewise, points: [[0, 0], [5, 1], [10, 0.3]]}}
  - name: sp
    role: participant
    preferences:
      spatial:
        issues:
          n: {ideal: 4, salience: 3}
          lvl: {ideal: y, salience: 1}
  - name: tab
    role: participant
    preferences:
      table:
        default: 0.1
        outcomes:
          - {outcome: {color: red, n: 1, r: 2, lvl: x}, utility: 0.9}
          - {outcome: {color: blue, n: 0, r: 0, lvl: z}, utility: -0.5}
  - name: con
    role: participant
    preferences:
      constraints:
        scale: 10
        rules:
          - {utility: 6, includes: [{issue: n, min: 2, max: 5}]}
          - {utility: 3, includes: [{issue: color, values: [red, green]}], excludes: [{issue: lvl, values: [z]}]}
          - {utility: -4, includes: [{issue: r, min: 8}]}
`

func outcome(t *testing.T, sc *scenario.Scenario, m map[string]string) []int {
	t.Helper()
	o, err := space.Parse(sc, m)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestHandWorkedUtilities(t *testing.T) {
	sc, err := scenario.Parse([]byte(handYAML), "hand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		party string
		o     map[string]string
		want  float64
	}{
		// 0.5·0.4 + 0.2·0.3 + 0.3·(0.2 + 0.8·2/4) = 0.2 + 0.06 + 0.18
		{"lin", map[string]string{"color": "green", "n": "3", "r": "2", "lvl": "x"}, 0.44},
		// 0.5·1 + 0.2·1 + 0.3·(1 − 3/6) = 0.85
		{"lin", map[string]string{"color": "red", "n": "10", "r": "7", "lvl": "y"}, 0.85},
		// peak exactly: 0.3·1
		{"lin", map[string]string{"color": "blue", "n": "0", "r": "4", "lvl": "z"}, 0.3},
		// piecewise between (5,1) and (10,0.3) at 7: 1 − 0.7·2/5
		{"pw", map[string]string{"color": "red", "n": "0", "r": "7", "lvl": "x"}, 0.72},
		{"pw", map[string]string{"color": "red", "n": "0", "r": "5", "lvl": "x"}, 1},
		// 1 − 0.75·|9−4|/10 − 0.25·|4−1|/4
		{"sp", map[string]string{"color": "red", "n": "9", "r": "0", "lvl": "z"}, 0.4375},
		{"sp", map[string]string{"color": "blue", "n": "4", "r": "9", "lvl": "y"}, 1},
		{"tab", map[string]string{"color": "red", "n": "1", "r": "2", "lvl": "x"}, 0.9},
		{"tab", map[string]string{"color": "blue", "n": "0", "r": "0", "lvl": "z"}, -0.5},
		{"tab", map[string]string{"color": "blue", "n": "0", "r": "1", "lvl": "z"}, 0.1},
		// rules 1 and 2 hold: (6 + 3)/10
		{"con", map[string]string{"color": "red", "n": "3", "r": "0", "lvl": "y"}, 0.9},
		// rule 2 excluded by lvl z, rule 3 holds: (6 − 4)/10
		{"con", map[string]string{"color": "green", "n": "5", "r": "9", "lvl": "z"}, 0.2},
		{"con", map[string]string{"color": "blue", "n": "0", "r": "0", "lvl": "x"}, 0},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.party, c.o), func(t *testing.T) {
			p, err := Compile(sc, partyIndex(sc, c.party))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Func.Utility(outcome(t, sc, c.o)); math.Abs(got-c.want) > 1e-12 {
				t.Fatalf("utility %v, want %v", got, c.want)
			}
		})
	}
}

func partyIndex(sc *scenario.Scenario, name string) int {
	for i, p := range sc.Parties {
		if p.Name == name {
			return i
		}
	}
	return -1
}

func TestHandWorkedRanges(t *testing.T) {
	sc, err := scenario.Parse([]byte(handYAML), "hand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		party  string
		lo, hi float64
	}{
		// min: blue, n=0, r=10 (0); max: red, n=10, r=4 (1)
		{"lin", 0, 1},
		{"pw", 0, 1},
		// farthest: n=10 (|10−4|/10 = 0.6) and lvl z (3/4): 1 − 0.45 − 0.1875
		{"sp", 0.3625, 1},
		{"tab", -0.5, 0.9},
		// max: n in 2..5, color red/green, lvl not z, r < 8: 0.9; min: rule 3 alone: −0.4
		{"con", -0.4, 0.9},
	}
	for _, c := range cases {
		p, err := Compile(sc, partyIndex(sc, c.party))
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := p.Func.Range()
		if math.Abs(lo-c.lo) > 1e-12 || math.Abs(hi-c.hi) > 1e-12 {
			t.Errorf("%s: range [%v, %v], want [%v, %v]", c.party, lo, hi, c.lo, c.hi)
		}
	}
}

func TestProfileDiscountAndReservation(t *testing.T) {
	sc, err := scenario.Parse([]byte(handYAML), "hand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	o := outcome(t, sc, map[string]string{"color": "red", "n": "10", "r": "7", "lvl": "y"})
	if got, want := p.At(o, 1), 0.85*0.5; math.Abs(got-want) > 1e-12 {
		t.Errorf("At(t=1) = %v, want %v", got, want)
	}
	if got, want := p.At(o, 0.5), 0.85*math.Sqrt(0.5); math.Abs(got-want) > 1e-12 {
		t.Errorf("At(t=0.5) = %v, want %v", got, want)
	}
	if got, want := p.ReservationAt(1), 0.125; got != want {
		t.Errorf("ReservationAt(1) = %v, want %v", got, want)
	}
	q, _ := Compile(sc, 1)
	if !math.IsInf(q.ReservationAt(0), -1) {
		t.Errorf("no reservation should be -Inf, got %v", q.ReservationAt(0))
	}
	for _, d := range []float64{0, 1, 1.5} {
		if got := Discounted(0.7, d, 0.9); got != 0.7 {
			t.Errorf("Discounted(0.7, %v, 0.9) = %v, want no discount", d, got)
		}
	}
}

// TestConstraintRangeBruteForce checks the branch-and-bound range of
// constraint preferences against enumerating every outcome, on spaces with
// many overlapping rules.
func TestConstraintRangeBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nIssues := rapid.IntRange(1, 6).Draw(t, "issues")
		sc := &scenario.Scenario{Name: "c"}
		for i := 0; i < nIssues; i++ {
			lo, hi := 0.0, float64(rapid.IntRange(0, 4).Draw(t, "hi"))
			sc.Issues = append(sc.Issues, scenario.Issue{Name: fmt.Sprint("i", i), Type: scenario.Integer, Min: &lo, Max: &hi})
		}
		c := &scenario.Constraints{}
		for r := rapid.IntRange(1, 12).Draw(t, "rules"); r > 0; r-- {
			rule := scenario.Rule{Utility: float64(rapid.IntRange(-5, 10).Draw(t, "u"))}
			for i := range sc.Issues {
				if rapid.IntRange(0, 2).Draw(t, "use") > 0 {
					continue
				}
				a := float64(rapid.IntRange(0, 4).Draw(t, "a"))
				b := a + float64(rapid.IntRange(0, 2).Draw(t, "w"))
				cond := scenario.Condition{Issue: sc.Issues[i].Name, Min: &a, Max: &b}
				if rapid.IntRange(0, 3).Draw(t, "ex") == 0 {
					rule.Excludes = append(rule.Excludes, cond)
				} else {
					rule.Includes = append(rule.Includes, cond)
				}
			}
			c.Rules = append(c.Rules, rule)
		}
		f, err := CompilePreferences(sc, &scenario.Preferences{Constraints: c})
		if err != nil {
			t.Fatal(err)
		}
		sp, _ := space.Of(sc)
		lo, hi := math.Inf(1), math.Inf(-1)
		for it := sp.Iter(); it.Next(); {
			u := f.Utility(it.Outcome())
			lo, hi = math.Min(lo, u), math.Max(hi, u)
		}
		glo, ghi := f.Range()
		if glo != lo || ghi != hi {
			t.Fatalf("Range [%v, %v], brute force [%v, %v]", glo, ghi, lo, hi)
		}
	})
}

// TestFillMatchesUtility checks the bulk fill against Utility outcome by
// outcome, bit for bit.
func TestFillMatchesUtility(t *testing.T) {
	sc, err := scenario.Parse([]byte(handYAML), "hand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := space.Of(sc)
	n, _ := sp.Len()
	for i := range sc.Parties {
		p, _ := Compile(sc, i)
		dst := make([]float64, n)
		Fill(p.Func, sp, dst)
		for it := sp.Iter(); it.Next(); {
			if u := p.Func.Utility(it.Outcome()); u != dst[it.Index()] {
				t.Fatalf("%s: outcome %d: Fill %v, Utility %v", p.Name, it.Index(), dst[it.Index()], u)
			}
		}
	}
}

// TestScaleIsExact: GENIUS-style raw evaluations 1, 2, 3 divided by their
// largest (scale 3) give exactly 1/3 and 2/3, and three thirds sum to
// exactly 1 in the exact form, whatever float64 does.
func TestScaleIsExact(t *testing.T) {
	src := `name: scale
issues:
  - {name: a, type: categorical, values: [x, y, z]}
  - {name: b, type: categorical, values: [x, y, z]}
  - {name: c, type: categorical, values: [x, y, z]}
parties:
  - name: P
    role: participant
    preferences:
      linear:
        issues:
          a: {weight: 1, scale: 3, values: {x: 1, y: 2, z: 3}}
          b: {weight: 1, scale: 3, values: {x: 1, y: 2, z: 3}}
          c: {weight: 1, scale: 3, values: {x: 1, y: 2, z: 3}}
`
	sc, err := scenario.Parse([]byte(src), "scale.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	form := p.Func.(Exact).ExactForm()
	for _, c := range []struct {
		o    []int
		want *big.Rat
	}{
		{[]int{0, 0, 0}, big.NewRat(1, 1)},
		{[]int{1, 0, 0}, big.NewRat(4, 3)},
		{[]int{2, 2, 2}, big.NewRat(3, 1)},
	} {
		if got := form.Rat(c.o); got.Cmp(c.want) != 0 {
			t.Errorf("exact u%v = %v, want %v", c.o, got, c.want)
		}
		f, _ := c.want.Float64()
		if got := p.Func.Utility(c.o); math.Abs(got-f) > form.Bound {
			t.Errorf("float u%v = %v is further than the bound %v from %v", c.o, got, form.Bound, f)
		}
	}
	bad := strings.Replace(src, "scale: 3, values: {x: 1, y: 2, z: 3}}\n          c", "scale: 0, values: {x: 1, y: 2, z: 3}}\n          c", 1)
	if _, err := scenario.Parse([]byte(bad), "bad.yaml"); err == nil || !strings.Contains(err.Error(), "scale: must be a finite number > 0") {
		t.Errorf("scale 0: error %v", err)
	}
}

// TestExactBounds: on random scenarios of every kind, the float utility of
// every outcome is within the form's bound of the exact one, and the exact
// range is attained.
func TestExactBounds(t *testing.T) {
	sc, err := scenario.Parse([]byte(handYAML), "hand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := space.Of(sc)
	for i := range sc.Parties {
		p, _ := Compile(sc, i)
		form := p.Func.(Exact).ExactForm()
		var lo, hi *big.Rat
		for it := sp.Iter(); it.Next(); {
			e := form.Rat(it.Outcome())
			f, _ := e.Float64()
			if d := math.Abs(p.Func.Utility(it.Outcome()) - f); d > form.Bound {
				t.Fatalf("%s: |float − exact| = %v > bound %v", p.Name, d, form.Bound)
			}
			if lo == nil || e.Cmp(lo) < 0 {
				lo = e
			}
			if hi == nil || e.Cmp(hi) > 0 {
				hi = e
			}
		}
		if form.Min != nil {
			if new(big.Rat).SetFrac(form.Min, form.Denom).Cmp(lo) != 0 || new(big.Rat).SetFrac(form.Max, form.Denom).Cmp(hi) != 0 {
				t.Errorf("%s: exact range [%v, %v], enumerated [%v, %v]", p.Name, form.Min, form.Max, lo, hi)
			}
		}
	}
}

// TestFillBlockMatchesUtility checks block filling against Utility, bit for
// bit, for every preference kind and every prefix length.
func TestFillBlockMatchesUtility(t *testing.T) {
	sc, err := scenario.Parse([]byte(handYAML), "hand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := space.Of(sc)
	for i := range sc.Parties {
		p, _ := Compile(sc, i)
		for m := 0; m <= sp.Issues(); m++ {
			size := 1
			for j := m; j < sp.Issues(); j++ {
				size *= sp.Card(j)
			}
			dst := make([]float64, size)
			prefix := make([]int, m)
			for j := range prefix {
				prefix[j] = sp.Card(j) - 1
			}
			FillBlock(p.Func, sp, prefix, dst)
			o := make([]int, sp.Issues())
			copy(o, prefix)
			for k := range dst {
				if u := p.Func.Utility(o); u != dst[k] {
					t.Fatalf("%s prefix %v: outcome %v: FillBlock %v, Utility %v", p.Name, prefix, o, dst[k], u)
				}
				for j := len(o) - 1; j >= m; j-- {
					o[j]++
					if o[j] < sp.Card(j) {
						break
					}
					o[j] = 0
				}
			}
		}
	}
}

// TestConstraintCap: with cap 0.5 the "con" party's utilities 0.9, 0.2
// and 0 become 0.5, 0.2 and 0, its range [-0.4, 0.5], exactly too.
func TestConstraintCap(t *testing.T) {
	src := strings.Replace(handYAML, "        scale: 10\n", "        scale: 10\n        cap: 0.5\n", 1)
	sc, err := scenario.Parse([]byte(src), "cap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(sc, partyIndex(sc, "con"))
	if err != nil {
		t.Fatal(err)
	}
	form := p.Func.(Exact).ExactForm()
	for _, c := range []struct {
		o    map[string]string
		want *big.Rat
	}{
		{map[string]string{"color": "red", "n": "3", "r": "0", "lvl": "y"}, big.NewRat(1, 2)},
		{map[string]string{"color": "green", "n": "5", "r": "9", "lvl": "z"}, big.NewRat(1, 5)},
		{map[string]string{"color": "blue", "n": "0", "r": "0", "lvl": "x"}, new(big.Rat)},
	} {
		o := outcome(t, sc, c.o)
		f, _ := c.want.Float64()
		if got := p.Func.Utility(o); math.Abs(got-f) > 1e-12 {
			t.Errorf("u(%v) = %v, want %v", c.o, got, f)
		}
		if got := form.Rat(o); got.Cmp(c.want) != 0 {
			t.Errorf("exact u(%v) = %v, want %v", c.o, got, c.want)
		}
	}
	if lo, hi := p.Func.Range(); math.Abs(lo+0.4) > 1e-12 || hi != 0.5 {
		t.Errorf("range [%v, %v], want [-0.4, 0.5]", lo, hi)
	}
	if new(big.Rat).SetFrac(form.Max, form.Denom).Cmp(big.NewRat(1, 2)) != 0 {
		t.Errorf("exact max %v/%v, want 1/2", form.Max, form.Denom)
	}
}
