package plot

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	gplot "gonum.org/v1/plot"

	"parley/negotiation"
	"parley/scenario"
	"parley/tournament"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var styleRE = regexp.MustCompile(`(fill|stroke):(#[0-9A-Fa-f]{6}|none)`)

// structure summarises an SVG: its size, the number of elements of each
// kind, the number of paths per fill and stroke colour, and every text in
// order. Coordinates are left out, so the summary does not depend on font
// metrics or float formatting.
func structure(t *testing.T, svg []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	tags := map[string]int{}
	styles := map[string]int{}
	var texts []string
	var size string
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not valid XML: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			tags[e.Name.Local]++
			inText = e.Name.Local == "text"
			for _, a := range e.Attr {
				switch {
				case e.Name.Local == "svg" && a.Name.Local == "viewBox":
					size = a.Value
				case e.Name.Local == "path" && a.Name.Local == "style":
					for _, m := range styleRE.FindAllStringSubmatch(a.Value, -1) {
						styles[m[1]+" "+strings.ToUpper(m[2])]++
					}
				}
			}
		case xml.CharData:
			if inText {
				texts = append(texts, strings.TrimSpace(string(e)))
			}
		case xml.EndElement:
			inText = false
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "viewBox %s\n", size)
	for _, k := range sortedKeys(tags) {
		fmt.Fprintf(&b, "<%s> %d\n", k, tags[k])
	}
	for _, k := range sortedKeys(styles) {
		fmt.Fprintf(&b, "path %s: %d\n", k, styles[k])
	}
	for _, s := range texts {
		fmt.Fprintf(&b, "text %q\n", s)
	}
	return b.String()
}

func sortedKeys(m map[string]int) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// golden compares the SVG structure of p with testdata/name.golden.
func golden(t *testing.T, p *gplot.Plot, name string) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, p, "svg"); err != nil {
		t.Fatal(err)
	}
	got := structure(t, b.Bytes())
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./plot -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("SVG structure of %s differs from %s (run with -update if the change is intended):\n%s", name, path, got)
	}
	// Rendering is deterministic.
	var again bytes.Buffer
	if err := Write(&again, p, "svg"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), again.Bytes()) {
		t.Error("two renderings differ")
	}
	return got
}

func tiny(t *testing.T) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Load("../tournament/testdata/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestNegotiationFigure draws a hand-made negotiation on the tiny scenario
// (A: x 1, y 0.5, z 0, reservation 0.2; B the reverse): A offers x, B
// offers z, A offers y and B accepts.
func TestNegotiationFigure(t *testing.T) {
	res := &negotiation.Result{
		Status: negotiation.Agreement, Agreement: []int{1}, Rounds: 2,
		Trace: []negotiation.Event{
			{Round: 0, Party: 0, Action: negotiation.ActOffer, Outcome: []int{0}},
			{Round: 0, Party: 1, Action: negotiation.ActOffer, Outcome: []int{2}},
			{Round: 1, Party: 0, Action: negotiation.ActOffer, Outcome: []int{1}},
			{Round: 1, Party: 1, Action: negotiation.ActAccept, Outcome: []int{1}},
		},
	}
	p, err := Negotiation(tiny(t), res, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := golden(t, p, "negotiation")
	// What the figure must show, independently of the golden file.
	for _, want := range []string{`"tiny — agreement in round 2"`, `"utility of A"`, `"utility of B"`, `"outcomes"`,
		`"reservation of A"`, `"Pareto frontier"`, `"Nash"`, `"Kalai–Smorodinsky"`, `"egalitarian"`,
		`"offers of A"`, `"offers of B"`, `"agreement"`} {
		if !strings.Contains(s, "text "+want) {
			t.Errorf("figure lacks the text %s", want)
		}
	}
	if strings.Contains(s, "reservation of B") {
		t.Error("B has no reservation value, but the figure draws one")
	}
	// Errors.
	if _, err := Negotiation(tiny(t), res, 0, 0); err == nil {
		t.Error("same participant twice accepted")
	}
	if _, err := Negotiation(tiny(t), res, 0, 2); err == nil {
		t.Error("participant out of range accepted")
	}
}

func handScores() *tournament.Scores {
	st := func(m, ci float64) tournament.Stat { return tournament.Stat{N: 4, Mean: m, CI: ci} }
	comp := func(name string, rank int, adv, ci float64) tournament.CompetitorScore {
		return tournament.CompetitorScore{Competitor: name, Rank: rank, Negotiations: 4, Scores: map[string]tournament.Stat{
			tournament.ScoreAdvantage: st(adv, ci), tournament.ScoreUtility: st(adv/2+0.3, ci/2),
			tournament.ScoreWelfare: st(1, 0.1), tournament.ScoreAgreement: st(0.5, 0.2),
			tournament.ScoreNash: st(0.2, 0.05), tournament.ScorePareto: st(0.1, math.NaN()),
		}}
	}
	return &tournament.Scores{RankBy: "advantage", Confidence: 0.95, Negotiations: 6,
		Overall: []tournament.CompetitorScore{comp("stubborn", 1, 0.5, 0.9), comp("panicker", 2, 0, 0), comp("accepter", 3, -0.0625, 0.4)},
		Scenarios: []tournament.ScenarioScores{
			{Scenario: "tiny", Negotiations: 6, Agreements: 2},
			{Scenario: "other", Negotiations: 4, Agreements: 4},
		},
	}
}

func TestScoresFigure(t *testing.T) {
	p, err := Scores(handScores(), tournament.ScoreAdvantage)
	if err != nil {
		t.Fatal(err)
	}
	s := golden(t, p, "scores")
	// Names in rank order under the bars.
	i, j, k := strings.Index(s, `"stubborn"`), strings.Index(s, `"panicker"`), strings.Index(s, `"accepter"`)
	if i < 0 || j < i || k < j {
		t.Errorf("competitor names missing or out of rank order:\n%s", s)
	}
	if _, err := Scores(handScores(), "luck"); err == nil {
		t.Error("unknown score accepted")
	}
}

func TestAgreementFigure(t *testing.T) {
	p, err := AgreementRates(handScores())
	if err != nil {
		t.Fatal(err)
	}
	s := golden(t, p, "agreement")
	if !strings.Contains(s, `"tiny"`) || !strings.Contains(s, `"other"`) {
		t.Errorf("scenario names missing:\n%s", s)
	}
	if p.Y.Min != 0 || p.Y.Max != 1 {
		t.Errorf("rate axis %g…%g, want 0…1", p.Y.Min, p.Y.Max)
	}
}

func TestTournamentFiles(t *testing.T) {
	dir := t.TempDir()
	files, err := TournamentFiles(dir, handScores())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 10 {
		t.Errorf("%d files, want 10: %v", len(files), files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(f) {
		case ".png":
			if !bytes.HasPrefix(b, []byte("\x89PNG")) {
				t.Errorf("%s is not a PNG", f)
			}
		case ".svg":
			if !bytes.Contains(b, []byte("<svg")) {
				t.Errorf("%s is not an SVG", f)
			}
		}
	}
	if err := SaveNegotiation(filepath.Join(dir, "x.pdf"), tiny(t), nil, 0, 1); err == nil {
		t.Error(".pdf accepted")
	}
	if err := SaveNegotiation(filepath.Join(dir, "space.png"), tiny(t), nil, 0, 1); err != nil {
		t.Error(err)
	}
}
