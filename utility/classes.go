package utility

import "math/big"

// ValueClasses returns, for issue i with card values, a class number per
// value such that values of one class are interchangeable for f: swapping
// one for another in any outcome never changes f's utility. Every Func of
// this package gives classes as coarse as it can cheaply prove; other Funcs
// get one class per value.
func ValueClasses(f Func, i, card int) []int {
	ids := make([]int, card)
	switch f := f.(type) {
	case *Additive:
		// Equal exact terms.
		form := f.ExactForm()
		seen := map[string]int{}
		for k := 0; k < card; k++ {
			key := form.Terms[i][k].String()
			id, ok := seen[key]
			if !ok {
				id = len(seen)
				seen[key] = id
			}
			ids[k] = id
		}
	case *Constraints:
		// The same membership in every rule that constrains the issue.
		seen := map[string]int{}
		sig := make([]byte, 0, len(f.rules))
		for k := 0; k < card; k++ {
			sig = sig[:0]
			for r := range f.rules {
				for j, is := range f.rules[r].issues {
					if is == i {
						if f.rules[r].allowed[j][k] {
							sig = append(sig, '1')
						} else {
							sig = append(sig, '0')
						}
					}
				}
			}
			id, ok := seen[string(sig)]
			if !ok {
				id = len(seen)
				seen[string(sig)] = id
			}
			ids[k] = id
		}
	case *Table:
		// Values no listed outcome mentions all fall to the default.
		mentioned := make([]bool, card)
		o := make([]int, f.sp.Issues())
		for idx := range f.entries {
			o = f.sp.Outcome(idx, o)
			mentioned[o[i]] = true
		}
		unlisted := -1
		next := 0
		for k := 0; k < card; k++ {
			if !mentioned[k] {
				if unlisted < 0 {
					unlisted = next
					next++
				}
				ids[k] = unlisted
				continue
			}
			ids[k] = next
			next++
		}
	default:
		for k := range ids {
			ids[k] = k
		}
	}
	return ids
}

// Restrict returns f over a smaller space whose value k of issue i stands
// for value reps[i][k] of f's space: the utility of an outcome o is f's
// utility of (reps[0][o[0]], reps[1][o[1]], …). Additive functions stay
// additive (and fast); their exact forms keep the same denominator.
func Restrict(f Func, reps [][]int) Func {
	if a, ok := f.(*Additive); ok {
		r := &Additive{Const: a.Const, Values: make([][]float64, len(reps))}
		for i, rs := range reps {
			r.Values[i] = make([]float64, len(rs))
			for k, v := range rs {
				r.Values[i][k] = a.Values[i][v]
			}
		}
		form := a.ExactForm().restrict(reps)
		r.exact.get(func() *ExactForm { return form })
		return r
	}
	if c, ok := f.(*Constraints); ok {
		return c.restrict(reps)
	}
	v := &restricted{f: f, reps: reps}
	if ex, ok := f.(Exact); ok {
		v.form = ex.ExactForm().restrict(reps)
	}
	return v
}

// restricted is a non-additive Func seen through representative values.
type restricted struct {
	f    Func
	reps [][]int
	form *ExactForm
}

func (v *restricted) original(o []int) []int {
	out := make([]int, len(o))
	for i, k := range o {
		out[i] = v.reps[i][k]
	}
	return out
}

// Utility implements Func.
func (v *restricted) Utility(o []int) float64 { return v.f.Utility(v.original(o)) }

// Range implements Func: every value keeps a representative, so the range
// is f's.
func (v *restricted) Range() (lo, hi float64) { return v.f.Range() }

// ExactForm implements Exact.
func (v *restricted) ExactForm() *ExactForm { return v.form }

// restrict is the exact form over representative values.
func (e *ExactForm) restrict(reps [][]int) *ExactForm {
	r := *e
	if e.Terms != nil {
		r.Terms = make([][]*big.Int, len(reps))
		for i, rs := range reps {
			r.Terms[i] = make([]*big.Int, len(rs))
			for k, v := range rs {
				r.Terms[i][k] = e.Terms[i][v]
			}
		}
		if e.Fits64 {
			r.Terms64 = make([][]int64, len(reps))
			for i, rs := range reps {
				r.Terms64[i] = make([]int64, len(rs))
				for k, v := range rs {
					r.Terms64[i][k] = e.Terms64[i][v]
				}
			}
		}
		return &r
	}
	inner := e.scaled
	r.scaled = func(o []int, dst *big.Int) *big.Int {
		orig := make([]int, len(o))
		for i, k := range o {
			orig[i] = reps[i][k]
		}
		return inner(orig, dst)
	}
	return &r
}
