package utility

import (
	"math"
	"math/big"

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
	exact      exactOnce
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

// ExactForm implements Exact.
func (t *Table) ExactForm() *ExactForm {
	return t.exact.get(func() *ExactForm {
		keys := make([]int64, 0, len(t.entries))
		rats := map[int64]*big.Rat{}
		all := []*big.Rat{DecimalRat(t.def)}
		bound := distance(t.def, all[0])
		for k, u := range t.entries {
			keys = append(keys, k)
			rats[k] = DecimalRat(u)
			all = append(all, rats[k])
			bound = math.Max(bound, distance(u, rats[k]))
		}
		d := lcmDenoms(all...)
		scaled := make(map[int64]*big.Int, len(rats))
		for k, r := range rats {
			scaled[k] = scaleRat(r, d)
		}
		def := scaleRat(all[0], d)
		var lo, hi *big.Int
		consider := func(v *big.Int) {
			if lo == nil || v.Cmp(lo) < 0 {
				lo = v
			}
			if hi == nil || v.Cmp(hi) > 0 {
				hi = v
			}
		}
		for _, v := range scaled {
			consider(v)
		}
		if n, _ := t.sp.Len(); int64(len(scaled)) < n {
			consider(def)
		}
		return &ExactForm{Denom: d, Bound: 2 * bound, Min: lo, Max: hi, scaled: func(o []int, dst *big.Int) *big.Int {
			if v, ok := scaled[t.sp.Index(o)]; ok {
				return dst.Set(v)
			}
			return dst.Set(def)
		}}
	})
}
