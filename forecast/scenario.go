package forecast

import (
	"fmt"
	"math"

	"parley"
	"parley/scenario"
	"parley/utility"
)

// FromScenario turns a scenario into one Input per issue that has positions
// (numeric issues and ordered categorical ones), in issue order. A party
// takes part in an issue as an actor when its preferences give it a position
// there, whatever its role (participants, mediators with preferences):
//
//   - spatial preferences: position = the ideal point's position, salience =
//     the given salience (if one of the party's saliences exceeds 1, all are
//     divided by their sum);
//   - linear preferences: position = the position of the value with the
//     highest utility on the issue (the first such value in the issue's
//     order; numeric issues are searched on their grid), salience = the
//     issue's weight divided by the sum of the party's weights.
//
// Parties without preferences, with table or constraint preferences, or
// that do not list the issue are left out, with a note. Every party that
// takes part needs a capability; a missing one is an error naming the party.
func FromScenario(s *scenario.Scenario) ([]Input, error) {
	var ins []Input
	for k := range s.Issues {
		is := &s.Issues[k]
		if !is.HasPositions() {
			continue
		}
		in := Input{Issue: is.Name}
		in.Lo, in.Hi = is.PositionRange()
		if is.Type == scenario.Categorical {
			for v := range is.Values {
				in.Labels = append(in.Labels, Label{Position: is.Number(v), Name: is.Values[v]})
			}
		}
		for p := range s.Parties {
			pt := &s.Parties[p]
			pos, sal, ok, why := stance(s, pt, is)
			if !ok {
				if why != "" {
					in.Notes = append(in.Notes, fmt.Sprintf("%s left out: %s", pt.Name, why))
				}
				continue
			}
			if pt.Capability == nil {
				return nil, parley.Errorf(parley.EINVALID, "%s: party %q has a position on issue %q but no capability: add capability: N (any non-negative scale) to forecast", s.File, pt.Name, is.Name)
			}
			in.Actors = append(in.Actors, Actor{Name: pt.Name, Capability: *pt.Capability, Position: pos, Salience: sal})
		}
		ins = append(ins, in)
	}
	if len(ins) == 0 {
		return nil, parley.Errorf(parley.EINVALID, "%s: no numeric or ordered categorical issue to forecast", s.File)
	}
	return ins, nil
}

// stance returns a party's position and salience on an issue, or why it has
// none ("" when there is nothing to say, as for observers).
func stance(s *scenario.Scenario, pt *scenario.Party, is *scenario.Issue) (pos, sal float64, ok bool, why string) {
	pr := pt.Preferences
	switch {
	case pr == nil:
		if pt.Role == scenario.Observer {
			return 0, 0, false, ""
		}
		return 0, 0, false, "no preferences"
	case pr.Spatial != nil:
		si, listed := pr.Spatial.Issues[is.Name]
		if !listed {
			return 0, 0, false, "issue not in its spatial preferences"
		}
		x, ok := si.IdealPosition(is)
		if !ok {
			return 0, 0, false, fmt.Sprintf("ideal %q is not a value of the issue", si.Ideal)
		}
		sal := si.Salience
		total, big := 0.0, false
		for _, o := range pr.Spatial.Issues {
			total += o.Salience
			big = big || o.Salience > 1
		}
		if big {
			sal /= total
		}
		return x, sal, true, ""
	case pr.Linear != nil:
		li, listed := pr.Linear.Issues[is.Name]
		if !listed {
			return 0, 0, false, "issue not in its linear preferences"
		}
		total := 0.0
		for _, o := range pr.Linear.Issues {
			total += o.Weight
		}
		if total <= 0 {
			return 0, 0, false, "all its weights are 0"
		}
		best, bestU := 0.0, math.Inf(-1)
		if is.Type == scenario.Categorical {
			for v, name := range is.Values {
				if u := li.Values[name]; u > bestU {
					best, bestU = is.Number(v), u
				}
			}
		} else if li.Function != nil {
			f := utility.ValueFunction(li.Function, is)
			for v := 0; v < is.Cardinality(); v++ {
				if u := f.At(is.Number(v)); u > bestU {
					best, bestU = is.Number(v), u
				}
			}
		}
		return best, li.Weight / total, true, ""
	}
	return 0, 0, false, fmt.Sprintf("%s preferences give no position per issue", pr.Kind())
}
