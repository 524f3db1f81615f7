package load

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"parley/analysis"
)

// readPareto reads an ANAC 2014 pareto.xml: one "u1, u2" line per point of
// the true Pareto frontier, as published with the domain.
func readPareto(t *testing.T, path string) [][2]float64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pts [][2]float64
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		parts := strings.Split(line, ",")
		if len(parts) != 2 {
			t.Fatalf("%s: bad line %q", path, line)
		}
		var p [2]float64
		for i, s := range parts {
			if p[i], err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
				t.Fatalf("%s: bad line %q", path, line)
			}
		}
		pts = append(pts, p)
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i][0] < pts[j][0] })
	return pts
}

// The published true Pareto frontiers of the non-linear 10-issue domains
// (pareto.xml, computed by the ANAC 2014 organisers with GENIUS) are an
// independent reference for the reading of hyper-rectangles (INCLUDES,
// EXCLUDES, maxutility): Parley's exact frontier must list the same points.
// Profiles whose utility exceeds 1 are skipped: GENIUS caps it at 1, and
// Parley's model does not. Slow (about a minute per domain): run with
// PARLEY_CORPUS_SLOW=1.
func TestParetoReference(t *testing.T) {
	root := corpus(t)
	if os.Getenv("PARLEY_CORPUS_SLOW") == "" {
		t.Skip("set PARLEY_CORPUS_SLOW=1 to compare frontiers with the published pareto.xml")
	}
	files, _ := filepath.Glob(filepath.Join(root, "genius", "*", "*", "pareto.xml"))
	more, _ := filepath.Glob(filepath.Join(root, "genius", "anac", "*", "*", "pareto.xml"))
	for _, f := range append(files, more...) {
		dir := filepath.Dir(f)
		rel, _ := filepath.Rel(root, dir)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			var warnings []string
			sc, err := Load(dir, Options{Warn: func(m string) { warnings = append(warnings, m) }})
			if err != nil {
				t.Fatal(err)
			}
			if len(sc.Issues) > 10 {
				t.Skipf("%d issues: beyond exact analysis", len(sc.Issues))
			}
			if len(warnings) > 0 {
				t.Skipf("utility exceeds 1 (GENIUS caps it): %q", warnings)
			}
			r, err := analysis.Analyze(sc, analysis.Options{IgnoreReservation: true})
			if err != nil {
				t.Fatal(err)
			}
			want := readPareto(t, f)
			var got [][2]float64
			for _, p := range r.Pareto {
				got = append(got, [2]float64{p.Utilities[0], p.Utilities[1]})
			}
			sort.Slice(got, func(i, j int) bool { return got[i][0] < got[j][0] })
			if len(got) != len(want) {
				t.Fatalf("%d frontier points, published %d:\n got %v\nwant %v", len(got), len(want), got, want)
			}
			for i := range got {
				if math.Abs(got[i][0]-want[i][0]) > 1e-6 || math.Abs(got[i][1]-want[i][1]) > 1e-6 {
					t.Errorf("point %d: %v, published %v", i, got[i], want[i])
				}
			}
		})
	}
}
