package geniusweb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"parley"
	"parley/scenario"
	"parley/space"
	"parley/utility"
)

// ordered is a JSON object that keeps its keys in the order given.
type ordered []kv

type kv struct {
	k string
	v any
}

// MarshalJSON implements json.Marshaler.
func (o ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(e.k)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MaxReservationSearch is the largest space Export enumerates to find a
// reservation bid.
const MaxReservationSearch = 10_000_000

// Export returns the GeniusWeb files of a scenario: a domain file and one
// LinearAdditiveUtilitySpace profile per participant, named after the
// party. Only linear preferences can be written. Categorical issues become
// discrete value sets; numeric issues on which every participant's value
// function is linear become number ranges (step 1 for integer issues, the
// grid's step for real ones), others discrete value sets listing their
// values. Weights and utilities are written as given. GeniusWeb has no
// reservation value, only a reservation bid: Export writes the outcome with
// the smallest utility at or above the reservation value, so that the same
// outcomes are acceptable (for spaces of at most MaxReservationSearch
// outcomes). Discount factors, mediators and observers are lost; warn, if
// not nil, receives a message for each loss.
func Export(sc *scenario.Scenario, warn func(string)) ([]File, error) {
	say := func(format string, args ...any) {
		if warn != nil {
			warn(fmt.Sprintf(format, args...))
		}
	}
	var parties []int
	for i := range sc.Parties {
		p := &sc.Parties[i]
		if p.Role != scenario.Participant {
			say("party %q (%s) not written: GeniusWeb profiles are participants", p.Name, p.Role)
			continue
		}
		if k := p.Preferences.Kind(); k != "linear" {
			return nil, parley.Errorf(parley.EUNSUPPORTED, "party %q has %s preferences: GeniusWeb export writes linear additive preferences only", p.Name, k)
		}
		if p.Discount != nil && *p.Discount < 1 {
			say("party %q: discount factor %v lost: a GeniusWeb linear additive profile has none", p.Name, *p.Discount)
		}
		parties = append(parties, i)
	}
	if len(parties) == 0 {
		return nil, parley.Errorf(parley.EUNSUPPORTED, "scenario %q has no participant to write", sc.Name)
	}
	asRange := make([]bool, len(sc.Issues))
	var issues ordered
	for i := range sc.Issues {
		is := &sc.Issues[i]
		if is.Type != scenario.Categorical && *is.Max > *is.Min {
			asRange[i] = true
			for _, pi := range parties {
				if li, ok := sc.Parties[pi].Preferences.Linear.Issues[is.Name]; ok && (li.Function.Shape != scenario.ShapeLinear || li.Scale != nil) {
					asRange[i] = false
				}
			}
		}
		if asRange[i] {
			step := 1.0
			if is.Type == scenario.Real {
				step = (*is.Max - *is.Min) / float64(is.Cardinality()-1)
			}
			issues = append(issues, kv{is.Name, ordered{{"range", ordered{{"low", *is.Min}, {"high", *is.Max}, {"step", step}}}}})
			continue
		}
		if is.Type != scenario.Categorical {
			say("issue %q written as a discrete value set listing its %d values", is.Name, is.Cardinality())
		}
		labels := make([]string, is.Cardinality())
		for k := range labels {
			labels[k] = is.Label(k)
		}
		issues = append(issues, kv{is.Name, ordered{{"values", labels}}})
	}
	domain := ordered{{"name", sc.Name}, {"issuesValues", issues}}

	var sp *space.Space
	var files []File
	names := map[string]string{}
	domName := fileName(sc.Name) + ".json"
	names[domName] = "the domain"
	data, err := json.MarshalIndent(domain, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write GeniusWeb domain: %w", err)
	}
	files = append(files, File{Name: domName, Data: append(data, '\n')})
	for _, pi := range parties {
		p := &sc.Parties[pi]
		lin := p.Preferences.Linear
		var utils, weights ordered
		sum := 0.0
		for i := range sc.Issues {
			is := &sc.Issues[i]
			li, listed := lin.Issues[is.Name]
			weights = append(weights, kv{is.Name, li.Weight})
			sum += li.Weight
			if li.Weight < 0 || li.Weight > 1 {
				say("party %q: weight %v of issue %q is outside [0, 1], which GeniusWeb rejects", p.Name, li.Weight, is.Name)
			}
			if asRange[i] {
				lo, hi := 0.0, 0.0
				if listed {
					lo, hi = *li.Function.AtMin, *li.Function.AtMax
				}
				utils = append(utils, kv{is.Name, ordered{{"NumberValueSetUtilities", ordered{
					{"lowValue", *is.Min}, {"lowUtility", lo}, {"highValue", *is.Max}, {"highUtility", hi}}}}})
				continue
			}
			var vu ordered
			for k := 0; k < is.Cardinality(); k++ {
				v := 0.0
				if listed {
					if is.Type == scenario.Categorical {
						v = li.Values[is.Values[k]]
					} else {
						v = utility.ValueFunction(li.Function, is).At(is.Number(k))
					}
					if li.Scale != nil {
						v /= *li.Scale // as utility.Compile divides
					}
				}
				if v < 0 || v > 1 {
					say("party %q: utility %v of value %q of issue %q is outside [0, 1], which GeniusWeb rejects", p.Name, v, is.Label(k), is.Name)
				}
				vu = append(vu, kv{is.Label(k), v})
			}
			utils = append(utils, kv{is.Name, ordered{{"DiscreteValueSetUtilities", ordered{{"valueUtilities", vu}}}}})
		}
		if math.Abs(sum-1) > 1e-9 {
			say("party %q: weights sum to %v; GeniusWeb expects 1", p.Name, sum)
		}
		body := ordered{{"issueUtilities", utils}, {"issueWeights", weights}, {"domain", domain}, {"name", p.Name}}
		if p.Reservation != nil {
			if sp == nil {
				if sp, err = space.Of(sc); err != nil {
					return nil, err
				}
			}
			bid, err := reservationBid(sc, sp, pi, *p.Reservation)
			if err != nil {
				say("party %q: reservation value %v lost: %v", p.Name, *p.Reservation, err)
			} else {
				body = append(body, kv{"reservationBid", ordered{{"issuevalues", bid}}})
			}
		}
		name := fileName(p.Name) + ".json"
		if other, dup := names[name]; dup {
			return nil, parley.Errorf(parley.EUNSUPPORTED, "party %q would be written to %s, as is %s", p.Name, name, other)
		}
		names[name] = fmt.Sprintf("party %q", p.Name)
		if name != p.Name+".json" {
			say("party %q written to %s: it will read back as %q", p.Name, name, strings.TrimSuffix(name, ".json"))
		}
		data, err := json.MarshalIndent(ordered{{"LinearAdditiveUtilitySpace", body}}, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("write GeniusWeb profile %q: %w", p.Name, err)
		}
		files = append(files, File{Name: name, Data: append(data, '\n')})
	}
	return files, nil
}

// reservationBid returns the outcome with the smallest utility at or above
// r (ties: the smallest index), as issue name → value label.
func reservationBid(sc *scenario.Scenario, sp *space.Space, pi int, r float64) (ordered, error) {
	n, ok := sp.Len()
	if !ok || n > MaxReservationSearch {
		return nil, fmt.Errorf("the space has %s outcomes, more than the %d searched for a reservation bid", sp.BigLen(), MaxReservationSearch)
	}
	prof, err := utility.Compile(sc, pi)
	if err != nil {
		return nil, err
	}
	best, bestU := []int(nil), math.Inf(1)
	for it := sp.Iter(); it.Next(); {
		if u := prof.Func.Utility(it.Outcome()); u >= r && u < bestU {
			best, bestU = append(best[:0], it.Outcome()...), u
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no outcome reaches it")
	}
	var bid ordered
	for i, v := range best {
		bid = append(bid, kv{sc.Issues[i].Name, sc.Issues[i].Label(v)})
	}
	return bid, nil
}

// WriteDir writes Export's files into dir, creating it if needed.
func WriteDir(sc *scenario.Scenario, dir string, warn func(string)) error {
	files, err := Export(sc, warn)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write GeniusWeb folder: %w", err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			return fmt.Errorf("write GeniusWeb folder: %w", err)
		}
	}
	return nil
}

// fileName turns a name into a safe file name.
func fileName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "scenario"
	}
	return b.String()
}
