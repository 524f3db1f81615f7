package forecast

import (
	"errors"
	"strings"
	"testing"

	"parley/scenario"
)

const testScenario = `
name: forecast inputs
issues:
  - name: level
    type: categorical
    ordered: true
    values: [low, mid, high]
    positions: [0, 40, 100]
  - name: amount
    type: integer
    min: 0
    max: 10
  - name: colour
    type: categorical
    values: [red, blue]
parties:
  - name: Lin
    role: participant
    capability: 2
    preferences:
      linear:
        issues:
          level: {weight: 3, values: {low: 0.1, mid: 1, high: 1}}
          amount: {weight: 1, function: {shape: triangular, at_min: 0, peak: 7, at_max: 0.5}}
  - name: Spa
    role: mediator
    capability: 1
    preferences:
      spatial:
        issues:
          level: {ideal: high, salience: 0.4}
  - name: Obs
    role: observer
    capability: 5
`

func TestFromScenario(t *testing.T) {
	s, err := scenario.Parse([]byte(testScenario), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ins, err := FromScenario(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[0].Issue != "level" || ins[1].Issue != "amount" {
		t.Fatalf("issues = %+v, want level and amount (colour is unordered)", ins)
	}
	// Lin: weights 3 and 1 → saliences 3/4 and 1/4; on level mid and high
	// tie at utility 1, the first (mid, at 40) wins; on amount the
	// triangular function peaks at 7. Spa: ideal high (100), salience 0.4.
	wantLevel := []Actor{{"Lin", 2, 40, 0.75}, {"Spa", 1, 100, 0.4}}
	for i, a := range wantLevel {
		if ins[0].Actors[i] != a {
			t.Errorf("level actor %d = %+v, want %+v", i, ins[0].Actors[i], a)
		}
	}
	if len(ins[1].Actors) != 1 || ins[1].Actors[0] != (Actor{"Lin", 2, 7, 0.25}) {
		t.Errorf("amount actors = %+v", ins[1].Actors)
	}
	if len(ins[1].Notes) != 1 || !strings.Contains(ins[1].Notes[0], "Spa") {
		t.Errorf("amount notes = %v, want a note on Spa", ins[1].Notes)
	}
	if name, _ := ins[0].Nearest(55); name != "mid" {
		t.Errorf("Nearest(55) = %q, want mid", name)
	}
}

func TestFromScenarioNeedsCapability(t *testing.T) {
	s, err := scenario.Parse([]byte(strings.Replace(testScenario, "    capability: 1\n", "", 1)), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = FromScenario(s)
	if err == nil || !strings.Contains(err.Error(), `"Spa"`) || !strings.Contains(err.Error(), "capability") {
		t.Fatalf("err = %v, want one naming Spa and capability", err)
	}
}

// TestExamples: the YAML and CSV forms of the EC example give the same
// rounds, and the scenario examples forecast in both modes (a faithful run
// may stop when every actor has met, or refuse an issue on which all
// actors start at one position).
func TestExamples(t *testing.T) {
	s, err := scenario.Load("../examples/ec-scholz.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := FromScenario(s)
	if err != nil {
		t.Fatal(err)
	}
	fromCSV, err := LoadCSV("../examples/ec-scholz.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := ecInput().Actors
	for _, ins := range [][]Input{fromYAML, fromCSV} {
		if len(ins) != 1 || len(ins[0].Actors) != len(want) {
			t.Fatalf("EC example read as %+v", ins)
		}
		for i, a := range want {
			if ins[0].Actors[i] != a {
				t.Errorf("EC actor %d = %+v, want %+v", i, ins[0].Actors[i], a)
			}
		}
	}
	for _, f := range []string{"../examples/astana.yaml", "../examples/us-russia.yaml"} {
		s, err := scenario.Load(f)
		if err != nil {
			t.Logf("%s: %v (skipped)", f, err)
			continue
		}
		ins, err := FromScenario(s)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, in := range ins {
			if _, err := Run(in, Options{Mode: Faithful}); err != nil && !errors.Is(err, ErrDegenerate) {
				t.Errorf("%s %s faithful: %v", f, in.Issue, err)
			}
			if _, err := Run(in, Options{Mode: Corrected}); err != nil {
				t.Errorf("%s %s corrected: %v", f, in.Issue, err)
			}
		}
	}
}
