package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const valid = `name: t
issues:
  - {name: color, type: categorical, values: [red, blue]}
  - {name: price, type: integer, min: 1, max: 3}
parties:
  - name: A
    role: participant
    preferences:
      linear:
        issues:
          color: {weight: 1, values: {red: 1, blue: 0}}
  - {name: M, role: mediator}
`

func TestParseValid(t *testing.T) {
	s, err := Parse([]byte(valid), "v.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "t" || len(s.Issues) != 2 || len(s.Parties) != 2 || s.File != "v.yaml" {
		t.Fatalf("parsed %+v", s)
	}
	if got := s.Issues[1].Cardinality(); got != 3 {
		t.Fatalf("integer 1..3 has %d values, want 3", got)
	}
	if got := s.Participants(); len(got) != 1 || got[0] != 0 {
		t.Fatalf("participants %v, want [0]", got)
	}
}

// TestParseJSONSameAsYAML checks that the JSON spelling of a scenario gives
// the same model as its YAML spelling.
func TestParseJSONSameAsYAML(t *testing.T) {
	js := `{"name": "t", "issues": [{"name": "color", "type": "categorical", "values": ["red", "blue"]},
	 {"name": "price", "type": "integer", "min": 1, "max": 3}],
	 "parties": [{"name": "A", "role": "participant", "preferences": {"linear": {"issues": {"color": {"weight": 1, "values": {"red": 1, "blue": 0}}}}}},
	 {"name": "M", "role": "mediator"}]}`
	a, err := Parse([]byte(valid), "a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse([]byte(js), "b.json")
	if err != nil {
		t.Fatal(err)
	}
	a.File, b.File = "", ""
	if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
		t.Fatalf("YAML gives\n%s\nJSON gives\n%s", ja, jb)
	}
}

// TestProblems checks each validation error: its field path, its position
// (line:column counted by hand in the input) and a word of its message.
func TestProblems(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string // "line:col field: substring"
	}{
		{"unknown top field", "name: x\nissuez: []\n", []string{"2:1 issuez: unknown field"}},
		{"unknown nested fields all reported", `name: x
issues:
  - {name: a, type: categorical, values: [p], colour: red}
parties:
  - {name: A, role: participant, age: 3}
`, []string{"3:47 issues[0].colour: unknown field", "5:34 parties[0].age: unknown field"}},
		{"integer expected", "name: x\nissues:\n  - {name: r, type: real, min: 0, max: 1, steps: 2.5}\nparties: [{name: A, role: participant}]\n", []string{"3:50 issues[0].steps: want an integer"}},
		{"number expected", "name: x\nissues:\n  - {name: r, type: real, min: zero, max: 1}\nparties: [{name: A, role: participant}]\n", []string{"3:32 issues[0].min: want a number"}},
		{"list expected", "name: x\nissues: {a: 1}\n", []string{"2:9 issues: want a list"}},
		{"syntax", "name: [x\n", []string{"1:7 : sequence end token"}},
		{"no name, no issues, no participants", "description: d\nparties: [{name: O, role: observer}]\n", []string{"name: missing", "issues: missing", "parties: no participants"}},
		{"negative weight", `name: x
issues:
  - {name: a, type: categorical, values: [p, q]}
parties:
  - name: A
    role: participant
    preferences:
      linear:
        issues:
          a: {weight: -0.5, values: {p: 1, q: 0}}
`, []string{"10:23 parties[0].preferences.linear.issues.a.weight: weight must be a finite number ≥ 0"}},
		{"value not in issue", `name: x
issues:
  - {name: a, type: categorical, values: [p, q]}
parties:
  - name: A
    role: participant
    preferences:
      linear:
        issues:
          a: {weight: 1, values: {p: 1, q: 0, r: 2}}
`, []string{"10:50 parties[0].preferences.linear.issues.a.values.r: value \"r\" is not in issue"}},
		{"missing value utility", `name: x
issues:
  - {name: a, type: categorical, values: [p, q]}
parties:
  - name: A
    role: participant
    preferences: {linear: {issues: {a: {weight: 1, values: {p: 1}}}}}
`, []string{"parties[0].preferences.linear.issues.a.values: no utility for value(s) q"}},
		{"unknown issue in preferences", `name: x
issues:
  - {name: a, type: categorical, values: [p]}
parties:
  - name: A
    role: participant
    preferences: {linear: {issues: {b: {weight: 1, values: {p: 1}}}}}
`, []string{"parties[0].preferences.linear.issues.b: no issue named \"b\""}},
		{"ideal outside range", `name: x
issues:
  - {name: n, type: integer, min: 0, max: 10}
parties:
  - name: A
    role: participant
    preferences: {spatial: {issues: {n: {ideal: 11, salience: 1}}}}
`, []string{"7:49 parties[0].preferences.spatial.issues.n.ideal: ideal point 11 is outside"}},
		{"spatial on unordered", `name: x
issues:
  - {name: c, type: categorical, values: [p, q]}
parties:
  - name: A
    role: participant
    preferences: {spatial: {issues: {c: {ideal: p, salience: 1}}}}
`, []string{"parties[0].preferences.spatial.issues.c: issue \"c\" is unordered categorical"}},
		{"duplicate names", `name: x
issues:
  - {name: a, type: categorical, values: [p, p]}
  - {name: a, type: integer, min: 0, max: 1}
parties:
  - {name: A, role: participant}
  - {name: A, role: observer}
`, []string{"3:46 issues[0].values[1]: duplicate value", "4:12 issues[1].name: duplicate issue name", "7:12 parties[1].name: duplicate party name"}},
		{"bad role and type", `name: x
issues:
  - {name: a, type: set, values: [p]}
parties:
  - {name: A, role: king}
`, []string{"3:21 issues[0].type: unknown issue type \"set\"", "5:21 parties[0].role: unknown role \"king\"", "parties: no participants"}},
		{"max below min", "name: x\nissues:\n  - {name: n, type: integer, min: 5, max: 1}\nparties: [{name: A, role: participant}]\n", []string{"3:43 issues[0].max: max 1 is below min 5"}},
		{"observer with preferences", `name: x
issues:
  - {name: a, type: categorical, values: [p]}
parties:
  - {name: A, role: participant}
  - {name: O, role: observer, reservation: 0.2, preferences: {linear: {issues: {a: {weight: 1, values: {p: 1}}}}}}
`, []string{"parties[1].preferences: an observer has no preferences", "parties[1].reservation: an observer has no reservation"}},
		{"discount out of range", "name: x\nissues: [{name: a, type: categorical, values: [p]}]\nparties: [{name: A, role: participant, discount: 1.5}]\n", []string{"3:50 parties[0].discount: must be in (0, 1]"}},
		{"two preference kinds", `name: x
issues:
  - {name: n, type: integer, min: 0, max: 1}
parties:
  - name: A
    role: participant
    preferences:
      spatial: {issues: {n: {ideal: 0, salience: 1}}}
      linear: {issues: {n: {weight: 1, function: {shape: linear, at_min: 0, at_max: 1}}}}
`, []string{"parties[0].preferences: give only one kind of preferences, found linear and spatial"}},
		{"function problems", `name: x
issues:
  - {name: n, type: real, min: 0, max: 1}
parties:
  - name: A
    role: participant
    preferences:
      linear:
        issues:
          n: {weight: 1, function: {shape: triangular, at_min: 0, at_max: 0, peak: 2}}
`, []string{"peak: peak 2 is outside"}},
		{"piecewise x not increasing", `name: x
issues:
  - {name: n, type: real, min: 0, max: 1}
parties:
  - name: A
    role: participant
    preferences: {linear: {issues: {n: {weight: 1, function: {shape: piecewise, points: [[0, 0], [0, 1]]}}}}}
`, []string{"points[1]: x must increase"}},
		{"table incomplete without default", `name: x
issues:
  - {name: a, type: categorical, values: [p, q]}
parties:
  - name: A
    role: participant
    preferences: {table: {outcomes: [{outcome: {a: p}, utility: 1}]}}
`, []string{"parties[0].preferences.table.outcomes: lists 1 of 2 outcomes"}},
		{"constraint on unknown value", `name: x
issues:
  - {name: a, type: categorical, values: [p, q]}
parties:
  - name: A
    role: participant
    preferences: {constraints: {rules: [{utility: 1, includes: [{issue: a, values: [z]}]}]}}
`, []string{"includes[0].values[0]: value \"z\" is not in issue"}},
		{"deadline empty", "name: x\nissues: [{name: a, type: categorical, values: [p]}]\nparties: [{name: A, role: participant}]\ndeadline: {}\n", []string{"deadline: give rounds, seconds or both"}},
		{"deadline past time.Duration", "name: x\nissues: [{name: a, type: categorical, values: [p]}]\nparties: [{name: A, role: participant}]\ndeadline: {seconds: 3.1e10}\n",
			[]string{"deadline.seconds: must be at most 9223372036 (292 years, the longest time.Duration), found 3.1e+10"}},
		{"deadline negative", "name: x\nissues: [{name: a, type: categorical, values: [p]}]\nparties: [{name: A, role: participant}]\ndeadline: {seconds: -1.3e10}\n",
			[]string{"deadline.seconds: must be a finite number ≥ 0, found -1.3e+10"}},
		{"positions", "name: x\nissues: [{name: a, type: categorical, ordered: true, values: [p, q], positions: [1, 0]}]\nparties: [{name: A, role: participant}]\n", []string{"issues[0].positions[1]: positions must increase"}},
		{"empty", "  \n", []string{"empty file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.in), "f.yaml")
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %v (%T), want Problems", err, err)
			}
			if len(ps) != len(c.want) {
				t.Errorf("got %d problems, want %d:\n%v", len(ps), len(c.want), err)
			}
			for _, w := range c.want {
				if !containsPositioned(ps, w) && !(!startsWithDigit(w) && strings.Contains(err.Error(), w)) {
					t.Errorf("no problem matching %q in:\n%v", w, err)
				}
			}
			for _, p := range ps {
				if p.File != "f.yaml" {
					t.Errorf("problem %v does not name the file", p)
				}
			}
		})
	}
}

// containsPositioned matches "LINE:COL field: text" against the problems,
// written as f.yaml:LINE:COL: field: text.
func containsPositioned(ps Problems, w string) bool {
	pos, rest, ok := strings.Cut(w, " ")
	if !ok || !strings.Contains(pos, ":") {
		return false
	}
	want := "f.yaml:" + pos + ": " + strings.TrimPrefix(rest, ": ")
	for _, p := range ps {
		if strings.HasPrefix(p.Error(), want) {
			return true
		}
	}
	return false
}

func TestExamplesAreValid(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	if len(files) == 0 {
		t.Skip("no examples")
	}
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// Other examples (tournament configurations…) have their own
		// schemas; scenarios have a top-level issues list.
		if !strings.Contains("\n"+string(data), "\nissues:") {
			continue
		}
		checked++
		if _, err := Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if checked < 2 {
		t.Errorf("checked %d scenario examples, want at least astana and us-russia", checked)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error %v, want not-exist", err)
	}
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

// TestDeadlineSecondsBound: the longest deadline accepted converts to a
// positive time.Duration as sessions convert it; one second more is
// refused.
func TestDeadlineSecondsBound(t *testing.T) {
	for _, c := range []struct {
		seconds float64
		ok      bool
	}{{9223372036, true}, {9223372037, false}, {1e300, false}} {
		sc := &Scenario{Name: "x", Issues: []Issue{{Name: "a", Type: Categorical, Values: []string{"p"}}},
			Parties: []Party{{Name: "A", Role: Participant}}, Deadline: &Deadline{Seconds: c.seconds}}
		err := sc.Validate()
		if (err == nil) != c.ok {
			t.Errorf("seconds %v: %v, want ok %v", c.seconds, err, c.ok)
		}
		if c.ok && time.Duration(c.seconds*float64(time.Second)) <= 0 {
			t.Errorf("seconds %v accepted but converts to %v", c.seconds, time.Duration(c.seconds*float64(time.Second)))
		}
	}
}
