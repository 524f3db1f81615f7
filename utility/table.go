package utility

import (
	"math"

	"parley"
	"parley/scenario"
	"parley/space"
)

// Table is a utility given outcome by outcome, with a default for outcomes
// not listed.
type Table struct {
	sp         *space.Space
	entries    map[int64]float64
	def        float64
	hasDefault bool
}

func compileTable(sc *scenario.Scenario, t *scenario.Table) (*Table, error) {
	sp, err := space.Of(sc)
	if err != nil {
		return nil, err
	}
	if _, ok := sp.Len(); !ok {
		return nil, parley.Errorf(parley.EUNSUPPORTED, "table preferences need a space of at most 2^63 outcomes")
	}
	tb := &Table{sp: sp, entries: make(map[int64]float64, len(t.Outcomes))}
	if t.Default != nil {
		tb.def, tb.hasDefault = *t.Default, true
	}
	for i, e := range t.Outcomes {
		o, err := space.Parse(sc, e.Outcome)
		if err != nil {
			return nil, parley.Errorf(parley.EINVALID, "table outcome %d: %v", i, err)
		}
		tb.entries[sp.Index(o)] = e.Utility
	}
	return tb, nil
}

// Utility implements Func.
func (t *Table) Utility(o []int) float64 {
	if u, ok := t.entries[t.sp.Index(o)]; ok {
		return u
	}
	return t.def
}

// Range implements Func: over the listed utilities, and the default when some
// outcome is not listed.
func (t *Table) Range() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, u := range t.entries {
		lo, hi = math.Min(lo, u), math.Max(hi, u)
	}
	if n, _ := t.sp.Len(); int64(len(t.entries)) < n {
		lo, hi = math.Min(lo, t.def), math.Max(hi, t.def)
	}
	return lo, hi
}
