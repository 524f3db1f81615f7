package utility

import (
	"math/big"

	"parley/scenario"
)

// Piecewise is a piecewise-linear function through points (X increasing),
// constant beyond the first and last point.
type Piecewise struct {
	X, Y []float64
}

// At evaluates the function at x.
func (p Piecewise) At(x float64) float64 {
	n := len(p.X)
	if n == 0 {
		return 0
	}
	if x <= p.X[0] {
		return p.Y[0]
	}
	if x >= p.X[n-1] {
		return p.Y[n-1]
	}
	for i := 1; i < n; i++ {
		if x <= p.X[i] {
			if x == p.X[i] {
				return p.Y[i]
			}
			t := (x - p.X[i-1]) / (p.X[i] - p.X[i-1])
			return p.Y[i-1] + t*(p.Y[i]-p.Y[i-1])
		}
	}
	return p.Y[n-1]
}

// ValueFunction returns the piecewise-linear form of a numeric issue's value
// function: linear through (min, at_min) and (max, at_max); triangular
// through those and (peak, at_peak); piecewise through its points.
func ValueFunction(f *scenario.ValueFunction, is *scenario.Issue) Piecewise {
	lo, hi := *is.Min, *is.Max
	switch f.Shape {
	case scenario.ShapeLinear:
		if lo == hi {
			return Piecewise{X: []float64{lo}, Y: []float64{*f.AtMax}}
		}
		return Piecewise{X: []float64{lo, hi}, Y: []float64{*f.AtMin, *f.AtMax}}
	case scenario.ShapeTriangular:
		top := 1.0
		if f.AtPeak != nil {
			top = *f.AtPeak
		}
		pk := *f.Peak
		var p Piecewise
		if pk > lo {
			p.X, p.Y = append(p.X, lo), append(p.Y, *f.AtMin)
		}
		p.X, p.Y = append(p.X, pk), append(p.Y, top)
		if pk < hi {
			p.X, p.Y = append(p.X, hi), append(p.Y, *f.AtMax)
		}
		return p
	default:
		p := Piecewise{X: make([]float64, len(f.Points)), Y: make([]float64, len(f.Points))}
		for i, pt := range f.Points {
			p.X[i], p.Y[i] = pt[0], pt[1]
		}
		return p
	}
}

// exactPiecewise is Piecewise in exact arithmetic.
type exactPiecewise struct {
	x, y []*big.Rat
}

func (p exactPiecewise) at(x *big.Rat) *big.Rat {
	n := len(p.x)
	if n == 0 {
		return new(big.Rat)
	}
	if x.Cmp(p.x[0]) <= 0 {
		return p.y[0]
	}
	if x.Cmp(p.x[n-1]) >= 0 {
		return p.y[n-1]
	}
	for i := 1; i < n; i++ {
		if x.Cmp(p.x[i]) <= 0 {
			t := new(big.Rat).Sub(x, p.x[i-1])
			t.Quo(t, new(big.Rat).Sub(p.x[i], p.x[i-1]))
			dy := new(big.Rat).Sub(p.y[i], p.y[i-1])
			return t.Add(p.y[i-1], t.Mul(t, dy))
		}
	}
	return p.y[n-1]
}

// exactValueFunction is ValueFunction with the scenario's decimals read
// exactly.
func exactValueFunction(f *scenario.ValueFunction, is *scenario.Issue) exactPiecewise {
	fp := ValueFunction(f, is)
	p := exactPiecewise{x: make([]*big.Rat, len(fp.X)), y: make([]*big.Rat, len(fp.Y))}
	for i := range fp.X {
		p.x[i], p.y[i] = DecimalRat(fp.X[i]), DecimalRat(fp.Y[i])
	}
	return p
}
