// Package genius reads and writes negotiation scenarios in the XML format of
// GENIUS, the negotiation environment of the ANAC competitions 2010–2019.
//
// A GENIUS scenario is a domain file (root <negotiation_template>) and one
// utility space file (root <utility_space>) per party. Reading maps it into
// Parley's model: discrete issues become categorical, integer issues
// integer and real issues real (on a grid of Options.RealSteps points);
// every profile becomes a participant named after its file, in the order of
// the sorted file names. Linear additive profiles become linear preferences
// with the utilities GENIUS computes: a discrete value's utility is its
// evaluation divided by the largest evaluation of its issue (or the raw
// evaluation, with Options.Raw), integer and real evaluators are lines
// clamped to [0, 1]. The non-linear profiles of ANAC 2014 become constraints
// preferences. <discount_factor> becomes the party's discount (when in
// (0, 1)) and <reservation> its reservation value.
//
// Writing produces a domain file and one profile per participant for
// scenarios whose preferences are linear additive. See docs/formats.md for
// every construct and what is lost each way.
package genius

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"parley"
	"parley/scenario"
)

// Options tune how GENIUS files are read.
type Options struct {
	// Raw keeps discrete evaluations as written instead of dividing them by
	// the largest evaluation of their issue, as NegMAS does. Utilities are
	// then not confined to [0, 1].
	Raw bool
	// RealSteps is the number of grid points given to real issues; 0 means
	// scenario.DefaultSteps. A steps attribute on the issue (written by
	// Parley) takes precedence.
	RealSteps int
	// Warn, if not nil, receives a message for every construct read with a
	// caveat: weights that do not sum to 1, elements GENIUS ignores, issue
	// indices that differ between files, utilities above 1.
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

// Kind is what a file holds, as far as GENIUS is concerned.
type Kind int

// Kinds of file.
const (
	NotGenius Kind = iota // not a GENIUS XML file
	Domain                // root <negotiation_template>
	Profile               // root <utility_space>
)

// Sniff reports what kind of GENIUS file data is, from its root element.
func Sniff(data []byte) Kind {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = func(string, io.Reader) (io.Reader, error) { return nil, errors.New("charset") }
	for {
		tok, err := d.Token()
		if err != nil {
			return NotGenius
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "negotiation_template":
				return Domain
			case "utility_space":
				return Profile
			}
			return NotGenius
		}
	}
}

// isPareto reports whether a file name is an ANAC 2014 Pareto frontier
// listing, which is neither a domain nor a profile.
func isPareto(name string) bool {
	return strings.HasSuffix(strings.ToLower(filepath.Base(name)), "pareto.xml")
}

// LoadDir reads the GENIUS scenario in folder dir: its one domain file and
// every profile beside it (files ending in pareto.xml are skipped). The
// scenario is named after the folder.
func LoadDir(dir string, opts Options) (*scenario.Scenario, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read GENIUS folder: %w", err)
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() || !strings.EqualFold(filepath.Ext(e.Name()), ".xml") || isPareto(e.Name()) {
			continue
		}
		files = append(files, filepath.Join(dir, e.Name()))
	}
	if len(files) == 0 {
		return nil, parley.Errorf(parley.EINVALID, "%s: no .xml files: not a GENIUS scenario folder", dir)
	}
	sc, err := loadFiles(files, filepath.Base(filepath.Clean(dir)), true, opts)
	if err != nil {
		return nil, err
	}
	sc.File = dir
	return sc, nil
}

// LoadFiles reads a GENIUS scenario from explicit files: one domain file and
// one or more profiles, in any order. The scenario is named after the
// domain file.
func LoadFiles(paths []string, opts Options) (*scenario.Scenario, error) {
	sc, err := loadFiles(paths, "", false, opts)
	if err != nil {
		return nil, err
	}
	if len(paths) > 0 {
		sc.File = paths[0]
	}
	return sc, nil
}

// loadFiles reads a domain and its profiles from paths. In a folder
// (inFolder), well-formed XML files that are neither are skipped with a
// warning; given explicitly, they are an error.
func loadFiles(paths []string, name string, inFolder bool, opts Options) (*scenario.Scenario, error) {
	var dom *File
	var profs []File
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read GENIUS file: %w", err)
		}
		switch Sniff(data) {
		case Domain:
			if dom != nil {
				return nil, parley.Errorf(parley.EINVALID, "two GENIUS domain files: %s and %s; give one", dom.Name, p)
			}
			dom = &File{Name: p, Data: data}
		case Profile:
			profs = append(profs, File{Name: p, Data: data})
		default:
			root, err := parseXML(data, p)
			if err != nil {
				return nil, invalid{err}
			}
			if inFolder {
				opts.warn("%s skipped: root element <%s> is neither a GENIUS domain nor a profile", p, root.name)
				continue
			}
			return nil, parley.Errorf(parley.EINVALID, "%s: not a GENIUS domain (<negotiation_template>) or profile (<utility_space>)", p)
		}
	}
	if dom == nil {
		return nil, parley.Errorf(parley.EINVALID, "no GENIUS domain file (root <negotiation_template>) among %s", strings.Join(paths, ", "))
	}
	if name == "" {
		name = stem(dom.Name)
	}
	return Parse(name, *dom, profs, opts)
}

// stem is a file's base name without its extension.
func stem(path string) string {
	b := filepath.Base(path)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// Parse builds a scenario named name from a GENIUS domain file and its
// profiles. Parties are named after the profile files' base names without
// extension and ordered by file name. The scenario is validated.
func Parse(name string, dom File, profiles []File, opts Options) (*scenario.Scenario, error) {
	sc, err := parse(name, dom, profiles, &opts)
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

func parse(name string, dom File, profiles []File, opts *Options) (*scenario.Scenario, error) {
	d, err := parseDomain(dom.Data, dom.Name)
	if err != nil {
		return nil, err
	}
	if len(profiles) == 0 {
		return nil, fmt.Errorf("%s: a GENIUS domain needs at least one profile (<utility_space> file): give the scenario's folder, or the domain and its profile files", dom.Name)
	}
	profiles = append([]File(nil), profiles...)
	sort.SliceStable(profiles, func(i, j int) bool {
		return filepath.Base(profiles[i].Name) < filepath.Base(profiles[j].Name)
	})
	sc := &scenario.Scenario{
		Name:        name,
		Description: "Imported from GENIUS XML (" + filepath.Base(dom.Name) + ").",
	}
	steps := opts.RealSteps
	for _, is := range d.issues {
		si := scenario.Issue{Name: is.name}
		switch is.kind {
		case kindDiscrete:
			si.Type, si.Values = scenario.Categorical, is.values
		case kindInteger:
			si.Type, si.Min, si.Max = scenario.Integer, ptr(is.lo), ptr(is.hi)
		case kindReal:
			si.Type, si.Min, si.Max = scenario.Real, ptr(is.lo), ptr(is.hi)
			si.Steps = steps
			if s, ok := is.n.attr("steps"); ok {
				k, err := is.n.integer(d.file, "steps")
				if err != nil {
					return nil, err
				}
				if k < 2 {
					return nil, errAt(d.file, is.n, "steps=%s: want at least 2", s)
				}
				si.Steps = k
			}
			if si.Steps == scenario.DefaultSteps {
				si.Steps = 0
			}
		}
		sc.Issues = append(sc.Issues, si)
	}
	seen := map[string]string{}
	for _, f := range profiles {
		p, err := parseProfile(f.Data, f.Name)
		if err != nil {
			return nil, err
		}
		party := scenario.Party{Name: stem(f.Name), Role: scenario.Participant}
		if other, dup := seen[party.Name]; dup {
			return nil, fmt.Errorf("%s: party name %q also taken by %s", f.Name, party.Name, other)
		}
		seen[party.Name] = f.Name
		if p.reserve != nil {
			party.Reservation = ptr(*p.reserve)
		}
		if p.discount != nil && *p.discount > 0 && *p.discount < 1 {
			party.Discount = ptr(*p.discount)
		}
		for _, what := range dedupe(p.ignored) {
			opts.warn("%s: <%s> ignored: GENIUS's additive utility does not use it", f.Name, what)
		}
		var prefs *scenario.Preferences
		if p.nonlinear {
			prefs, err = nonlinearPreferences(d, p, sc, opts)
		} else {
			prefs, err = linearPreferences(d, p, opts)
		}
		if err != nil {
			return nil, err
		}
		party.Preferences = prefs
		sc.Parties = append(sc.Parties, party)
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("%s: the imported scenario is invalid: %w", dom.Name, err)
	}
	return sc, nil
}

func dedupe(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func ptr(x float64) *float64 { return &x }

// matchIssue finds the domain issue a profile issue describes: by name,
// warning when the indices differ.
func matchIssue(d *domain, p *profile, pi *issue, opts *Options) (*issue, error) {
	for _, di := range d.issues {
		if di.name == pi.name {
			if di.index != pi.index {
				opts.warn("%s: issue %q has index %d here but %d in the domain %s; matched by name", p.file, pi.name, pi.index, di.index, d.file)
			}
			if di.kind != pi.kind {
				return nil, errAt(p.file, pi.n, "issue %q is %s here but %s in the domain %s", pi.name, pi.kind, di.kind, d.file)
			}
			return di, nil
		}
	}
	names := make([]string, len(d.issues))
	for i, di := range d.issues {
		names[i] = di.name
	}
	return nil, errAt(p.file, pi.n, "the domain %s has no issue %q (issues: %s)", d.file, pi.name, strings.Join(names, ", "))
}

func linearPreferences(d *domain, p *profile, opts *Options) (*scenario.Preferences, error) {
	lin := &scenario.Linear{Issues: map[string]scenario.LinearIssue{}}
	byName := map[string]*issue{}
	used := map[int]bool{}
	for _, pi := range p.issues {
		di, err := matchIssue(d, p, pi, opts)
		if err != nil {
			return nil, err
		}
		byName[di.name] = pi
		w, ok := p.weights[pi.index]
		if !ok {
			return nil, errAt(p.file, pi.n, "no <weight index=\"%d\"> for issue %q", pi.index, pi.name)
		}
		used[pi.index] = true
		li := scenario.LinearIssue{Weight: w}
		switch di.kind {
		case kindDiscrete:
			li.Values, li.Scale, err = discreteValues(d, di, p, pi, opts.Raw)
		case kindInteger:
			li.Function, err = integerFunction(di, p, pi)
		case kindReal:
			li.Function, err = realFunction(di, p, pi)
		}
		if err != nil {
			return nil, err
		}
		lin.Issues[di.name] = li
	}
	for _, di := range d.issues {
		if byName[di.name] == nil {
			return nil, errAt(p.file, p.root, "no <issue> for the domain's issue %q", di.name)
		}
	}
	for i, w := range p.weightAt {
		if i == p.objIndex && p.hasObjIndex {
			// The weight of the objective itself: GENIUS sums weighted
			// issues only, so it plays no part.
			continue
		}
		if !used[i] {
			return nil, errAt(p.file, w, "weight index %d names no issue of this profile", i)
		}
	}
	sum := 0.0
	for _, di := range d.issues {
		sum += lin.Issues[di.name].Weight
	}
	if math.Abs(sum-1) > 1e-9 {
		opts.warn("%s: weights sum to %v, not 1; kept as given", p.file, sum)
	}
	return &scenario.Preferences{Linear: lin}, nil
}

// discreteValues returns an issue's evaluations and the scale that divides
// them: GENIUS's value utility is evaluation / (largest evaluation of the
// issue), or 0 for every value when that largest is below 0.00001 (as
// EvaluatorDiscrete.normalize). With raw, the evaluations as written and no
// scale. The evaluations are kept as written, with the largest as Scale, so
// that exact arithmetic sees the division exactly.
func discreteValues(d *domain, di *issue, p *profile, pi *issue, raw bool) (map[string]float64, *float64, error) {
	inDomain := map[string]bool{}
	for _, v := range di.values {
		inDomain[v] = true
	}
	for _, v := range pi.values {
		if !inDomain[v] {
			return nil, nil, errAt(p.file, pi.n, "value %q of issue %q is not in the domain %s", v, pi.name, d.file)
		}
	}
	mx := 0.0
	for _, v := range di.values {
		e, ok := pi.evals[v]
		if !ok {
			return nil, nil, errAt(p.file, pi.n, "issue %q: no evaluation for value %q", pi.name, v)
		}
		mx = math.Max(mx, e)
	}
	out := make(map[string]float64, len(di.values))
	for _, v := range di.values {
		out[v] = pi.evals[v]
		if !raw && mx < 0.00001 {
			out[v] = 0
		}
	}
	if raw || mx < 0.00001 || mx == 1 {
		return out, nil, nil
	}
	return out, ptr(mx), nil
}

// integerFunction maps an integer evaluator: u = offset + slope·(x − lb),
// clamped to [0, 1], with lb the lowerbound given in the profile (or the
// domain's).
func integerFunction(di *issue, p *profile, pi *issue) (*scenario.ValueFunction, error) {
	lb := di.lo
	if pi.hasBounds {
		lb = pi.lo
	}
	slope, offset := 0.0, 0.0
	if ev := pi.eval; ev != nil {
		if ft, ok := ev.attr("ftype"); ok && !strings.EqualFold(ft, "linear") {
			return nil, errAt(p.file, ev, "integer evaluator ftype %q: only linear is supported", ft)
		}
		var err error
		if slope, err = ev.number(p.file, "slope"); err != nil {
			return nil, err
		}
		if offset, err = ev.number(p.file, "offset"); err != nil {
			return nil, err
		}
	}
	return clampedLine(func(x float64) float64 { return offset + slope*(x-lb) }, slope, di.lo, di.hi), nil
}

// realFunction maps a real evaluator: linear u = parameter0 + parameter1·x
// clamped to [0, 1], or constant u = parameter0.
func realFunction(di *issue, p *profile, pi *issue) (*scenario.ValueFunction, error) {
	ev := pi.eval
	if ev == nil {
		return nil, errAt(p.file, pi.n, "real issue %q has no <evaluator>", pi.name)
	}
	ft, _ := ev.attr("ftype")
	switch strings.ToLower(ft) {
	case "linear":
		c0, err := ev.number(p.file, "parameter0")
		if err != nil {
			return nil, err
		}
		c1, err := ev.number(p.file, "parameter1")
		if err != nil {
			return nil, err
		}
		return clampedLine(func(x float64) float64 { return c0 + c1*x }, c1, di.lo, di.hi), nil
	case "constant":
		c0, err := ev.number(p.file, "parameter0")
		if err != nil {
			return nil, err
		}
		return &scenario.ValueFunction{Shape: scenario.ShapeLinear, AtMin: ptr(c0), AtMax: ptr(c0)}, nil
	}
	return nil, errAt(p.file, ev, "real evaluator ftype %q: only linear and constant are supported", ft)
}

// clampedLine returns the value function x ↦ clamp(f(x), 0, 1) on [lo, hi]
// for a line f of the given slope: a linear shape when no clamping happens
// inside the range, else a piecewise one through the points where the line
// meets 0 or 1.
func clampedLine(f func(float64) float64, slope, lo, hi float64) *scenario.ValueFunction {
	clamp := func(y float64) float64 { return math.Max(0, math.Min(1, y)) }
	a, b := f(lo), f(hi)
	if a >= 0 && a <= 1 && b >= 0 && b <= 1 {
		return &scenario.ValueFunction{Shape: scenario.ShapeLinear, AtMin: ptr(a), AtMax: ptr(b)}
	}
	xs := []float64{lo}
	if slope != 0 {
		// f(x) = f(lo) + slope·(x − lo) meets level y at lo + (y − f(lo))/slope.
		for _, y := range []float64{0, 1} {
			x := lo + (y-a)/slope
			if x > lo && x < hi {
				xs = append(xs, x)
			}
		}
	}
	if hi > lo {
		xs = append(xs, hi)
	}
	sort.Float64s(xs)
	pts := make([][2]float64, 0, len(xs))
	for _, x := range xs {
		y := clamp(f(x))
		switch x {
		case lo:
			y = clamp(a)
		case hi:
			y = clamp(b)
		}
		if len(pts) > 0 && x <= pts[len(pts)-1][0] {
			continue
		}
		pts = append(pts, [2]float64{x, y})
	}
	return &scenario.ValueFunction{Shape: scenario.ShapePiecewise, Points: pts}
}

// nonlinearPreferences maps an ANAC 2014 profile. GENIUS gives a rectangle
// with INCLUDES bounds its utility when the outcome meets every bound, and
// a rectangle with EXCLUDES bounds its utility when the outcome falls
// outside at least one bound (outside the box); a rectangle with both is
// read as exclusive, as GENIUS does. The exclusive box is written as
// disjoint Parley rules: rule k includes bounds 1…k−1 and excludes bound k.
func nonlinearPreferences(d *domain, p *profile, sc *scenario.Scenario, opts *Options) (*scenario.Preferences, error) {
	// Bounds name issues by index: the profile's own issue list, else the
	// domain's.
	idx := map[int]string{}
	for _, di := range d.issues {
		idx[di.index] = di.name
	}
	if len(p.issues) > 0 {
		idx = map[int]string{}
		for _, pi := range p.issues {
			di, err := matchIssue(d, p, pi, opts)
			if err != nil {
				return nil, err
			}
			idx[pi.index] = di.name
		}
	}
	if len(p.weightAt) > 0 {
		opts.warn("%s: <weight> elements ignored in a non-linear profile", p.file)
	}
	cond := func(b bound) (scenario.Condition, error) {
		name, ok := idx[b.index]
		if !ok {
			return scenario.Condition{}, errAt(p.file, b.n, "index %d names no issue", b.index)
		}
		if i := sc.IssueIndex(name); i < 0 || !sc.Issues[i].Numeric() {
			return scenario.Condition{}, errAt(p.file, b.n, "issue %q is not numeric: hyper-rectangles bound integer issues", name)
		}
		if b.max < b.min {
			return scenario.Condition{}, errAt(p.file, b.n, "max %v is below min %v", b.max, b.min)
		}
		return scenario.Condition{Issue: name, Min: ptr(b.min), Max: ptr(b.max)}, nil
	}
	// GENIUS caps non-linear utility at 1.
	c := &scenario.Constraints{Scale: ptr(p.maxUtil), Cap: ptr(1.0)}
	for _, r := range p.rects {
		if len(r.excludes) == 0 {
			rule := scenario.Rule{Utility: r.utility}
			for _, b := range r.includes {
				cd, err := cond(b)
				if err != nil {
					return nil, err
				}
				rule.Includes = append(rule.Includes, cd)
			}
			c.Rules = append(c.Rules, rule)
			continue
		}
		if len(r.includes) > 0 {
			opts.warn("%s:%d: hyperRectangle has both INCLUDES and EXCLUDES; GENIUS uses only the EXCLUDES, and so does Parley", p.file, r.n.line)
		}
		conds := make([]scenario.Condition, len(r.excludes))
		for k, b := range r.excludes {
			cd, err := cond(b)
			if err != nil {
				return nil, err
			}
			conds[k] = cd
		}
		for k := range conds {
			rule := scenario.Rule{Utility: r.utility, Excludes: []scenario.Condition{conds[k]}}
			rule.Includes = append(rule.Includes, conds[:k]...)
			c.Rules = append(c.Rules, rule)
		}
	}
	return &scenario.Preferences{Constraints: c}, nil
}
