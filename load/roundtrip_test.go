package load

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"parley/genius"
	"parley/geniusweb"
	"parley/scenario"
	"parley/space"
	"parley/utility"
)

// writer exports a scenario into a folder.
type writer func(sc *scenario.Scenario, dir string, warn func(string)) error

// compareUtilities checks that every participant of b (matched to a by
// name) has the same utility as in a for every outcome. The outcome spaces
// must agree value by value in index order. With exact, utilities must be
// equal bit for bit; else within tol.
func compareUtilities(t *testing.T, a, b *scenario.Scenario, exact map[string]bool, tol float64) {
	t.Helper()
	spA, err := space.Of(a)
	if err != nil {
		t.Fatal(err)
	}
	spB, err := space.Of(b)
	if err != nil {
		t.Fatal(err)
	}
	nA, _ := spA.Len()
	nB, _ := spB.Len()
	if nA != nB || len(a.Issues) != len(b.Issues) {
		t.Fatalf("%d outcomes over %d issues, then %d over %d", nA, len(a.Issues), nB, len(b.Issues))
	}
	for i := range a.Issues {
		x, y := &a.Issues[i], &b.Issues[i]
		if x.Name != y.Name || x.Cardinality() != y.Cardinality() {
			t.Fatalf("issue %d: %q with %d values, then %q with %d", i, x.Name, x.Cardinality(), y.Name, y.Cardinality())
		}
		for k := 0; k < x.Cardinality(); k++ {
			if x.Label(k) != y.Label(k) {
				t.Fatalf("issue %q value %d: %q, then %q", x.Name, k, x.Label(k), y.Label(k))
			}
		}
	}
	for pb := range b.Parties {
		name := b.Parties[pb].Name
		pa := -1
		for i := range a.Parties {
			if a.Parties[i].Name == name {
				pa = i
			}
		}
		if pa < 0 {
			t.Fatalf("party %q appeared", name)
		}
		fa, err := utility.Compile(a, pa)
		if err != nil {
			t.Fatal(err)
		}
		fb, err := utility.Compile(b, pb)
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for it := spA.Iter(); it.Next(); {
			ua, ub := fa.Func.Utility(it.Outcome()), fb.Func.Utility(it.Outcome())
			if (exact[name] && ua != ub) || math.Abs(ua-ub) > tol {
				if bad++; bad <= 3 {
					t.Errorf("%s, outcome %v: u = %v, then %v", name, space.Labels(a, it.Outcome()), ua, ub)
				}
			}
		}
	}
}

func roundTrip(t *testing.T, sc *scenario.Scenario, w writer) *scenario.Scenario {
	t.Helper()
	dir := t.TempDir()
	if err := w(sc, dir, func(m string) { t.Log("export:", m) }); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir, Options{Warn: func(m string) { t.Log("import:", m) }})
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func TestRoundTripGeniusWeb(t *testing.T) {
	sc, err := Load("testdata/roundtrip.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	back := roundTrip(t, sc, geniusweb.WriteDir)
	if len(back.Parties) != 3 {
		t.Fatalf("%d parties read back, want the 3 participants", len(back.Parties))
	}
	// Weights and utilities are written as given (value utilities divided
	// by their scale, as utility.Compile divides): identical utilities.
	compareUtilities(t, sc, back, map[string]bool{"alice": true, "bob": true, "dave": true}, 0)
	// The reservation bid keeps exactly the same outcomes acceptable.
	for _, name := range []string{"alice", "bob"} {
		r0, r1 := *sc.Party(name).Reservation, *back.Party(name).Reservation
		pa, pb := partyIndex(sc, name), partyIndex(back, name)
		fa, _ := utility.Compile(sc, pa)
		fb, _ := utility.Compile(back, pb)
		sp, _ := space.Of(sc)
		for it := sp.Iter(); it.Next(); {
			if (fa.Func.Utility(it.Outcome()) >= r0) != (fb.Func.Utility(it.Outcome()) >= r1) {
				t.Fatalf("%s: outcome %v acceptable before (r=%v) but not after (r=%v), or the reverse", name, it.Outcome(), r0, r1)
			}
		}
	}
}

func TestRoundTripGenius(t *testing.T) {
	sc, err := Load("testdata/roundtrip.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	back := roundTrip(t, sc, genius.WriteDir)
	if len(back.Parties) != 3 {
		t.Fatalf("%d parties read back, want the 3 participants", len(back.Parties))
	}
	// alice's largest value utility is 1 on every issue, so GENIUS's
	// normalisation divides by 1: identical. dave's color values carry
	// their largest as scale, which is GENIUS's normalisation: identical.
	// bob's color and rate peak below 1: evaluations are written divided
	// by the peak and the weight multiplied by it, equal up to rounding.
	compareUtilities(t, sc, back, map[string]bool{"alice": true, "dave": true}, 1e-12)
	if li := back.Party("dave").Preferences.Linear.Issues["color"]; li.Scale == nil || *li.Scale != 12 || li.Values["blue"] != 12 {
		t.Errorf("dave's color read back as %+v, want the evaluations with scale 12", li)
	}
	for _, name := range []string{"alice", "bob"} {
		a, b := sc.Party(name), back.Party(name)
		if *a.Reservation != *b.Reservation {
			t.Errorf("%s: reservation %v, then %v", name, *a.Reservation, *b.Reservation)
		}
		if (a.Discount == nil) != (b.Discount == nil) || (a.Discount != nil && *a.Discount != *b.Discount) {
			t.Errorf("%s: discount %v, then %v", name, a.Discount, b.Discount)
		}
	}
	// The integer issue with linear functions stays integer.
	if back.Issues[1].Type != scenario.Integer {
		t.Errorf("size read back as %s", back.Issues[1].Type)
	}
}

func partyIndex(sc *scenario.Scenario, name string) int {
	for i := range sc.Parties {
		if sc.Parties[i].Name == name {
			return i
		}
	}
	return -1
}

// Every linear scenario of the corpus small enough to enumerate survives
// GENIUS → Parley → GeniusWeb → Parley and GENIUS → Parley → GENIUS → Parley
// with identical utilities for every outcome.
func TestRoundTripCorpus(t *testing.T) {
	root := corpus(t)
	dirs, _ := filepath.Glob(filepath.Join(root, "genius", "anac", "*", "*"))
	n := 0
	for _, dir := range dirs {
		if testing.Short() && n >= 5 {
			break
		}
		sc, err := Load(dir, Options{})
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		sp, _ := space.Of(sc)
		if size, ok := sp.Len(); !ok || size > 200_000 || sc.Parties[0].Preferences.Linear == nil {
			continue
		}
		n++
		all := map[string]bool{}
		for _, p := range sc.Parties {
			all[p.Name] = true
		}
		t.Run(filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), func(t *testing.T) {
			compareUtilities(t, sc, roundTrip(t, sc, geniusweb.WriteDir), all, 0)
			compareUtilities(t, sc, roundTrip(t, sc, genius.WriteDir), all, 0)
		})
	}
	t.Logf("%d corpus scenarios round-tripped", n)
}

// corpus returns the folder of the shared domains, or skips the test.
func corpus(t *testing.T) string {
	t.Helper()
	root := os.Getenv("PARLEY_CORPUS")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "domains")
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		t.Skipf("corpus of GENIUS and GeniusWeb domains not found at %s (set PARLEY_CORPUS)", root)
	}
	return root
}
