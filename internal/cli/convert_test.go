package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley/load"
	"parley/space"
	"parley/utility"
)

// convert chains through every output format and back; each step must keep
// every participant's utility of every outcome identical.
func TestConvertChain(t *testing.T) {
	dir := t.TempDir()
	src := "../../genius/testdata/itex"
	steps := []struct {
		args []string
		out  string
	}{
		{[]string{"convert", src, "-o", filepath.Join(dir, "a.yaml")}, filepath.Join(dir, "a.yaml")},
		{[]string{"convert", filepath.Join(dir, "a.yaml"), "-o", filepath.Join(dir, "b"), "--to", "geniusweb"}, filepath.Join(dir, "b")},
		{[]string{"convert", filepath.Join(dir, "b"), "-o", filepath.Join(dir, "c"), "--to", "genius"}, filepath.Join(dir, "c")},
		{[]string{"convert", filepath.Join(dir, "c"), "-o", filepath.Join(dir, "d.json")}, filepath.Join(dir, "d.json")},
	}
	orig, err := load.Load(src, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := space.Of(orig)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if _, stderr, code := run(t, st.args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", st.args, code, stderr)
		}
		sc, err := load.Load(st.out, load.Options{})
		if err != nil {
			t.Fatalf("%s: %v", st.out, err)
		}
		for pi := range orig.Parties {
			a, err := utility.Compile(orig, pi)
			if err != nil {
				t.Fatal(err)
			}
			b, err := utility.Compile(sc, pi)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Parties[pi].Name != orig.Parties[pi].Name {
				t.Fatalf("%s: party %d is %q, want %q", st.out, pi, sc.Parties[pi].Name, orig.Parties[pi].Name)
			}
			for it := sp.Iter(); it.Next(); {
				if ua, ub := a.Func.Utility(it.Outcome()), b.Func.Utility(it.Outcome()); ua != ub {
					t.Fatalf("%s: %s outcome %d: u = %v, want %v", st.out, sc.Parties[pi].Name, it.Index(), ub, ua)
				}
			}
		}
	}
}

func TestConvertErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"convert", "../../genius/testdata/itex"}, ExitBadInput, "-o OUT"},
		{[]string{"convert", "../../genius/testdata/itex", "-o", filepath.Join(dir, "x")}, ExitBadInput, "--to"},
		{[]string{"convert", "../../genius/testdata/itex", "-o", filepath.Join(dir, "x"), "--to", "csv"}, ExitBadInput, "unknown --to"},
		{[]string{"convert", "../../genius/testdata/itex", "-o", "-", "--to", "parley-yaml", "--format", "nope"}, ExitBadInput, "unknown format"},
		{[]string{"convert", filepath.Join(dir, "missing"), "-o", "-", "--to", "parley-yaml"}, ExitBadInput, "missing"},
	}
	for _, tc := range tests {
		_, stderr, code := run(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("a failed convert wrote its output")
	}
}

func TestConvertWarnings(t *testing.T) {
	_, stderr, code := run(t, "convert", "../../genius/testdata/laptop", "-o", filepath.Join(t.TempDir(), "w"), "--to", "geniusweb")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"weights sum to 1.0000518", "discount factor 0.42441038 lost"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
