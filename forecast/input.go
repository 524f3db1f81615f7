package forecast

import (
	"fmt"
	"math"
	"strings"

	"parley"
)

// Actor is one participant in the model: its clout, where it stands on the
// issue and how much the issue matters to it.
type Actor struct {
	Name string `json:"name"`
	// Capability is the actor's clout on any non-negative scale; only ratios
	// between actors matter.
	Capability float64 `json:"capability"`
	// Position is the actor's current stand on the issue's line.
	Position float64 `json:"position"`
	// Salience is how much the issue matters to the actor, in [0, 1]; the
	// model also reads it as the probability that the actor resists a
	// challenge.
	Salience float64 `json:"salience"`
}

// Label names a point of an ordered categorical scale.
type Label struct {
	Position float64 `json:"position"`
	Name     string  `json:"name"`
}

// Input is one issue to forecast: its actors in order (the order breaks ties
// and fixes the order of every sum) and, optionally, the named points of the
// issue's scale.
type Input struct {
	Issue  string  `json:"issue"`
	Actors []Actor `json:"actors"`
	// Labels name points of the scale (ordered categorical issues); empty for
	// numeric issues.
	Labels []Label `json:"labels,omitempty"`
	// Lo and Hi bound the issue's scale when known (both 0 when not).
	Lo, Hi float64 `json:"-"`
	// Notes say which parties were left out and why (scenario inputs).
	Notes []string `json:"notes,omitempty"`
}

// Clone returns a deep copy of in.
func (in Input) Clone() Input {
	out := in
	out.Actors = append([]Actor(nil), in.Actors...)
	out.Labels = append([]Label(nil), in.Labels...)
	out.Notes = append([]string(nil), in.Notes...)
	return out
}

// Nearest returns the label closest to x and true, or "" and false when the
// issue has no labels.
func (in *Input) Nearest(x float64) (string, bool) {
	if len(in.Labels) == 0 {
		return "", false
	}
	best := 0
	for i, l := range in.Labels {
		if math.Abs(l.Position-x) < math.Abs(in.Labels[best].Position-x) {
			best = i
		}
	}
	return in.Labels[best].Name, true
}

// Validate checks that the input can be forecast: at least one actor,
// distinct non-empty names, finite values, capability ≥ 0 and salience in
// [0, 1]. Degenerate but well-formed inputs (one actor, all at one position,
// zero capability) pass; the faithful model reports them when it runs.
func (in *Input) Validate() error {
	if len(in.Actors) == 0 {
		return parley.Errorf(parley.EINVALID, "issue %q: no actors", in.Issue)
	}
	seen := map[string]int{}
	for i, a := range in.Actors {
		where := fmt.Sprintf("issue %q: actor %d (%s)", in.Issue, i+1, a.Name)
		if strings.TrimSpace(a.Name) == "" {
			return parley.Errorf(parley.EINVALID, "%s: empty name", where)
		}
		if j, dup := seen[a.Name]; dup {
			return parley.Errorf(parley.EINVALID, "%s: duplicate name (also actor %d)", where, j+1)
		}
		seen[a.Name] = i
		switch {
		case !finite(a.Capability) || a.Capability < 0:
			return parley.Errorf(parley.EINVALID, "%s: capability must be a finite number ≥ 0, found %v", where, a.Capability)
		case !finite(a.Position):
			return parley.Errorf(parley.EINVALID, "%s: position must be a finite number, found %v", where, a.Position)
		case !finite(a.Salience) || a.Salience < 0 || a.Salience > 1:
			return parley.Errorf(parley.EINVALID, "%s: salience must be in [0, 1], found %v", where, a.Salience)
		}
	}
	lo, hi := in.Actors[0].Position, in.Actors[0].Position
	for _, a := range in.Actors {
		lo, hi = math.Min(lo, a.Position), math.Max(hi, a.Position)
	}
	if !finite(hi - lo) {
		return parley.Errorf(parley.EINVALID, "issue %q: the positions span %v to %v, a range too large for floating point", in.Issue, lo, hi)
	}
	return nil
}

// Index returns the index of the named actor, or -1.
func (in *Input) Index(name string) int {
	for i := range in.Actors {
		if in.Actors[i].Name == name {
			return i
		}
	}
	return -1
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
