// Package geniusweb reads and writes negotiation scenarios in the JSON
// format of GeniusWeb, the environment of ANAC and ANL from 2020 on.
//
// A GeniusWeb scenario is a domain ({"name", "issuesValues"}) and one
// profile per party ({"LinearAdditiveUtilitySpace": {…}}, which embeds the
// domain). Reading maps discrete value sets to categorical issues and number
// ranges to integer issues (integer bounds and step 1) or real issues (a
// grid of the range's values); every profile becomes a participant named
// after its file, in the order of the sorted file names, with linear
// preferences. A reservation bid becomes the reservation value u(bid). The
// older key spellings discreteutils and numberutils are accepted.
//
// Writing produces a domain file and one profile per participant for
// scenarios whose preferences are linear additive. See docs/formats.md for
// every construct and what is lost each way.
package geniusweb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"parley"
	"parley/scenario"
	"parley/space"
	"parley/utility"
)

// Options tune how GeniusWeb files are read.
type Options struct {
	// Warn, if not nil, receives a message for every construct read with a
	// caveat: weights that do not sum to 1, values without a utility.
	Warn func(msg string)
}

func (o *Options) warn(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
}

// File is one file's name and contents.
type File struct {
	Name string
	Data []byte
}

// Kind is what a file holds, as far as GeniusWeb is concerned.
type Kind int

// Kinds of file.
const (
	NotGeniusWeb Kind = iota // not a GeniusWeb JSON file
	Domain                   // an object with issuesValues
	Profile                  // an object with one key naming a profile type
)

// Sniff reports what kind of GeniusWeb file data is, from its top-level keys.
func Sniff(data []byte) Kind {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return NotGeniusWeb
	}
	ms, err := object(data)
	if err != nil {
		return NotGeniusWeb
	}
	if v, _ := field(ms, "issuesValues"); v != nil {
		return Domain
	}
	if len(ms) == 1 {
		if ms[0].key == "LinearAdditiveUtilitySpace" {
			return Profile
		}
		for _, k := range otherProfiles {
			if ms[0].key == k {
				return Profile
			}
		}
	}
	return NotGeniusWeb
}

// LoadDir reads the GeniusWeb scenario in folder dir: its domain file and
// every profile beside it (.json files). Without a domain file the domain
// embedded in the profiles is used.
func LoadDir(dir string, opts Options) (*scenario.Scenario, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read GeniusWeb folder: %w", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".json") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, parley.Errorf(parley.EINVALID, "%s: no .json files: not a GeniusWeb scenario folder", dir)
	}
	sc, err := loadFiles(files, true, opts)
	if err != nil {
		return nil, err
	}
	sc.File = dir
	return sc, nil
}

// LoadFiles reads a GeniusWeb scenario from explicit files: at most one
// domain file and one or more profiles, in any order.
func LoadFiles(paths []string, opts Options) (*scenario.Scenario, error) {
	return loadFiles(paths, false, opts)
}

// loadFiles reads a domain and its profiles from paths. In a folder
// (inFolder), well-formed JSON files that are neither are skipped with a
// warning; given explicitly, they are an error.
func loadFiles(paths []string, inFolder bool, opts Options) (*scenario.Scenario, error) {
	var dom *File
	var profs []File
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read GeniusWeb file: %w", err)
		}
		switch Sniff(data) {
		case Domain:
			if dom != nil {
				return nil, parley.Errorf(parley.EINVALID, "two GeniusWeb domain files: %s and %s; give one", dom.Name, p)
			}
			dom = &File{Name: p, Data: data}
		case Profile:
			profs = append(profs, File{Name: p, Data: data})
		default:
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				return nil, parley.Errorf(parley.EINVALID, "%s: malformed JSON: %v", p, err)
			}
			if inFolder {
				opts.warn("%s skipped: neither a GeniusWeb domain nor a profile", p)
				continue
			}
			return nil, parley.Errorf(parley.EINVALID, "%s: not a GeniusWeb domain (issuesValues) or profile (LinearAdditiveUtilitySpace)", p)
		}
	}
	sc, err := Parse(dom, profs, opts)
	if err != nil {
		return nil, err
	}
	if len(paths) > 0 {
		sc.File = paths[0]
	}
	return sc, nil
}

// stem is a file's base name without its extension.
func stem(path string) string {
	b := filepath.Base(path)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// Parse builds a scenario from a GeniusWeb domain (nil to use the domain
// embedded in the profiles) and profiles. Parties are named after the
// profile files' base names without extension and ordered by file name. The
// scenario is named after the domain and validated.
func Parse(dom *File, profiles []File, opts Options) (*scenario.Scenario, error) {
	sc, err := parse(dom, profiles, &opts)
	if err != nil {
		return nil, invalid{err}
	}
	return sc, nil
}

// invalid marks an error in the input files (code parley.EINVALID) while
// keeping its cause.
type invalid struct{ err error }

func (e invalid) Error() string     { return e.err.Error() }
func (e invalid) Unwrap() error     { return e.err }
func (e invalid) ErrorCode() string { return parley.EINVALID }

func parse(dom *File, profiles []File, opts *Options) (*scenario.Scenario, error) {
	if len(profiles) == 0 {
		where := "no files"
		if dom != nil {
			where = dom.Name
		}
		return nil, fmt.Errorf("%s: a GeniusWeb domain needs at least one profile: give the scenario's folder, or the domain and its profile files", where)
	}
	profiles = append([]File(nil), profiles...)
	sort.SliceStable(profiles, func(i, j int) bool {
		return filepath.Base(profiles[i].Name) < filepath.Base(profiles[j].Name)
	})
	docs := make([]*profileDoc, len(profiles))
	for i, f := range profiles {
		p, err := parseProfileValue(bytes.TrimSpace(f.Data), f.Name)
		if err != nil {
			return nil, err
		}
		docs[i] = p
	}
	var d *domainDoc
	domFile := ""
	if dom != nil {
		var err error
		if d, err = parseDomainValue(bytes.TrimSpace(dom.Data), "domain"); err != nil {
			return nil, fmt.Errorf("%s: %w", dom.Name, err)
		}
		domFile = dom.Name
	} else {
		for i, p := range docs {
			if p.dom != nil {
				d, domFile = p.dom, profiles[i].Name+" (embedded domain)"
				break
			}
		}
		if d == nil {
			return nil, fmt.Errorf("%s: no domain file and no domain embedded in the profiles", profiles[0].Name)
		}
	}
	for i, p := range docs {
		if p.dom != nil {
			if err := sameDomain(d, p.dom); err != nil {
				return nil, fmt.Errorf("%s: the embedded domain differs from %s: %w", profiles[i].Name, domFile, err)
			}
		}
	}
	sc := &scenario.Scenario{Name: d.name, Description: "Imported from GeniusWeb JSON."}
	if sc.Name == "" {
		sc.Name = stem(domFile)
	}
	for _, di := range d.issues {
		sc.Issues = append(sc.Issues, issueOf(di))
	}
	seen := map[string]string{}
	for i, p := range docs {
		file := profiles[i].Name
		party := scenario.Party{Name: stem(file), Role: scenario.Participant}
		if other, dup := seen[party.Name]; dup {
			return nil, fmt.Errorf("%s: party name %q also taken by %s", file, party.Name, other)
		}
		seen[party.Name] = file
		lin, err := linear(sc, d, p, file, opts)
		if err != nil {
			return nil, err
		}
		party.Preferences = &scenario.Preferences{Linear: lin}
		sc.Parties = append(sc.Parties, party)
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("%s: the imported scenario is invalid: %w", domFile, err)
	}
	for i, p := range docs {
		if p.resBid == nil {
			continue
		}
		o, err := space.Parse(sc, p.resBid)
		if err != nil {
			return nil, fmt.Errorf("%s: reservationBid: %w", profiles[i].Name, err)
		}
		prof, err := utility.Compile(sc, i)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", profiles[i].Name, err)
		}
		r := prof.Func.Utility(o)
		sc.Parties[i].Reservation = &r
	}
	return sc, nil
}

// issueOf maps a GeniusWeb issue: a discrete value set to a categorical
// issue; a range with integer low, high and step 1 to an integer issue;
// any other range to a real issue on the grid low, low+step, …
func issueOf(di domainIssue) scenario.Issue {
	is := scenario.Issue{Name: di.name}
	if !di.isRange {
		is.Type, is.Values = scenario.Categorical, di.values
		return is
	}
	whole := func(x float64) bool { return x == math.Trunc(x) }
	n := rangeCount(di.low, di.high, di.step)
	if whole(di.low) && whole(di.high) && di.step == 1 {
		is.Type, is.Min, is.Max = scenario.Integer, ptr(di.low), ptr(di.high)
		return is
	}
	hi := di.low + float64(n-1)*di.step
	if math.Abs(hi-di.high) <= 1e-9*math.Max(1, math.Abs(di.high)) {
		hi = di.high
	}
	is.Type, is.Min, is.Max = scenario.Real, ptr(di.low), ptr(hi)
	if n >= 2 {
		is.Steps = n
	} else {
		is.Max = ptr(di.low)
	}
	return is
}

func ptr(x float64) *float64 { return &x }

// sameDomain reports how two domains differ in their issues and values.
func sameDomain(a, b *domainDoc) error {
	if len(a.issues) != len(b.issues) {
		return fmt.Errorf("%d issues against %d", len(b.issues), len(a.issues))
	}
	for i := range a.issues {
		x, y := a.issues[i], b.issues[i]
		if x.name != y.name {
			return fmt.Errorf("issue %d is %q, not %q", i+1, y.name, x.name)
		}
		if x.isRange != y.isRange || x.low != y.low || x.high != y.high || x.step != y.step || strings.Join(x.values, "\x00") != strings.Join(y.values, "\x00") {
			return fmt.Errorf("issue %q has other values", x.name)
		}
	}
	return nil
}

func linear(sc *scenario.Scenario, d *domainDoc, p *profileDoc, file string, opts *Options) (*scenario.Linear, error) {
	const at = "LinearAdditiveUtilitySpace"
	lin := &scenario.Linear{Issues: map[string]scenario.LinearIssue{}}
	for _, name := range p.utilOrder {
		if sc.IssueIndex(name) < 0 {
			return nil, fmt.Errorf("%s: %s.issueUtilities.%s: the domain has no issue %q", file, at, name, name)
		}
	}
	for _, name := range p.weightOrd {
		if sc.IssueIndex(name) < 0 {
			return nil, fmt.Errorf("%s: %s.issueWeights.%s: the domain has no issue %q", file, at, name, name)
		}
	}
	sum := 0.0
	for k, di := range d.issues {
		is := &sc.Issues[k]
		w, ok := p.weights[di.name]
		if !ok {
			return nil, fmt.Errorf("%s: %s.issueWeights: no weight for issue %q", file, at, di.name)
		}
		sum += w
		u, ok := p.utils[di.name]
		if !ok {
			return nil, fmt.Errorf("%s: %s.issueUtilities: no utilities for issue %q", file, at, di.name)
		}
		li := scenario.LinearIssue{Weight: w}
		where := fmt.Sprintf("%s: %s.issueUtilities.%s", file, at, di.name)
		if is.Type == scenario.Categorical {
			if u.number {
				return nil, fmt.Errorf("%s: number utilities for a discrete issue", where)
			}
			for v := range u.discrete {
				if _, ok := is.Index(v); !ok {
					return nil, fmt.Errorf("%s: value %q is not in the domain's issue", where, v)
				}
			}
			li.Values = map[string]float64{}
			for _, v := range is.Values {
				x, ok := u.discrete[v]
				if !ok {
					opts.warn("%s: no utility for value %q; GeniusWeb counts it 0", where, v)
				}
				li.Values[v] = x
			}
		} else {
			if !u.number {
				return nil, fmt.Errorf("%s: discrete utilities for a number issue", where)
			}
			lo, hi := *is.Min, *is.Max
			tol := 1e-9 * math.Max(1, math.Abs(hi))
			if lo < u.lowValue-tol || hi > u.highValue+tol {
				return nil, fmt.Errorf("%s: utilities cover [%v, %v] but the issue's values span [%v, %v]", where, u.lowValue, u.highValue, lo, hi)
			}
			li.Function = &scenario.ValueFunction{Shape: scenario.ShapePiecewise,
				Points: [][2]float64{{u.lowValue, u.lowUtility}, {u.highValue, u.highUtility}}}
			if u.lowValue == lo && u.highValue == hi {
				li.Function = &scenario.ValueFunction{Shape: scenario.ShapeLinear, AtMin: ptr(u.lowUtility), AtMax: ptr(u.highUtility)}
			}
		}
		lin.Issues[di.name] = li
	}
	if math.Abs(sum-1) > 1e-9 {
		opts.warn("%s: weights sum to %v, not 1; kept as given", file, sum)
	}
	return lin, nil
}
