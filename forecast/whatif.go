package forecast

import (
	"fmt"
	"strconv"
	"strings"

	"parley"
)

// ChangeKind is the kind of a what-if change.
type ChangeKind string

// Change kinds.
const (
	Set  ChangeKind = "set"  // set one input of an actor
	Drop ChangeKind = "drop" // remove an actor
	Add  ChangeKind = "add"  // add an actor
)

// Change is one edit of the inputs for a what-if: "the broker leans in"
// (Set its salience), "stays out" (Drop it), or a newcomer (Add).
type Change struct {
	Kind  ChangeKind
	Actor string
	// Field is capability, salience or position (Set).
	Field string
	// Value is the new value (Set) as written: a number, or for a position
	// the name of a value of an ordered categorical issue.
	Value string
	// Capability, Position and Salience describe an added actor (Add);
	// Position is as written, like Value.
	Capability, Salience float64
	Position             string
}

// String writes the change as on the command line.
func (c Change) String() string {
	switch c.Kind {
	case Drop:
		return "drop " + c.Actor
	case Add:
		return fmt.Sprintf("add %s:%v,%s,%v", c.Actor, c.Capability, c.Position, c.Salience)
	}
	return fmt.Sprintf("%s.%s=%s", c.Actor, c.Field, c.Value)
}

// ParseWhatIf reads "ACTOR.FIELD=VALUE", FIELD one of capability, salience,
// position (e.g. "Kazakhstan.salience=0.9"). The actor name may contain
// dots; the last one separates the field.
func ParseWhatIf(s string) (Change, error) {
	lhs, val, ok := strings.Cut(s, "=")
	dot := strings.LastIndexByte(lhs, '.')
	if !ok || dot <= 0 {
		return Change{}, parley.Errorf(parley.EINVALID, "what-if %q: want ACTOR.FIELD=VALUE, e.g. Kazakhstan.salience=0.9", s)
	}
	c := Change{Kind: Set, Actor: strings.TrimSpace(lhs[:dot]), Field: strings.TrimSpace(lhs[dot+1:]), Value: strings.TrimSpace(val)}
	switch c.Field {
	case "capability", "salience", "position":
	default:
		return Change{}, parley.Errorf(parley.EINVALID, "what-if %q: unknown field %q (want capability, salience or position)", s, c.Field)
	}
	return c, nil
}

// ParseDrop reads an actor name to remove.
func ParseDrop(s string) (Change, error) {
	if strings.TrimSpace(s) == "" {
		return Change{}, parley.Errorf(parley.EINVALID, "drop: empty actor name")
	}
	return Change{Kind: Drop, Actor: strings.TrimSpace(s)}, nil
}

// ParseAdd reads "ACTOR:CAPABILITY,POSITION,SALIENCE" (the last colon
// separates the name).
func ParseAdd(s string) (Change, error) {
	colon := strings.LastIndexByte(s, ':')
	if colon <= 0 {
		return Change{}, parley.Errorf(parley.EINVALID, "add %q: want ACTOR:CAPABILITY,POSITION,SALIENCE", s)
	}
	parts := strings.Split(s[colon+1:], ",")
	if len(parts) != 3 {
		return Change{}, parley.Errorf(parley.EINVALID, "add %q: want three values CAPABILITY,POSITION,SALIENCE after the colon", s)
	}
	c := Change{Kind: Add, Actor: strings.TrimSpace(s[:colon]), Position: strings.TrimSpace(parts[1])}
	var err error
	if c.Capability, err = strconv.ParseFloat(strings.TrimSpace(parts[0]), 64); err != nil {
		return Change{}, parley.Errorf(parley.EINVALID, "add %q: capability %q is not a number", s, parts[0])
	}
	if c.Salience, err = strconv.ParseFloat(strings.TrimSpace(parts[2]), 64); err != nil {
		return Change{}, parley.Errorf(parley.EINVALID, "add %q: salience %q is not a number", s, parts[2])
	}
	return c, nil
}

// position reads a position as a number or the name of a labelled point.
func (in *Input) position(s string) (float64, error) {
	for _, l := range in.Labels {
		if l.Name == s {
			return l.Position, nil
		}
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || !finite(x) {
		if len(in.Labels) > 0 {
			names := make([]string, len(in.Labels))
			for i, l := range in.Labels {
				names[i] = l.Name
			}
			return 0, parley.Errorf(parley.EINVALID, "issue %q: position %q is neither a number nor one of %s", in.Issue, s, strings.Join(names, ", "))
		}
		return 0, parley.Errorf(parley.EINVALID, "issue %q: position %q is not a number", in.Issue, s)
	}
	return x, nil
}

// Apply makes the change to in. It reports whether the change concerned
// this issue: Set and Drop of an actor without a position on the issue do
// nothing and return false.
func (c Change) Apply(in *Input) (bool, error) {
	i := in.Index(c.Actor)
	switch c.Kind {
	case Drop:
		if i < 0 {
			return false, nil
		}
		in.Actors = append(in.Actors[:i:i], in.Actors[i+1:]...)
		return true, nil
	case Add:
		if i >= 0 {
			return false, parley.Errorf(parley.EINVALID, "add %s: issue %q already has an actor of that name (use ACTOR.FIELD=VALUE to change it)", c.Actor, in.Issue)
		}
		x, err := in.position(c.Position)
		if err != nil {
			return false, fmt.Errorf("add %s: %w", c.Actor, err)
		}
		in.Actors = append(in.Actors, Actor{Name: c.Actor, Capability: c.Capability, Position: x, Salience: c.Salience})
		return true, nil
	}
	if i < 0 {
		return false, nil
	}
	a := &in.Actors[i]
	if c.Field == "position" {
		x, err := in.position(c.Value)
		if err != nil {
			return false, fmt.Errorf("what-if %s: %w", c, err)
		}
		a.Position = x
		return true, nil
	}
	x, err := strconv.ParseFloat(c.Value, 64)
	if err != nil {
		return false, parley.Errorf(parley.EINVALID, "what-if %s: %q is not a number", c, c.Value)
	}
	if c.Field == "capability" {
		a.Capability = x
	} else {
		a.Salience = x
	}
	return true, nil
}

// Comparison is a base forecast beside the forecast of a changed world.
type Comparison struct {
	Changes []Change
	Base    *Result
	Changed *Result
	// BaseErr and ChangedErr are set when a faithful run stopped early
	// (ErrConverged or another ErrDegenerate); the rounds before it stand.
	BaseErr, ChangedErr error
}

// Compare forecasts in as given and with the changes applied, with the same
// options. A change that concerns no actor of the issue is an error, so a
// misspelt name does not pass unnoticed; use ApplyAll to filter changes
// across several issues.
func Compare(in Input, changes []Change, opt Options) (*Comparison, error) {
	changed := in.Clone()
	for _, c := range changes {
		ok, err := c.Apply(&changed)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, parley.Errorf(parley.EINVALID, "%s: issue %q has no actor %q", c, in.Issue, c.Actor)
		}
	}
	if err := changed.Validate(); err != nil {
		return nil, fmt.Errorf("what-if: %w", err)
	}
	cmp := &Comparison{Changes: changes}
	var err error
	cmp.Base, err = Run(in, opt)
	if err != nil {
		if cmp.Base == nil || len(cmp.Base.Rounds) == 0 {
			return nil, err
		}
		cmp.BaseErr = err
	}
	cmp.Changed, err = Run(changed, opt)
	if err != nil {
		if cmp.Changed == nil || len(cmp.Changed.Rounds) == 0 {
			return nil, err
		}
		cmp.ChangedErr = err
	}
	return cmp, nil
}

// Concerns reports whether any change names an actor of in (Add always
// does).
func Concerns(in *Input, changes []Change) bool {
	for _, c := range changes {
		if c.Kind == Add || in.Index(c.Actor) >= 0 {
			return true
		}
	}
	return false
}
