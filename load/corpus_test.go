package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley/analysis"
	"parley/space"
)

// wantOutcomes are outcome counts from the domain files (products of the
// issues' value counts, as published with the ANAC domains).
var wantOutcomes = map[string]int64{
	"genius/anac/y2010/ItexvsCypress":   180,
	"genius/anac/y2010/EnglandZimbabwe": 576,
	"genius/anac/y2011/Grocery":         1600,
	"genius/anac/y2011/Camera":          3600,
	"genius/anac/y2010/Travel":          188160,
	"genius/anac/y2011/Energy":          390625,
	"genius/anac/y2014/10issues":        10_000_000_000,
}

// wantFailures lists the corpus folders whose constructs lie outside
// Parley's model, with the error each must give. Every other folder must
// load. (Today every folder loads.)
var wantFailures = map[string]string{}

// maxAnalyze is the largest space the sweep analyses.
const maxAnalyze = 10_000_000

// The corpus sweep: every GENIUS and GeniusWeb scenario folder loads (and
// analyses when its space has at most maxAnalyze outcomes), unless listed in
// wantFailures; ANAC 2014's non-linear spaces of 10^10 outcomes and more
// load but analysis refuses them, naming the size.
func TestCorpus(t *testing.T) {
	root := corpus(t)
	var dirs []string
	for _, pattern := range []string{"genius/anac/*/*", "genius/other/*", "geniusweb/*/*"} {
		m, _ := filepath.Glob(filepath.Join(root, pattern))
		dirs = append(dirs, m...)
	}
	loaded, failed, analysed := 0, 0, 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		rel, _ := filepath.Rel(root, dir)
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			sc, err := Load(dir, Options{})
			if want, ok := wantFailures[rel]; ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("want an error containing %q, got %v", want, err)
				}
				failed++
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			loaded++
			sp, err := space.Of(sc)
			if err != nil {
				t.Fatal(err)
			}
			if want, ok := wantOutcomes[rel]; ok {
				if n, _ := sp.Len(); n != want {
					t.Errorf("%d outcomes, want %d", n, want)
				}
			}
			if strings.Contains(rel, "y2015") || strings.Contains(rel, "y2016") {
				if len(sc.Parties) < 3 {
					t.Errorf("multilateral domain with %d parties", len(sc.Parties))
				}
			}
			n, ok := sp.Len()
			switch {
			case ok && n <= maxAnalyze:
				if testing.Short() && n > 100_000 {
					t.Skipf("%d outcomes: analysis skipped in -short mode", n)
				}
				if _, err := analysis.Analyze(sc, analysis.Options{}); err != nil {
					t.Fatalf("analyze: %v", err)
				}
				analysed++
			case len(sc.Issues) <= 10:
				// ANAC 2014 with 10 issues: 10^10 outcomes. (30 and 50
				// issues: compiling the profiles' exact ranges takes about
				// a minute each before analysis refuses; not run here.)
				_, err := analysis.Analyze(sc, analysis.Options{})
				if err == nil || !strings.Contains(err.Error(), sp.BigLen().String()) {
					t.Errorf("analysis of %s outcomes: want a refusal naming the size, got %v", sp.BigLen(), err)
				}
			}
		})
	}
	t.Logf("corpus: %d scenario folders load, %d fail as listed, %d analysed", loaded, failed, analysed)
}
