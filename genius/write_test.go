package genius

import (
	"math"
	"strings"
	"testing"

	"parley"
	"parley/scenario"
)

// A real issue on the default grid of 11 points, with GENIUS's linear real
// evaluator u = parameter0 + parameter1·x clamped to [0, 1].
func TestRealIssue(t *testing.T) {
	dom := `<negotiation_template><utility_space><objective index="0" name="root">
<issue index="1" name="rate" type="real"><range lowerbound="0" upperbound="10"/></issue>
</objective></utility_space></negotiation_template>`
	prof := `<utility_space><objective index="0" name="root">
<issue index="1" name="rate" type="real"><range lowerbound="0" upperbound="10"/><evaluator ftype="linear" parameter0="1.2" parameter1="-0.15"/></issue>
<weight index="1" value="1"/></objective></utility_space>`
	for _, steps := range []int{0, 21} {
		sc, err := Parse("r", File{"d.xml", []byte(dom)}, []File{{"p.xml", []byte(prof)}}, Options{RealSteps: steps})
		if err != nil {
			t.Fatal(err)
		}
		n := sc.Issues[0].Cardinality()
		if want := map[int]int{0: 11, 21: 21}[steps]; n != want {
			t.Fatalf("RealSteps %d: %d grid points, want %d", steps, n, want)
		}
		for k := 0; k < n; k++ {
			x := 10 * float64(k) / float64(n-1)
			want := math.Max(0, math.Min(1, 1.2-0.15*x))
			got := utilityOf(t, sc, "p", map[string]string{"rate": sc.Issues[0].Label(k)})
			if math.Abs(got-want) > 1e-12 {
				t.Errorf("x = %v: u = %v, want %v", x, got, want)
			}
		}
	}
}

func TestExportErrors(t *testing.T) {
	one := 1.0
	base := func(p *scenario.Preferences) *scenario.Scenario {
		return &scenario.Scenario{Name: "x",
			Issues:  []scenario.Issue{{Name: "a", Type: scenario.Categorical, Values: []string{"u", "v"}}},
			Parties: []scenario.Party{{Name: "p", Role: scenario.Participant, Preferences: p}}}
	}
	tests := []struct {
		name string
		sc   *scenario.Scenario
		want string
	}{
		{"table preferences", base(&scenario.Preferences{Table: &scenario.Table{Default: &one}}), "table preferences"},
		{"negative utility", base(&scenario.Preferences{Linear: &scenario.Linear{Issues: map[string]scenario.LinearIssue{
			"a": {Weight: 1, Values: map[string]float64{"u": -0.5, "v": 1}}}}}), "< 0"},
		{"no participant", &scenario.Scenario{Name: "x", Issues: []scenario.Issue{{Name: "a", Type: scenario.Categorical, Values: []string{"u"}}},
			Parties: []scenario.Party{{Name: "m", Role: scenario.Mediator}}}, "no participant"},
	}
	for _, tc := range tests {
		_, err := Export(tc.sc, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || parley.ErrorCode(err) != parley.EUNSUPPORTED {
			t.Errorf("%s: got %v (code %q), want an unsupported error containing %q", tc.name, err, parley.ErrorCode(err), tc.want)
		}
	}
}
