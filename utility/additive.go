package utility

import (
	"math"

	"parley/scenario"
	"parley/space"
)

// Additive is a utility that is a constant plus one term per issue:
// u(o) = Const + Σ_i Values[i][o_i], summed in issue order. Linear and
// spatial preferences compile to it.
type Additive struct {
	Const  float64
	Values [][]float64
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
			vs[k] = li.Weight * v
		}
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
	return a, nil
}
