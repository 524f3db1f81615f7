package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// TestAnalyzeHandWorked checks `analyze --json` on a scenario worked out by
// hand: utilities of the six outcomes (x, y) are, for (A, B):
// ap (1, 0), aq (.5, .5), bp (.75, .25), bq (.25, .75), cp (.5, .5), cq (0, 1).
// With both reservations at 0.2, the rational outcomes are aq, bp, bq, cp;
// none dominates another, so the frontier is (.75,.25), (.5,.5) ×2,
// (.25,.75), all with welfare 1. d = (0.2, 0.2). Nash, KS and egalitarian
// all pick (.5, .5) (outcome aq has the lower index); every frontier point
// ties for max welfare. Opposition: the closest outcome to (1, 1) is at
// distance √0.5, divided by √2: 0.5.
func TestAnalyzeHandWorked(t *testing.T) {
	out, stderr, code := run(t, "analyze", "--json", "testdata/hand.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc jsonAnalysis
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Scenario != "hand" || strings.Join(doc.Parties, ",") != "A,B" || doc.Outcomes.Int64() != 6 || *doc.RationalOutcomes != 4 || doc.Method != "enumerate" {
		t.Fatalf("header %+v", doc)
	}
	if *doc.Reservation[0] != 0.2 || doc.Disagreement[1] != 0.2 || doc.Min[0] != 0 || doc.Max[1] != 1 {
		t.Fatalf("reservation %v disagreement %v min %v max %v", doc.Reservation, doc.Disagreement, doc.Min, doc.Max)
	}
	wantPareto := [][2]float64{{0.75, 0.25}, {0.5, 0.5}, {0.25, 0.75}}
	if len(doc.Pareto) != 3 {
		t.Fatalf("pareto %+v", doc.Pareto)
	}
	for i, w := range wantPareto {
		p := doc.Pareto[i]
		if p.Utilities[0] != w[0] || p.Utilities[1] != w[1] {
			t.Fatalf("pareto[%d] = %v, want %v", i, p.Utilities, w)
		}
	}
	if c := doc.Pareto[1].Count.Int64(); c != 2 {
		t.Fatalf("(.5,.5) stands for %d outcomes, want 2", c)
	}
	for name, pts := range map[string][]jsonPoint{"nash": doc.Nash, "ks": doc.KalaiSmorodinsky, "egalitarian": doc.Egalitarian} {
		if len(pts) != 1 || pts[0].Outcome["x"] != "a" || pts[0].Outcome["y"] != "q" {
			t.Fatalf("%s = %+v, want outcome {x: a, y: q}", name, pts)
		}
	}
	if len(doc.MaxWelfare) != 3 {
		t.Fatalf("max welfare should list the 3 tied points, got %+v", doc.MaxWelfare)
	}
	if math.Abs(doc.Opposition-0.5) > 1e-12 {
		t.Fatalf("opposition %v, want 0.5", doc.Opposition)
	}

	// Without reservations every outcome is rational; (1,0) and (0,1) join.
	out, _, _ = run(t, "analyze", "--json", "--no-reservation", "testdata/hand.yaml")
	doc = jsonAnalysis{}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if *doc.RationalOutcomes != 6 || len(doc.Pareto) != 5 || doc.Reservation[0] != nil || doc.Disagreement[0] != 0 {
		t.Fatalf("--no-reservation: rational %d, pareto %d, reservation %v, d %v", doc.RationalOutcomes, len(doc.Pareto), doc.Reservation, doc.Disagreement)
	}
}

func TestOutcomesCSV(t *testing.T) {
	out, stderr, code := run(t, "outcomes", "testdata/hand.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"x", "y", "A", "B"},
		{"a", "p", "1", "0"}, {"a", "q", "0.5", "0.5"},
		{"b", "p", "0.75", "0.25"}, {"b", "q", "0.25", "0.75"},
		{"c", "p", "0.5", "0.5"}, {"c", "q", "0", "1"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(want), out)
	}
	for i := range want {
		if strings.Join(rows[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("row %d = %v, want %v", i, rows[i], want[i])
		}
	}
}

func TestValidateReportsAllProblems(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("name: x\nissues:\n  - {name: a, type: categorical, values: [p], colour: 1}\nparties:\n  - {name: A, role: king, age: 3}\n"), 0o644)
	out, stderr, code := run(t, "validate", "testdata/hand.yaml", bad)
	if code != ExitBadInput {
		t.Fatalf("exit %d, want %d", code, ExitBadInput)
	}
	if !strings.Contains(out, "testdata/hand.yaml: ok") {
		t.Errorf("stdout %q does not report the good file", out)
	}
	for _, w := range []string{"bad.yaml:3:47: issues[0].colour: unknown field", "bad.yaml:5:27: parties[0].age: unknown field", "1 of 2 files invalid"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
}

func TestBadInputExitCodes(t *testing.T) {
	for _, args := range [][]string{
		{"analyze", "testdata/does-not-exist.yaml"},
		{"analyze"},
		{"analyze", "--bogus", "testdata/hand.yaml"},
	} {
		if _, _, code := run(t, args...); code != ExitBadInput {
			t.Errorf("%v: exit %d, want %d", args, code, ExitBadInput)
		}
	}
}

// TestAnalyzeGolden compares the readable report and the JSON of the
// examples with golden files. Refresh them with `go test ./internal/cli
// -update` after checking the change by hand.
func TestAnalyzeGolden(t *testing.T) {
	for _, c := range []struct{ golden, path string }{
		{"hand", "testdata/hand.yaml"},
		{"astana", "../../examples/astana.yaml"},
		{"us-russia", "../../examples/us-russia.yaml"},
	} {
		for _, format := range []string{"txt", "json"} {
			t.Run(c.golden+"."+format, func(t *testing.T) {
				args := []string{"analyze", c.path}
				if format == "json" {
					args = []string{"analyze", "--json", c.path}
				}
				out, stderr, code := run(t, args...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				file := filepath.Join("testdata", "analyze-"+c.golden+"."+format+".golden")
				if *update {
					if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if out != string(want) {
					t.Errorf("output differs from %s:\n%s", file, out)
				}
			})
		}
	}
}

// TestAnalyzeExplicitFiles: the files of a GENIUS scenario named one by
// one give the same analysis as their folder.
func TestAnalyzeExplicitFiles(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "domains", "genius", "anac", "y2010", "ItexvsCypress")
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	if len(files) == 0 {
		t.Skip("corpus not found")
	}
	a, stderr, code := run(t, append([]string{"analyze", "--json"}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _, _ := run(t, "analyze", "--json", dir)
	var doc, folder jsonAnalysis
	if err := json.Unmarshal([]byte(a), &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &folder); err != nil {
		t.Fatal(err)
	}
	// The name comes from the domain file or from the folder.
	doc.Scenario, folder.Scenario = "", ""
	ja, _ := json.Marshal(doc)
	jb, _ := json.Marshal(folder)
	if string(ja) != string(jb) {
		t.Fatal("explicit files and folder give different analyses")
	}
	if doc.Outcomes.Int64() != 180 {
		t.Fatalf("ItexvsCypress has %v outcomes, want 180", doc.Outcomes)
	}
	if _, _, code := run(t, "analyze", "--format", "bogus", dir); code != ExitBadInput {
		t.Fatalf("--format bogus: exit %d, want %d", code, ExitBadInput)
	}
}
