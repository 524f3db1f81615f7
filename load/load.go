// Package load reads a scenario in any format Parley knows, detecting the
// format from the content: a Parley scenario file (YAML or JSON), a GENIUS
// XML folder or files, or a GeniusWeb JSON folder or files. Every command
// that takes a scenario reads it through Load or LoadFiles.
//
// Warnings about constructs read with a caveat (weights that do not sum to
// 1, elements GENIUS ignores, …) go to Options.Warn; they never stop the
// load.
package load

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"parley"
	"parley/genius"
	"parley/geniusweb"
	"parley/scenario"
)

// Format is a scenario file format.
type Format string

// Formats. Auto detects the format from the content.
const (
	Auto      Format = ""
	Parley    Format = "parley"    // Parley YAML or JSON
	Genius    Format = "genius"    // GENIUS XML: a domain file and profiles
	GeniusWeb Format = "geniusweb" // GeniusWeb JSON: a domain file and profiles
)

// Formats lists the formats that can be forced, for help texts.
var Formats = []Format{Parley, Genius, GeniusWeb}

// ParseFormat parses a format name; "" and "auto" mean Auto.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "", "auto":
		return Auto, nil
	case Parley, Genius, GeniusWeb:
		return f, nil
	case "yaml", "json", "parley-yaml", "parley-json":
		return Parley, nil
	case "xml", "genius-xml":
		return Genius, nil
	case "geniusweb-json", "genius-web":
		return GeniusWeb, nil
	}
	return Auto, parley.Errorf(parley.EINVALID, "unknown format %q: want auto, parley, genius or geniusweb", s)
}

// Options tune how a scenario is read.
type Options struct {
	// Format forces a format; Auto detects it.
	Format Format
	// Raw keeps GENIUS discrete evaluations unnormalised (see
	// genius.Options.Raw).
	Raw bool
	// RealSteps is the number of grid points of GENIUS real issues; 0 means
	// scenario.DefaultSteps.
	RealSteps int
	// Warn, if not nil, receives every warning of the GENIUS and GeniusWeb
	// readers.
	Warn func(msg string)
}

func (o Options) genius() genius.Options {
	return genius.Options{Raw: o.Raw, RealSteps: o.RealSteps, Warn: o.Warn}
}

func (o Options) geniusweb() geniusweb.Options { return geniusweb.Options{Warn: o.Warn} }

// Load reads the scenario at path: a Parley file, a GENIUS or GeniusWeb
// folder, or a GeniusWeb profile file (which embeds its domain).
func Load(path string, opts Options) (*scenario.Scenario, error) {
	return LoadFiles([]string{path}, opts)
}

// LoadFiles reads one scenario from one or more paths: a single path as Load
// does, or the explicit files of a GENIUS or GeniusWeb scenario (a domain
// file and its profiles).
func LoadFiles(paths []string, opts Options) (*scenario.Scenario, error) {
	if len(paths) == 0 {
		return nil, parley.Errorf(parley.EINVALID, "no scenario path given")
	}
	f := opts.Format
	if f == Auto {
		var err error
		if f, err = DetectFiles(paths); err != nil {
			return nil, err
		}
	}
	dir := ""
	if len(paths) == 1 {
		if fi, err := os.Stat(paths[0]); err == nil && fi.IsDir() {
			dir = paths[0]
		}
	}
	switch f {
	case Parley:
		if len(paths) != 1 || dir != "" {
			return nil, parley.Errorf(parley.EINVALID, "a Parley scenario is one file, not %s", describe(paths))
		}
		return scenario.Load(paths[0])
	case Genius:
		if dir != "" {
			return genius.LoadDir(dir, opts.genius())
		}
		return genius.LoadFiles(paths, opts.genius())
	case GeniusWeb:
		if dir != "" {
			return geniusweb.LoadDir(dir, opts.geniusweb())
		}
		return geniusweb.LoadFiles(paths, opts.geniusweb())
	}
	return nil, parley.Errorf(parley.EINVALID, "unknown format %q", f)
}

func describe(paths []string) string {
	if len(paths) == 1 {
		return "the folder " + paths[0]
	}
	return fmt.Sprintf("%d paths", len(paths))
}

// Detect returns the format of the scenario at path (a file or a folder).
func Detect(path string) (Format, error) { return DetectFiles([]string{path}) }

// DetectFiles returns the format shared by the given paths. A folder is
// GENIUS when it holds a GENIUS domain file, GeniusWeb when it holds a
// GeniusWeb domain or profile. A file is GENIUS or GeniusWeb when its root
// element or top-level keys are theirs, and Parley otherwise.
func DetectFiles(paths []string) (Format, error) {
	var found Format
	for _, p := range paths {
		f, err := detectOne(p)
		if err != nil {
			return Auto, err
		}
		if found != Auto && f != found {
			return Auto, parley.Errorf(parley.EINVALID, "%s is %s but an earlier path is %s: give the files of one scenario", p, f, found)
		}
		found = f
	}
	if len(paths) > 1 && found == Parley {
		return Auto, parley.Errorf(parley.EINVALID, "%s: several Parley files given; a Parley scenario is one file", strings.Join(paths, ", "))
	}
	return found, nil
}

func detectOne(path string) (Format, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Auto, fmt.Errorf("read scenario: %w", err)
	}
	if !fi.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			return Auto, fmt.Errorf("read scenario: %w", err)
		}
		return sniff(data), nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return Auto, fmt.Errorf("read scenario folder: %w", err)
	}
	web := false
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if ext != ".xml" && ext != ".json" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(path, e.Name()))
		if err != nil {
			return Auto, fmt.Errorf("read scenario folder: %w", err)
		}
		switch {
		case ext == ".xml" && genius.Sniff(data) == genius.Domain:
			return Genius, nil
		case ext == ".json" && geniusweb.Sniff(data) != geniusweb.NotGeniusWeb:
			web = true
		}
	}
	if web {
		return GeniusWeb, nil
	}
	return Auto, parley.Errorf(parley.EINVALID, "%s: a folder holding neither a GENIUS domain (<negotiation_template> .xml) nor GeniusWeb files (.json with issuesValues or LinearAdditiveUtilitySpace)", path)
}

// sniff tells the format of one file from its content.
func sniff(data []byte) Format {
	b := bytes.TrimSpace(data)
	if len(b) > 0 && b[0] == '<' && genius.Sniff(data) != genius.NotGenius {
		return Genius
	}
	if len(b) > 0 && b[0] == '{' && geniusweb.Sniff(data) != geniusweb.NotGeniusWeb {
		return GeniusWeb
	}
	return Parley
}
