package genius

import (
	"strings"
)

// Issue kinds as GENIUS names them.
const (
	kindDiscrete = "discrete"
	kindInteger  = "integer"
	kindReal     = "real"
)

// issue is an <issue> of a domain or profile file.
type issue struct {
	name  string
	index int
	kind  string
	n     *node

	// Discrete issues: the values in file order and, in profiles, their
	// evaluations (absent when an item has none).
	values []string
	evals  map[string]float64

	// Integer and real issues: the bounds, and in profiles the evaluator.
	lo, hi    float64
	hasBounds bool
	eval      *node
}

// domain is a GENIUS domain file.
type domain struct {
	file   string
	issues []*issue
}

// bound is one INCLUDES or EXCLUDES element of a hyper-rectangle.
type bound struct {
	index    int
	min, max float64
	n        *node
}

// rect is one <hyperRectangle> of a non-linear profile.
type rect struct {
	utility  float64
	includes []bound
	excludes []bound
	n        *node
}

// profile is a GENIUS utility space file.
type profile struct {
	file      string
	root      *node
	nonlinear bool
	issues    []*issue
	weights   map[int]float64
	weightAt  map[int]*node
	reserve   *float64
	discount  *float64
	maxUtil   float64
	rects     []rect
	utilNode  *node
	// objIndex is the index of the <objective>, whose own weight some
	// files list among the issue weights.
	objIndex    int
	hasObjIndex bool
	ignored     []string // elements GENIUS's additive utility ignores
}

// issueKind returns the issue's type: the type attribute, else etype, else
// vtype, as GENIUS reads them.
func issueKind(n *node) string {
	for _, a := range []string{"type", "etype", "vtype"} {
		if v, ok := n.attr(a); ok && v != "" {
			return strings.ToLower(v)
		}
	}
	return ""
}

// parseIssue reads an <issue> element. withEval says it belongs to a
// profile, whose items carry evaluations.
func parseIssue(file string, n *node, withEval bool) (*issue, error) {
	is := &issue{n: n}
	var ok bool
	if is.name, ok = n.attr("name"); !ok || is.name == "" {
		return nil, errAt(file, n, "missing attribute name")
	}
	if _, ok := n.attr("index"); ok {
		i, err := n.integer(file, "index")
		if err != nil {
			return nil, err
		}
		is.index = i
	} else {
		return nil, errAt(file, n, "issue %q: missing attribute index", is.name)
	}
	is.kind = issueKind(n)
	switch is.kind {
	case kindDiscrete:
		seen := map[string]bool{}
		for _, it := range n.children("item") {
			v, ok := it.attr("value")
			if !ok {
				return nil, errAt(file, it, "issue %q: item without a value attribute", is.name)
			}
			if seen[v] {
				return nil, errAt(file, it, "issue %q: duplicate value %q", is.name, v)
			}
			seen[v] = true
			is.values = append(is.values, v)
			if !withEval {
				continue
			}
			if s, ok := it.attr("evaluation"); ok && s != "null" && s != "" {
				x, err := it.number(file, "evaluation")
				if err != nil {
					return nil, err
				}
				if x < 0 {
					return nil, errAt(file, it, "issue %q: evaluation %v of value %q is negative (GENIUS requires ≥ 0)", is.name, x, v)
				}
				if is.evals == nil {
					is.evals = map[string]float64{}
				}
				is.evals[v] = x
			}
		}
		if len(is.values) == 0 {
			return nil, errAt(file, n, "discrete issue %q has no <item> values", is.name)
		}
	case kindInteger, kindReal:
		src := n
		if _, ok := n.attr("lowerbound"); !ok {
			if r := n.child("range"); r != nil {
				src = r
			}
		}
		if _, ok := src.attr("lowerbound"); ok {
			var err error
			if is.kind == kindInteger {
				var lo, hi int
				if lo, err = src.integer(file, "lowerbound"); err != nil {
					return nil, err
				}
				if hi, err = src.integer(file, "upperbound"); err != nil {
					return nil, err
				}
				is.lo, is.hi = float64(lo), float64(hi)
			} else {
				if is.lo, err = src.number(file, "lowerbound"); err != nil {
					return nil, err
				}
				if is.hi, err = src.number(file, "upperbound"); err != nil {
					return nil, err
				}
			}
			if is.hi < is.lo {
				return nil, errAt(file, src, "issue %q: upperbound %v is below lowerbound %v", is.name, is.hi, is.lo)
			}
			is.hasBounds = true
		}
		if withEval {
			is.eval = n.child("evaluator")
		}
	case "":
		return nil, errAt(file, n, "issue %q has no type, etype or vtype attribute", is.name)
	default:
		return nil, errAt(file, n, "issue %q has type %q: Parley reads discrete, integer and real issues", is.name, is.kind)
	}
	return is, nil
}

// objective returns the single <objective> under a <utility_space>,
// refusing objective trees (which no known domain uses).
func objective(file string, us *node) (*node, error) {
	objs := us.children("objective")
	if len(objs) == 0 {
		return nil, errAt(file, us, "no <objective> element")
	}
	if len(objs) > 1 {
		return nil, errAt(file, objs[1], "more than one <objective>: objective trees are not supported")
	}
	if sub := objs[0].child("objective"); sub != nil {
		return nil, errAt(file, sub, "nested <objective>: objective trees are not supported")
	}
	return objs[0], nil
}

// parseDomain reads a GENIUS domain file (root <negotiation_template>).
func parseDomain(data []byte, file string) (*domain, error) {
	root, err := parseXML(data, file)
	if err != nil {
		return nil, err
	}
	if root.name != "negotiation_template" {
		return nil, errAt(file, root, "root element is <%s>; a GENIUS domain has <negotiation_template>", root.name)
	}
	us := root.child("utility_space")
	if us == nil {
		return nil, errAt(file, root, "no <utility_space> element")
	}
	obj, err := objective(file, us)
	if err != nil {
		return nil, err
	}
	d := &domain{file: file}
	names := map[string]*issue{}
	indices := map[int]*issue{}
	for _, n := range obj.children("issue") {
		is, err := parseIssue(file, n, false)
		if err != nil {
			return nil, err
		}
		if o, dup := names[is.name]; dup {
			return nil, errAt(file, n, "duplicate issue name %q (also line %d)", is.name, o.n.line)
		}
		if o, dup := indices[is.index]; dup {
			return nil, errAt(file, n, "duplicate issue index %d (also issue %q)", is.index, o.name)
		}
		if is.kind != kindDiscrete && !is.hasBounds {
			return nil, errAt(file, n, "%s issue %q has no lowerbound/upperbound", is.kind, is.name)
		}
		names[is.name], indices[is.index] = is, is
		d.issues = append(d.issues, is)
	}
	if len(d.issues) == 0 {
		return nil, errAt(file, obj, "the domain has no <issue> elements")
	}
	return d, nil
}

// parseProfile reads a GENIUS utility space file (root <utility_space>).
func parseProfile(data []byte, file string) (*profile, error) {
	root, err := parseXML(data, file)
	if err != nil {
		return nil, err
	}
	if root.name != "utility_space" {
		return nil, errAt(file, root, "root element is <%s>; a GENIUS profile has <utility_space>", root.name)
	}
	p := &profile{file: file, root: root, weights: map[int]float64{}, weightAt: map[int]*node{}}
	if t, _ := root.attr("type"); strings.EqualFold(t, "nonlinear") {
		p.nonlinear = true
	}
	if r := root.child("reservation"); r != nil {
		x, err := r.number(file, "value")
		if err != nil {
			return nil, err
		}
		p.reserve = &x
	}
	if r := root.child("discount_factor"); r != nil {
		x, err := r.number(file, "value")
		if err != nil {
			return nil, err
		}
		p.discount = &x
	}
	obj, err := objective(file, root)
	if err != nil {
		return nil, err
	}
	if _, ok := obj.attr("index"); ok {
		if p.objIndex, err = obj.integer(file, "index"); err != nil {
			return nil, err
		}
		p.hasObjIndex = true
	}
	seen := map[string]bool{}
	for _, n := range obj.children("issue") {
		is, err := parseIssue(file, n, !p.nonlinear)
		if err != nil {
			return nil, err
		}
		if seen[is.name] {
			return nil, errAt(file, n, "duplicate issue name %q", is.name)
		}
		seen[is.name] = true
		if len(n.children("similarity_function")) > 0 {
			p.ignored = append(p.ignored, "similarity_function")
		}
		p.issues = append(p.issues, is)
	}
	weights := append(obj.children("weight"), root.children("weight")...)
	for _, w := range weights {
		i, err := w.integer(file, "index")
		if err != nil {
			return nil, err
		}
		x, err := w.number(file, "value")
		if err != nil {
			return nil, err
		}
		if x < 0 {
			return nil, errAt(file, w, "weight %v is negative", x)
		}
		if o, dup := p.weightAt[i]; dup {
			return nil, errAt(file, w, "second weight for index %d (first at line %d)", i, o.line)
		}
		p.weights[i], p.weightAt[i] = x, w
	}
	if p.nonlinear {
		if err := p.parseNonlinear(obj); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// parseNonlinear reads the <utility> of an ANAC 2014 profile: a sum of
// hyper-rectangle utilities divided by maxutility.
func (p *profile) parseNonlinear(obj *node) error {
	u := obj.child("utility")
	if u == nil {
		u = p.root.child("utility")
	}
	if u == nil {
		return errAt(p.file, obj, "non-linear profile without a <utility> element")
	}
	p.utilNode = u
	var err error
	if p.maxUtil, err = u.number(p.file, "maxutility"); err != nil {
		return err
	}
	if !(p.maxUtil > 0) {
		return errAt(p.file, u, "maxutility must be > 0, found %v", p.maxUtil)
	}
	ufuns := u.children("ufun")
	if len(ufuns) != 1 {
		return errAt(p.file, u, "want exactly one <ufun>, found %d", len(ufuns))
	}
	f := ufuns[0]
	if agg, ok := f.attr("aggregation"); ok && !strings.EqualFold(agg, "sum") {
		return errAt(p.file, f, "aggregation %q is not supported (only sum)", agg)
	}
	if w, ok := f.attr("weight"); ok && w != "1" && w != "1.0" {
		return errAt(p.file, f, "ufun weight %s is not supported (only 1)", w)
	}
	if sub := f.child("ufun"); sub != nil {
		return errAt(p.file, sub, "nested <ufun> is not supported")
	}
	for _, h := range f.children("hyperRectangle") {
		r := rect{n: h}
		if r.utility, err = h.number(p.file, "utility"); err != nil {
			return err
		}
		if _, ok := h.attr("weight"); ok {
			w, err := h.number(p.file, "weight")
			if err != nil {
				return err
			}
			r.utility *= w
		}
		for _, pair := range []struct {
			tag string
			dst *[]bound
		}{{"INCLUDES", &r.includes}, {"EXCLUDES", &r.excludes}} {
			for _, b := range h.children(pair.tag) {
				var bd bound
				bd.n = b
				if bd.index, err = b.integer(p.file, "index"); err != nil {
					return err
				}
				if bd.min, err = b.number(p.file, "min"); err != nil {
					return err
				}
				if bd.max, err = b.number(p.file, "max"); err != nil {
					return err
				}
				*pair.dst = append(*pair.dst, bd)
			}
		}
		p.rects = append(p.rects, r)
	}
	if len(p.rects) == 0 {
		return errAt(p.file, f, "no <hyperRectangle> elements")
	}
	return nil
}
