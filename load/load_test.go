package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		paths []string
		want  Format
	}{
		{[]string{"testdata/roundtrip.yaml"}, Parley},
		{[]string{"testdata/parley.json"}, Parley},
		{[]string{"../genius/testdata/laptop"}, Genius},
		{[]string{"../genius/testdata/laptop/laptop_domain.xml", "../genius/testdata/laptop/laptop_buyer_utility.xml"}, Genius},
		{[]string{"../geniusweb/testdata/party"}, GeniusWeb},
		{[]string{"../geniusweb/testdata/party/party1.json"}, GeniusWeb},
	}
	for _, tc := range tests {
		got, err := DetectFiles(tc.paths)
		if err != nil || got != tc.want {
			t.Errorf("DetectFiles(%v) = %q, %v; want %q", tc.paths, got, err, tc.want)
		}
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		paths   []string
		opts    Options
		issues  int
		parties []string
	}{
		{"parley yaml", []string{"testdata/roundtrip.yaml"}, Options{}, 4, []string{"alice", "bob", "carol", "dave"}},
		{"parley json", []string{"testdata/parley.json"}, Options{}, 1, []string{"p"}},
		{"genius folder", []string{"../genius/testdata/itex"}, Options{}, 4, []string{"ItexvsCypress_Cypress", "ItexvsCypress_Itex"}},
		{"genius files, profiles first", []string{"../genius/testdata/laptop/laptop_seller_utility.xml", "../genius/testdata/laptop/laptop_domain.xml", "../genius/testdata/laptop/laptop_buyer_utility.xml"},
			Options{}, 3, []string{"laptop_buyer_utility", "laptop_seller_utility"}},
		{"genius forced", []string{"../genius/testdata/laptop"}, Options{Format: Genius, Raw: true}, 3, []string{"laptop_buyer_utility", "laptop_seller_utility"}},
		{"geniusweb folder", []string{"../geniusweb/testdata/party"}, Options{}, 6, []string{"party1", "party2"}},
		{"geniusweb one profile", []string{"../geniusweb/testdata/party/party2.json"}, Options{}, 6, []string{"party2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := LoadFiles(tc.paths, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range sc.Parties {
				names = append(names, p.Name)
			}
			if len(sc.Issues) != tc.issues || strings.Join(names, ",") != strings.Join(tc.parties, ",") {
				t.Errorf("%d issues, parties %v; want %d, %v", len(sc.Issues), names, tc.issues, tc.parties)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.xml")
	if err := os.WriteFile(bad, []byte("<negotiation_template><utility_space>"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		paths []string
		opts  Options
		want  string
	}{
		{"missing file", []string{filepath.Join(dir, "nope.yaml")}, Options{}, "no such file"},
		{"empty folder", []string{empty}, Options{}, "neither a GENIUS domain"},
		{"domain alone", []string{"../genius/testdata/laptop/laptop_domain.xml"}, Options{}, "needs at least one profile"},
		{"profile alone", []string{"../genius/testdata/laptop/laptop_buyer_utility.xml"}, Options{}, "no GENIUS domain file"},
		{"mixed formats", []string{"../genius/testdata/laptop/laptop_domain.xml", "../geniusweb/testdata/party/party1.json"}, Options{}, "give the files of one scenario"},
		{"malformed XML", []string{bad, "../genius/testdata/laptop/laptop_buyer_utility.xml"}, Options{}, "bad.xml"},
		{"forced wrong format", []string{"testdata/roundtrip.yaml"}, Options{Format: Genius}, "roundtrip.yaml"},
		{"parley folder", []string{"testdata"}, Options{Format: Parley}, "one file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFiles(tc.paths, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": Auto, "auto": Auto, "GENIUS": Genius, "geniusweb": GeniusWeb, "yaml": Parley, "parley": Parley} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("csv"); err == nil {
		t.Error("ParseFormat(csv): no error")
	}
}

// Warnings reach Options.Warn from both readers.
func TestWarn(t *testing.T) {
	var got []string
	if _, err := Load("../genius/testdata/laptop", Options{Warn: func(m string) { got = append(got, m) }}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("warnings %q, want one per Laptop profile (weights sum to 1.0000518)", got)
	}
}
