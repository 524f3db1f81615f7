package scenario

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

type pathProblem struct {
	path Path
	msg  string
}

type problemList []pathProblem

func (l problemList) problems() Problems {
	ps := make(Problems, len(l))
	for i, p := range l {
		ps[i] = Problem{Field: p.path.String(), Msg: p.msg}
	}
	return ps
}

// Validate checks a scenario built in code and returns Problems (without
// file positions) or nil. Scenarios returned by Parse are already valid.
func (s *Scenario) Validate() error {
	if l := s.validate(); len(l) > 0 {
		ps := l.problems()
		for i := range ps {
			ps[i].File = s.File
		}
		return ps
	}
	return nil
}

type validator struct {
	s  *Scenario
	ps problemList
}

func (v *validator) add(p Path, format string, args ...any) {
	v.ps = append(v.ps, pathProblem{p, fmt.Sprintf(format, args...)})
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// maxSeconds is the longest deadline in seconds: whole seconds that a
// time.Duration holds, as sessions convert the deadline to one.
const maxSeconds = float64(math.MaxInt64 / int64(time.Second))

func (s *Scenario) validate() problemList {
	v := &validator{s: s}
	if strings.TrimSpace(s.Name) == "" {
		v.add(Path{"name"}, "missing: every scenario needs a name")
	}
	if len(s.Issues) == 0 {
		v.add(Path{"issues"}, "missing: at least one issue is needed")
	}
	seen := map[string]int{}
	for i := range s.Issues {
		v.issue(Path{"issues", i}, &s.Issues[i])
		if j, dup := seen[s.Issues[i].Name]; dup {
			v.add(Path{"issues", i, "name"}, "duplicate issue name %q (also issues[%d])", s.Issues[i].Name, j)
		} else {
			seen[s.Issues[i].Name] = i
		}
	}
	seen = map[string]int{}
	participants := 0
	for i := range s.Parties {
		p := &s.Parties[i]
		v.party(Path{"parties", i}, p)
		if j, dup := seen[p.Name]; dup {
			v.add(Path{"parties", i, "name"}, "duplicate party name %q (also parties[%d])", p.Name, j)
		} else {
			seen[p.Name] = i
		}
		if p.Role == Participant {
			participants++
		}
	}
	if participants == 0 {
		v.add(Path{"parties"}, "no participants: at least one party needs role participant")
	}
	if d := s.Deadline; d != nil {
		if d.Rounds < 0 {
			v.add(Path{"deadline", "rounds"}, "must be ≥ 0, found %d", d.Rounds)
		}
		switch {
		case d.Seconds < 0 || !finite(d.Seconds):
			v.add(Path{"deadline", "seconds"}, "must be a finite number ≥ 0, found %v", d.Seconds)
		case d.Seconds > maxSeconds:
			v.add(Path{"deadline", "seconds"}, "must be at most %d (292 years, the longest time.Duration), found %v", int64(maxSeconds), d.Seconds)
		}
		if d.Rounds == 0 && d.Seconds == 0 {
			v.add(Path{"deadline"}, "give rounds, seconds or both")
		}
	}
	return v.ps
}

func (v *validator) issue(p Path, is *Issue) {
	if strings.TrimSpace(is.Name) == "" {
		v.add(p.with("name"), "missing: every issue needs a name")
	}
	switch is.Type {
	case Categorical:
		if len(is.Values) == 0 {
			v.add(p.with("values"), "a categorical issue needs at least one value")
		}
		seen := map[string]int{}
		for i, val := range is.Values {
			if j, dup := seen[val]; dup {
				v.add(p.with("values", i), "duplicate value %q (also values[%d])", val, j)
			}
			seen[val] = i
		}
		if is.Min != nil || is.Max != nil || is.Steps != 0 {
			v.add(p, "min, max and steps belong to integer and real issues, not categorical")
		}
		if len(is.Positions) > 0 {
			if !is.Ordered {
				v.add(p.with("positions"), "positions need ordered: true")
			}
			if len(is.Positions) != len(is.Values) {
				v.add(p.with("positions"), "want one position per value (%d), found %d", len(is.Values), len(is.Positions))
			}
			for i, x := range is.Positions {
				if !finite(x) {
					v.add(p.with("positions", i), "must be a finite number")
				} else if i > 0 && x <= is.Positions[i-1] {
					v.add(p.with("positions", i), "positions must increase in the order of the values (%v after %v)", x, is.Positions[i-1])
				}
			}
		}
	case Integer, Real:
		if len(is.Values) > 0 || is.Ordered || len(is.Positions) > 0 {
			v.add(p, "values, ordered and positions belong to categorical issues, not %s", is.Type)
		}
		if is.Min == nil {
			v.add(p.with("min"), "missing: a %s issue needs min", is.Type)
		}
		if is.Max == nil {
			v.add(p.with("max"), "missing: a %s issue needs max", is.Type)
		}
		if is.Min == nil || is.Max == nil {
			return
		}
		lo, hi := *is.Min, *is.Max
		if !finite(lo) {
			v.add(p.with("min"), "must be a finite number")
			return
		}
		if !finite(hi) {
			v.add(p.with("max"), "must be a finite number")
			return
		}
		if hi < lo {
			v.add(p.with("max"), "max %v is below min %v", hi, lo)
			return
		}
		if is.Type == Integer {
			if lo != math.Trunc(lo) {
				v.add(p.with("min"), "an integer issue needs an integer min, found %v", lo)
			}
			if hi != math.Trunc(hi) {
				v.add(p.with("max"), "an integer issue needs an integer max, found %v", hi)
			}
			if hi-lo+1 > math.MaxInt32 {
				v.add(p.with("max"), "too many values: at most %d", math.MaxInt32)
			}
			if is.Steps != 0 {
				v.add(p.with("steps"), "steps belongs to real issues")
			}
		} else if is.Steps != 0 && (is.Steps < 2 || is.Steps > 1<<24) {
			v.add(p.with("steps"), "must be from 2 to %d, found %d", 1<<24, is.Steps)
		}
	case "":
		v.add(p.with("type"), "missing: one of categorical, integer, real")
	default:
		v.add(p.with("type"), "unknown issue type %q: want categorical, integer or real", is.Type)
	}
}

func (v *validator) party(p Path, pt *Party) {
	if strings.TrimSpace(pt.Name) == "" {
		v.add(p.with("name"), "missing: every party needs a name")
	}
	switch pt.Role {
	case Participant, Mediator:
	case Observer:
		if pt.Preferences != nil {
			v.add(p.with("preferences"), "an observer has no preferences (it sees public information only)")
		}
		if pt.Reservation != nil {
			v.add(p.with("reservation"), "an observer has no reservation value")
		}
	case "":
		v.add(p.with("role"), "missing: one of participant, mediator, observer")
	default:
		v.add(p.with("role"), "unknown role %q: want participant, mediator or observer", pt.Role)
	}
	if c := pt.Capability; c != nil && (*c < 0 || !finite(*c)) {
		v.add(p.with("capability"), "must be a finite number ≥ 0, found %v", *c)
	}
	if r := pt.Reservation; r != nil && !finite(*r) {
		v.add(p.with("reservation"), "must be a finite number")
	}
	if d := pt.Discount; d != nil && (!(*d > 0) || *d > 1) {
		v.add(p.with("discount"), "must be in (0, 1], found %v", *d)
	}
	if pt.Preferences != nil {
		v.preferences(p.with("preferences"), pt.Preferences)
	}
}

func (v *validator) preferences(p Path, pr *Preferences) {
	var kinds []string
	if pr.Linear != nil {
		kinds = append(kinds, "linear")
		v.linear(p.with("linear"), pr.Linear)
	}
	if pr.Table != nil {
		kinds = append(kinds, "table")
		v.table(p.with("table"), pr.Table)
	}
	if pr.Constraints != nil {
		kinds = append(kinds, "constraints")
		v.constraints(p.with("constraints"), pr.Constraints)
	}
	if pr.Spatial != nil {
		kinds = append(kinds, "spatial")
		v.spatial(p.with("spatial"), pr.Spatial)
	}
	switch len(kinds) {
	case 0:
		v.add(p, "give one of linear, table, constraints, spatial")
	case 1:
	default:
		v.add(p, "give only one kind of preferences, found %s", strings.Join(kinds, " and "))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// usable reports whether an issue is valid enough to check references to
// it (its own problems are reported where it is defined).
func usable(is *Issue) bool {
	switch is.Type {
	case Categorical:
		return len(is.Values) > 0
	case Integer, Real:
		return is.Min != nil && is.Max != nil && finite(*is.Min) && finite(*is.Max) && is.Cardinality() > 0
	}
	return false
}

// issueByName returns the named issue, or reports it unknown at p. It
// returns nil without a report for an issue that is itself invalid.
func (v *validator) issueByName(p Path, name string) *Issue {
	if i := v.s.IssueIndex(name); i >= 0 {
		if !usable(&v.s.Issues[i]) {
			return nil
		}
		return &v.s.Issues[i]
	}
	names := make([]string, len(v.s.Issues))
	for i := range v.s.Issues {
		names[i] = v.s.Issues[i].Name
	}
	v.add(p, "no issue named %q (issues: %s)", name, strings.Join(names, ", "))
	return nil
}

func (v *validator) linear(p Path, l *Linear) {
	if len(l.Issues) == 0 {
		v.add(p.with("issues"), "missing: weights and values for at least one issue")
	}
	for _, name := range sortedKeys(l.Issues) {
		li := l.Issues[name]
		ip := p.with("issues", name)
		is := v.issueByName(ip, name)
		if !finite(li.Weight) || li.Weight < 0 {
			v.add(ip.with("weight"), "weight must be a finite number ≥ 0, found %v", li.Weight)
		}
		if li.Scale != nil && (!finite(*li.Scale) || *li.Scale <= 0) {
			v.add(ip.with("scale"), "must be a finite number > 0, found %v", *li.Scale)
		}
		if is == nil {
			continue
		}
		if is.Type == Categorical {
			if li.Function != nil {
				v.add(ip.with("function"), "a categorical issue takes values, not a function")
			}
			for _, val := range sortedKeys(li.Values) {
				if _, ok := is.Index(val); !ok {
					v.add(ip.with("values", val), "value %q is not in issue %q (values: %s)", val, is.Name, strings.Join(is.Values, ", "))
				} else if !finite(li.Values[val]) {
					v.add(ip.with("values", val), "utility must be a finite number")
				}
			}
			var missing []string
			for _, val := range is.Values {
				if _, ok := li.Values[val]; !ok {
					missing = append(missing, val)
				}
			}
			if len(missing) > 0 {
				v.add(ip.with("values"), "no utility for value(s) %s: give every value of issue %q", strings.Join(missing, ", "), is.Name)
			}
			continue
		}
		if li.Values != nil {
			v.add(ip.with("values"), "a numeric issue takes a function, not values")
		}
		if li.Function == nil {
			v.add(ip.with("function"), "missing: a numeric issue needs a value function")
			continue
		}
		v.function(ip.with("function"), li.Function, is)
	}
}

func (v *validator) function(p Path, f *ValueFunction, is *Issue) {
	lo, hi := *is.Min, *is.Max
	num := func(name string, x *float64, required bool) {
		if x == nil {
			if required {
				v.add(p.with(name), "missing: shape %s needs %s", f.Shape, name)
			}
			return
		}
		if !finite(*x) {
			v.add(p.with(name), "must be a finite number")
		}
	}
	switch f.Shape {
	case ShapeLinear:
		num("at_min", f.AtMin, true)
		num("at_max", f.AtMax, true)
		if f.Peak != nil || f.AtPeak != nil || f.Points != nil {
			v.add(p, "shape linear takes at_min and at_max only")
		}
	case ShapeTriangular:
		num("at_min", f.AtMin, true)
		num("at_max", f.AtMax, true)
		num("peak", f.Peak, true)
		num("at_peak", f.AtPeak, false)
		if f.Peak != nil && (*f.Peak < lo || *f.Peak > hi) {
			v.add(p.with("peak"), "peak %v is outside issue %q's range [%v, %v]", *f.Peak, is.Name, lo, hi)
		}
		if f.Points != nil {
			v.add(p.with("points"), "shape triangular takes at_min, peak, at_peak and at_max, not points")
		}
	case ShapePiecewise:
		if len(f.Points) == 0 {
			v.add(p.with("points"), "missing: shape piecewise needs points [[x, u], …]")
		}
		for i, pt := range f.Points {
			if !finite(pt[0]) || !finite(pt[1]) {
				v.add(p.with("points", i), "must be finite numbers")
			} else if i > 0 && pt[0] <= f.Points[i-1][0] {
				v.add(p.with("points", i), "x must increase from point to point (%v after %v)", pt[0], f.Points[i-1][0])
			}
		}
		if f.AtMin != nil || f.AtMax != nil || f.Peak != nil || f.AtPeak != nil {
			v.add(p, "shape piecewise takes points only")
		}
	case "":
		v.add(p.with("shape"), "missing: one of linear, triangular, piecewise")
	default:
		v.add(p.with("shape"), "unknown shape %q: want linear, triangular or piecewise", f.Shape)
	}
}

func (v *validator) table(p Path, t *Table) {
	if t.Default != nil && !finite(*t.Default) {
		v.add(p.with("default"), "must be a finite number")
	}
	seen := map[string]int{}
	complete := true
	for i, e := range t.Outcomes {
		ep := p.with("outcomes", i)
		if !finite(e.Utility) {
			v.add(ep.with("utility"), "must be a finite number")
		}
		key := make([]string, len(v.s.Issues))
		for _, name := range sortedKeys(e.Outcome) {
			is := v.issueByName(ep.with("outcome", name), name)
			if is == nil {
				complete = false
				continue
			}
			if _, ok := is.Index(e.Outcome[name]); !ok {
				v.add(ep.with("outcome", name), "value %q is not in issue %q", e.Outcome[name], name)
				complete = false
			}
			key[v.s.IssueIndex(name)] = e.Outcome[name]
		}
		for _, is := range v.s.Issues {
			if _, ok := e.Outcome[is.Name]; !ok {
				v.add(ep.with("outcome"), "missing issue %q: every outcome names a value for every issue", is.Name)
				complete = false
			}
		}
		k := strings.Join(key, "\x00")
		if j, dup := seen[k]; dup {
			v.add(ep, "duplicate outcome (also outcomes[%d])", j)
		}
		seen[k] = i
	}
	if t.Default == nil && complete {
		size := 1.0
		for i := range v.s.Issues {
			size *= float64(v.s.Issues[i].Cardinality())
		}
		if float64(len(seen)) < size {
			v.add(p.with("outcomes"), "lists %d of %v outcomes: list them all or give a default", len(seen), size)
		}
	}
}

func (v *validator) constraints(p Path, c *Constraints) {
	if c.Scale != nil && (!finite(*c.Scale) || *c.Scale <= 0) {
		v.add(p.with("scale"), "must be a finite number > 0, found %v", *c.Scale)
	}
	if c.Cap != nil && !finite(*c.Cap) {
		v.add(p.with("cap"), "must be a finite number")
	}
	if len(c.Rules) == 0 {
		v.add(p.with("rules"), "missing: at least one rule")
	}
	for i, r := range c.Rules {
		rp := p.with("rules", i)
		if !finite(r.Utility) {
			v.add(rp.with("utility"), "must be a finite number")
		}
		for j, cond := range r.Includes {
			v.condition(rp.with("includes", j), cond)
		}
		for j, cond := range r.Excludes {
			v.condition(rp.with("excludes", j), cond)
		}
	}
}

func (v *validator) condition(p Path, c Condition) {
	is := v.issueByName(p.with("issue"), c.Issue)
	if is == nil {
		return
	}
	if len(c.Values) > 0 {
		if c.Min != nil || c.Max != nil {
			v.add(p, "give values or min/max, not both")
		}
		for i, val := range c.Values {
			if _, ok := is.Index(val); !ok {
				v.add(p.with("values", i), "value %q is not in issue %q", val, is.Name)
			}
		}
		return
	}
	if !is.HasPositions() {
		v.add(p, "issue %q is unordered categorical: give values, not min/max", is.Name)
		return
	}
	if c.Min == nil && c.Max == nil {
		v.add(p, "give values, or min and/or max")
	}
	if c.Min != nil && c.Max != nil && *c.Max < *c.Min {
		v.add(p.with("max"), "max %v is below min %v", *c.Max, *c.Min)
	}
}

func (v *validator) spatial(p Path, sp *Spatial) {
	if len(sp.Issues) == 0 {
		v.add(p.with("issues"), "missing: an ideal point and salience for at least one issue")
	}
	total := 0.0
	for _, name := range sortedKeys(sp.Issues) {
		si := sp.Issues[name]
		ip := p.with("issues", name)
		if !finite(si.Salience) || si.Salience < 0 {
			v.add(ip.with("salience"), "must be a finite number ≥ 0, found %v", si.Salience)
		} else {
			total += si.Salience
		}
		is := v.issueByName(ip, name)
		if is == nil {
			continue
		}
		if !is.HasPositions() {
			v.add(ip, "issue %q is unordered categorical: spatial preferences need numeric or ordered issues", name)
			continue
		}
		x, ok := si.IdealPosition(is)
		if !ok {
			v.add(ip.with("ideal"), "%q is neither a value of issue %q nor a number", si.Ideal, name)
			continue
		}
		lo, hi := is.PositionRange()
		if x < lo || x > hi {
			v.add(ip.with("ideal"), "ideal point %v is outside issue %q's range [%v, %v]", x, name, lo, hi)
		}
	}
	if len(sp.Issues) > 0 && total == 0 {
		v.add(p.with("issues"), "saliences sum to 0: at least one must be positive")
	}
}
