package analysis

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"parley/load"
	"parley/space"
	"parley/utility"
)

// corpusDir returns the folder of a corpus scenario, or skips the test when
// the corpus is absent.
func corpusDir(t *testing.T, rel string) string {
	t.Helper()
	root := os.Getenv("PARLEY_CORPUS")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "domains")
	}
	dir := filepath.Join(root, rel)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus scenario %s not found (set PARLEY_CORPUS): %v", dir, err)
	}
	return dir
}

// TestEnergyFrontier: on ANAC 2011 Energy (390,625 outcomes) the exact
// frontier has 204 distinct utility vectors standing for 205 outcomes
// (a plain float64 sweep reports 210). Both methods must find it.
func TestEnergyFrontier(t *testing.T) {
	sc, err := load.Load(corpusDir(t, "genius/anac/y2011/Energy"), load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []Method{Merge, Enumerate} {
		r, err := Analyze(sc, Options{Method: m})
		if err != nil {
			t.Fatal(err)
		}
		outcomes := int64(0)
		for _, p := range r.Pareto {
			outcomes += p.Count.Int64()
		}
		if len(r.Pareto) != 204 || outcomes != 205 {
			t.Errorf("%s: %d frontier points for %d outcomes, want 204 for 205", m, len(r.Pareto), outcomes)
		}
	}
}

// TestBarterC: a float engine keeps (0.324, 0.9000000000000001) on the
// ANAC 2012 BarterC frontier beside (0.394, 0.9), which dominates it. The
// test first shows the float artefact exists in this domain, then that the
// exact frontier equals the brute force in exact rationals and lacks it.
func TestBarterC(t *testing.T) {
	sc, err := load.Load(corpusDir(t, "genius/anac/y2012/BarterC"), load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := utility.Participants(sc)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := space.Of(sc)
	artefact := false
	for it := sp.Iter(); it.Next(); {
		u1, u2 := profiles[0].Func.Utility(it.Outcome()), profiles[1].Func.Utility(it.Outcome())
		if math.Abs(u1-0.324) < 1e-9 && u2 > 0.9 && u2 < 0.9+1e-9 {
			artefact = true
		}
	}
	if !artefact {
		t.Fatal("no outcome evaluates to (0.324, 0.9000000000000001) in float64; the case no longer tests anything")
	}
	r, err := Analyze(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Pareto {
		if math.Abs(p.Utilities[0]-0.324) < 1e-9 {
			t.Errorf("frontier keeps the dominated point %v", p.Exact)
		}
	}
	checkAgainstBrute(t, sc, Options{})
}

// readPareto reads a GENIUS pareto.xml: one "u1, u2" line per frontier
// point (float32 precision).
func readPareto(t *testing.T, file string) [][2]float64 {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var pts [][2]float64
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		a, b, ok := strings.Cut(line, ",")
		if !ok {
			t.Fatalf("%s: bad line %q", file, line)
		}
		x, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
		y, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: bad line %q", file, line)
		}
		pts = append(pts, [2]float64{x, y})
	}
	return pts
}

// TestParetoFiles checks the exact frontier of non-linear (constraint)
// domains of 10^10 outcomes against the pareto.xml files shipped with them.
func TestParetoFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds per domain")
	}
	for _, rel := range []string{"genius/anac/y2014/10issues", "genius/other/S-1NIKFRT-1"} {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			dir := corpusDir(t, rel)
			want := readPareto(t, filepath.Join(dir, "pareto.xml"))
			sc, err := load.Load(dir, load.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := Analyze(sc, Options{IgnoreReservation: true})
			if err != nil {
				t.Fatal(err)
			}
			got := make([][2]float64, len(r.Pareto))
			for i, p := range r.Pareto {
				got[i] = [2]float64{p.Utilities[0], p.Utilities[1]}
			}
			sort.Slice(got, func(i, j int) bool { return got[i][0] < got[j][0] })
			sort.Slice(want, func(i, j int) bool { return want[i][0] < want[j][0] })
			if len(got) != len(want) {
				t.Fatalf("%d frontier points, pareto.xml has %d:\n%v\n%v", len(got), len(want), got, want)
			}
			for i := range want {
				// pareto.xml is written in float32: 7 significant digits.
				if math.Abs(got[i][0]-want[i][0]) > 1e-6 || math.Abs(got[i][1]-want[i][1]) > 1e-6 {
					t.Errorf("point %d: %v, pareto.xml %v", i, got[i], want[i])
				}
			}
		})
	}
}

// BenchmarkCorpus measures whole analyses of corpus domains.
func BenchmarkCorpus(b *testing.B) {
	for _, c := range []struct {
		rel    string
		method Method
	}{
		{"genius/anac/y2011/Energy", Merge},
		{"genius/anac/y2011/Energy", Enumerate},
		{"genius/anac/y2010/Travel", Merge},
		{"genius/anac/y2012/BarterC", Enumerate},
	} {
		b.Run(filepath.Base(c.rel)+"/"+string(c.method), func(b *testing.B) {
			root := os.Getenv("PARLEY_CORPUS")
			if root == "" {
				root = filepath.Join("..", "..", "shared", "domains")
			}
			sc, err := load.Load(filepath.Join(root, c.rel), load.Options{})
			if err != nil {
				b.Skip(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Analyze(sc, Options{Method: c.method}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
