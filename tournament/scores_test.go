package tournament

import (
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// runTo runs cfg into a fresh folder and returns it.
func runTo(t *testing.T, cfg *Config, opts Options) string {
	t.Helper()
	plan, err := NewPlan(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if _, err := Run(context.Background(), plan, opts); err != nil {
		t.Fatal(err)
	}
	return opts.Dir
}

func tinyConfig(comps ...string) *Config {
	c := Defaults()
	for _, n := range comps {
		c.Competitors = append(c.Competitors, Competitor{Name: n, Strategy: n})
	}
	c.Scenarios = []ScenarioSpec{{Path: "testdata/tiny.yaml"}}
	return &c
}

// TestScoresHandComputed checks a three-competitor tournament on the tiny
// scenario (A: x 1, y 0.5, z 0, reservation 0.2; B: x 0, y 0.5, z 1),
// worked by hand:
//
//	accepter offers its best and accepts anything; stubborn offers its best
//	and rejects everything; panicker panics. Six negotiations (A, B):
//	(accepter, stubborn)  A offers x, B rejects and offers z, A accepts z: u (0, 1)
//	(accepter, panicker)  B panics responding: failed, u = d = (0.2, 0)
//	(stubborn, accepter)  A offers x, B accepts: u (1, 0)
//	(stubborn, panicker)  failed, u (0.2, 0)
//	(panicker, accepter)  A panics proposing: failed, u (0.2, 0)
//	(panicker, stubborn)  failed, u (0.2, 0)
//
// Advantage (u − d)/(1 − d) with d_A = 0.2, d_B = 0: z gives A −0.25.
// The only Nash point is y (0.5, 0.5); the frontier is {x, y}.
func TestScoresHandComputed(t *testing.T) {
	dir := runTo(t, tinyConfig("accepter", "stubborn", "panicker"), Options{Workers: 2})
	sc, err := WriteScores(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	r2 := math.Sqrt(0.5)                                  // distance from z or x to y
	d := math.Sqrt(0.3*0.3 + 0.5*0.5)                     // from (0.2, 0) to y
	tq := 3.182446305284263                               // Student's t, 0.975 quantile, 3 degrees of freedom (tables)
	ci := func(sd float64) float64 { return tq * sd / 2 } // n = 4
	want := map[string]struct {
		rank, fails                            int
		adv, util, welfare, agree, nash, paret float64
		advCI                                  float64
	}{
		// advantages 1, 1, 0, 0: sd = sqrt(1/3)
		"stubborn": {1, 0, 0.5, (1 + 1 + 0.2 + 0) / 4, 0.6, 0.5, (r2 + r2 + d + d) / 4, (r2 + 0 + d + d) / 4, ci(math.Sqrt(1.0 / 3))},
		// all zero
		"panicker": {2, 4, 0, (0 + 0 + 0.2 + 0.2) / 4, 0.2, 0, d, d, 0},
		// advantages −0.25, 0, 0, 0: mean −1/16, sd = sqrt((3·(1/16)² + (3/16)²)/3) = sqrt(1/64)
		"accepter": {3, 0, -0.0625, (0 + 0.2 + 0 + 0) / 4, 0.6, 0.5, (r2 + d + r2 + d) / 4, (r2 + d + 0 + d) / 4, ci(0.125)},
	}
	if len(sc.Overall) != 3 || sc.Negotiations != 6 {
		t.Fatalf("got %d competitors, %d negotiations; want 3, 6", len(sc.Overall), sc.Negotiations)
	}
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %.12g, want %.12g", what, got, want)
		}
	}
	for _, c := range sc.Overall {
		w, ok := want[c.Competitor]
		if !ok {
			t.Fatalf("unexpected competitor %q", c.Competitor)
		}
		if c.Rank != w.rank || int(c.Failures) != w.fails || c.Negotiations != 4 {
			t.Errorf("%s: rank %d failures %d roles %d; want %d %d 4", c.Competitor, c.Rank, c.Failures, c.Negotiations, w.rank, w.fails)
		}
		near(c.Competitor+" advantage", c.Scores[ScoreAdvantage].Mean, w.adv)
		near(c.Competitor+" utility", c.Scores[ScoreUtility].Mean, w.util)
		near(c.Competitor+" welfare", c.Scores[ScoreWelfare].Mean, w.welfare)
		near(c.Competitor+" agreement", c.Scores[ScoreAgreement].Mean, w.agree)
		near(c.Competitor+" nash", c.Scores[ScoreNash].Mean, w.nash)
		near(c.Competitor+" pareto", c.Scores[ScorePareto].Mean, w.paret)
		if math.Abs(c.Scores[ScoreAdvantage].CI-w.advCI) > 1e-6 {
			t.Errorf("%s advantage CI = %g, want %g", c.Competitor, c.Scores[ScoreAdvantage].CI, w.advCI)
		}
	}
	if len(sc.Scenarios) != 1 || sc.Scenarios[0].Agreements != 2 || sc.Scenarios[0].Negotiations != 6 {
		t.Errorf("scenario breakdown %+v; want 2 agreements of 6", sc.Scenarios)
	}
	// The panics are recorded, blamed and the tournament went on.
	data, err := os.ReadFile(filepath.Join(dir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), ",failed,"); n != 4 {
		t.Errorf("%d failed rows, want 4:\n%s", n, data)
	}
	if strings.Count(string(data), `,panicker,"party ""`) != 4 || strings.Count(string(data), "panic: panicker") != 4 {
		t.Errorf("panics not blamed on panicker:\n%s", data)
	}
	for _, f := range []string{ScoresCSV, ScoresJSON, SummaryFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestSlowCompetitors: competitors overrunning the call limit (sleeper
// takes 30 ms, hanger never returns) are recorded as failed and blamed; the
// other negotiations go on.
func TestSlowCompetitors(t *testing.T) {
	newRelease(t)
	cfg := tinyConfig("accepter", "sleeper", "hanger")
	cfg.CallLimit = 100 * time.Millisecond
	recs := readAll(t, runTo(t, cfg, Options{Workers: 2}))
	if len(recs) != 6 {
		t.Fatalf("%d rows, want 6", len(recs))
	}
	for _, rec := range recs {
		// The first of the slow ones to act overruns.
		blame := rec.Competitors[0]
		if blame == "accepter" {
			blame = rec.Competitors[1]
		}
		if rec.Status != StatusFailed || rec.Blame != blame {
			t.Errorf("%s: %s blamed %q (%s); want failed, %s", rec.Key, rec.Status, rec.Blame, rec.Error, blame)
		}
	}
}

// TestTimeout: a negotiation overrunning the tournament's timeout is
// abandoned, recorded as failed and blamed on the competitor whose call was
// running; the others go on.
func TestTimeout(t *testing.T) {
	newRelease(t)
	cfg := tinyConfig("accepter", "stubborn", "hanger")
	cfg.Timeout = 500 * time.Millisecond
	recs := readAll(t, runTo(t, cfg, Options{Workers: 2}))
	if len(recs) != 6 {
		t.Fatalf("%d rows, want 6", len(recs))
	}
	for _, rec := range recs {
		hung := slices.Contains(rec.Competitors, "hanger")
		switch {
		case hung && (rec.Status != StatusFailed || rec.Blame != "hanger" || !strings.Contains(rec.Error, "500ms timeout")):
			t.Errorf("%s: %s blamed %q (%s); want failed, hanger, timeout", rec.Key, rec.Status, rec.Blame, rec.Error)
		case !hung && rec.Status != StatusAgreement:
			t.Errorf("%s: %s, want agreement", rec.Key, rec.Status)
		}
	}
}

// readAll reads every record of a results folder.
func readAll(t *testing.T, dir string) []Record {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f, ResultsFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []Record
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
}
