package utility

import (
	"math"
	"math/big"

	"parley/scenario"
	"parley/space"
)

// Additive is a utility that is a constant plus one term per issue:
// u(o) = Const + Σ_i Values[i][o_i], summed in issue order. Linear and
// spatial preferences compile to it.
type Additive struct {
	Const  float64
	Values [][]float64

	// exactTerms, when set, gives the exact constant and terms (from the
	// scenario's decimals); otherwise the float values are taken as exact
	// decimals.
	exactTerms func() (*big.Rat, [][]*big.Rat)
	exact      exactOnce
}

// ExactForm implements Exact.
func (a *Additive) ExactForm() *ExactForm {
	return a.exact.get(func() *ExactForm {
		var c *big.Rat
		var terms [][]*big.Rat
		if a.exactTerms != nil {
			c, terms = a.exactTerms()
		} else {
			c = DecimalRat(a.Const)
			terms = make([][]*big.Rat, len(a.Values))
			for i, vs := range a.Values {
				terms[i] = make([]*big.Rat, len(vs))
				for k, v := range vs {
					terms[i][k] = DecimalRat(v)
				}
			}
		}
		return newAdditiveForm(c, terms, a.Const, a.Values)
	})
}

// Utility implements Func.
func (a *Additive) Utility(o []int) float64 {
	u := a.Const
	for i, v := range o {
		u += a.Values[i][v]
	}
	return u
}

// Range implements Func: the constant plus each issue's smallest (largest)
// term, which is the utility of the outcome made of those values.
func (a *Additive) Range() (lo, hi float64) {
	lo, hi = a.Const, a.Const
	for _, vs := range a.Values {
		mn, mx := math.Inf(1), math.Inf(-1)
		for _, v := range vs {
			mn, mx = math.Min(mn, v), math.Max(mx, v)
		}
		lo += mn
		hi += mx
	}
	return lo, hi
}

func (a *Additive) fill(sp *space.Space, dst []float64) {
	a.fillBlock(nil, dst)
}

func (a *Additive) fillBlock(prefix []int, dst []float64) {
	base := a.Const
	for i, v := range prefix {
		base += a.Values[i][v]
	}
	n := 1
	dst[0] = base
	for _, vs := range a.Values[len(prefix):] {
		c := len(vs)
		// Expand in place from the back so each prefix sum is read before
		// it is overwritten.
		for j := n - 1; j >= 0; j-- {
			base := dst[j]
			out := dst[j*c : j*c+c]
			for k, v := range vs {
				out[k] = base + v
			}
		}
		n *= c
	}
}

func compileLinear(sc *scenario.Scenario, l *scenario.Linear) (*Additive, error) {
	a := &Additive{Values: make([][]float64, len(sc.Issues))}
	for i := range sc.Issues {
		is := &sc.Issues[i]
		vs := make([]float64, is.Cardinality())
		a.Values[i] = vs
		li, ok := l.Issues[is.Name]
		if !ok {
			continue
		}
		for k := range vs {
			var v float64
			if is.Type == scenario.Categorical {
				v = li.Values[is.Values[k]]
			} else {
				v = ValueFunction(li.Function, is).At(is.Number(k))
			}
			if li.Scale != nil {
				v /= *li.Scale
			}
			vs[k] = li.Weight * v
		}
	}
	a.exactTerms = func() (*big.Rat, [][]*big.Rat) {
		terms := make([][]*big.Rat, len(sc.Issues))
		for i := range sc.Issues {
			is := &sc.Issues[i]
			terms[i] = make([]*big.Rat, is.Cardinality())
			li, ok := l.Issues[is.Name]
			w := DecimalRat(li.Weight)
			for k := range terms[i] {
				switch {
				case !ok:
					terms[i][k] = new(big.Rat)
				case is.Type == scenario.Categorical:
					terms[i][k] = new(big.Rat).Mul(w, DecimalRat(li.Values[is.Values[k]]))
				default:
					terms[i][k] = new(big.Rat).Mul(w, exactValueFunction(li.Function, is).at(ExactNumber(is, k)))
				}
				if ok && li.Scale != nil {
					terms[i][k].Quo(terms[i][k], DecimalRat(*li.Scale))
				}
			}
		}
		return new(big.Rat), terms
	}
	return a, nil
}

func compileSpatial(sc *scenario.Scenario, sp *scenario.Spatial) (*Additive, error) {
	a := &Additive{Const: 1, Values: make([][]float64, len(sc.Issues))}
	total := 0.0
	// Sum in issue order so the result does not depend on map order.
	for i := range sc.Issues {
		total += sp.Issues[sc.Issues[i].Name].Salience
	}
	for i := range sc.Issues {
		is := &sc.Issues[i]
		vs := make([]float64, is.Cardinality())
		a.Values[i] = vs
		si, ok := sp.Issues[is.Name]
		if !ok || si.Salience == 0 {
			continue
		}
		ideal, _ := si.IdealPosition(is)
		lo, hi := is.PositionRange()
		if hi == lo {
			continue
		}
		w := si.Salience / total
		for k := range vs {
			vs[k] = -w * math.Abs(is.Number(k)-ideal) / (hi - lo)
		}
	}
	a.exactTerms = func() (*big.Rat, [][]*big.Rat) {
		total := new(big.Rat)
		for i := range sc.Issues {
			total.Add(total, DecimalRat(sp.Issues[sc.Issues[i].Name].Salience))
		}
		terms := make([][]*big.Rat, len(sc.Issues))
		for i := range sc.Issues {
			is := &sc.Issues[i]
			terms[i] = make([]*big.Rat, is.Cardinality())
			si, ok := sp.Issues[is.Name]
			var ideal, lo, hi *big.Rat
			if ok && si.Salience != 0 {
				lo, hi = exactRange(is)
				if k, isValue := is.Index(si.Ideal); isValue && is.Type == scenario.Categorical {
					ideal = ExactNumber(is, k)
				} else {
					x, _ := si.IdealPosition(is)
					ideal = DecimalRat(x)
				}
			}
			for k := range terms[i] {
				if lo == nil || lo.Cmp(hi) == 0 {
					terms[i][k] = new(big.Rat)
					continue
				}
				d := new(big.Rat).Sub(ExactNumber(is, k), ideal)
				d.Abs(d)
				d.Mul(d, DecimalRat(si.Salience))
				d.Quo(d, total)
				d.Quo(d, new(big.Rat).Sub(hi, lo))
				terms[i][k] = d.Neg(d)
			}
		}
		return big.NewRat(1, 1), terms
	}
	return a, nil
}
