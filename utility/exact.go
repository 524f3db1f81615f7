package utility

import (
	"math"
	"math/big"
	"strconv"
	"sync"

	"parley/scenario"
)

// Exact is implemented by every Func of this package: it gives the function
// in exact arithmetic, for analysis that must decide ties and dominance
// without rounding artefacts.
type Exact interface {
	Func
	// ExactForm returns the exact form (computed once, then cached).
	ExactForm() *ExactForm
}

// ExactForm is a utility function in exact arithmetic: u(o) = Scaled(o) /
// Denom, with integers.
//
// Inputs are taken to be decimals: every number of a scenario is read back
// as the shortest decimal that parses to the same float64 (strconv's 'g',
// -1 format), which is the number the file wrote whenever it wrote at most
// 17 significant digits. Grid points of real issues are likewise the
// shortest decimals of their float64 values, which is what their labels show
// (0.25 for a quarter; 0.3333333333333333 for a third).
type ExactForm struct {
	// Denom is the common denominator D > 0 of every utility.
	Denom *big.Int
	// Bound is a bound on |Func.Utility(o) − u(o)| over every outcome: the
	// float64 evaluation is never further than this from the exact value.
	Bound float64

	// Additive forms: u·D = Const + Σ_i Terms[i][o_i].
	Const *big.Int
	Terms [][]*big.Int
	// Fits64 says Const and every sum of one term per issue fit in an
	// int64 with room to spare (|sum| < 2^62); then Const64 and Terms64
	// hold the same integers.
	Fits64  bool
	Const64 int64
	Terms64 [][]int64

	// Min and Max are D times the exact smallest and largest utility over
	// the space; nil when not known exactly (constraint preferences whose
	// integers exceed 62 bits).
	Min, Max *big.Int

	scaled func(o []int, dst *big.Int) *big.Int
}

// Additive reports whether the form is additive (Terms is set).
func (e *ExactForm) Additive() bool { return e.Terms != nil }

// Scaled sets dst to D·u(o) and returns it.
func (e *ExactForm) Scaled(o []int, dst *big.Int) *big.Int {
	if e.Terms != nil {
		if e.Fits64 {
			s := e.Const64
			for i, v := range o {
				s += e.Terms64[i][v]
			}
			return dst.SetInt64(s)
		}
		dst.Set(e.Const)
		for i, v := range o {
			dst.Add(dst, e.Terms[i][v])
		}
		return dst
	}
	return e.scaled(o, dst)
}

// Rat returns u(o) as an exact rational.
func (e *ExactForm) Rat(o []int) *big.Rat {
	return new(big.Rat).SetFrac(e.Scaled(o, new(big.Int)), e.Denom)
}

// ScaledRat returns D·x for a rational x, rounded toward −∞ and +∞: floor
// and ceil. For reservation values, u ≥ r ⇔ D·u ≥ ceil(D·r).
func (e *ExactForm) ScaledRat(x *big.Rat) (floor, ceil *big.Int) {
	n := new(big.Int).Mul(x.Num(), e.Denom)
	q, m := new(big.Int).DivMod(n, x.Denom(), new(big.Int))
	c := new(big.Int).Set(q)
	if m.Sign() != 0 {
		c.Add(c, big.NewInt(1))
	}
	return q, c
}

// DecimalRat returns the shortest decimal that reads back as x, as an exact
// rational. x must be finite.
func DecimalRat(x float64) *big.Rat {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
	if !ok {
		return new(big.Rat)
	}
	return r
}

// ExactNumber returns the exact position of value k of issue is (see
// scenario.Issue.Number).
func ExactNumber(is *scenario.Issue, k int) *big.Rat {
	switch is.Type {
	case scenario.Integer:
		return new(big.Rat).Add(DecimalRat(*is.Min), new(big.Rat).SetInt64(int64(k)))
	case scenario.Real:
		// A grid point is the decimal its label shows.
		return DecimalRat(is.Number(k))
	default:
		if k < len(is.Positions) {
			return DecimalRat(is.Positions[k])
		}
		return new(big.Rat).SetInt64(int64(k))
	}
}

// exactRange returns the exact smallest and largest positions of an issue.
func exactRange(is *scenario.Issue) (lo, hi *big.Rat) {
	n := is.Cardinality()
	for k := 0; k < n; k++ {
		x := ExactNumber(is, k)
		if lo == nil || x.Cmp(lo) < 0 {
			lo = x
		}
		if hi == nil || x.Cmp(hi) > 0 {
			hi = x
		}
	}
	return lo, hi
}

// lcmDenoms returns the least common multiple of the denominators of rs.
func lcmDenoms(rs ...*big.Rat) *big.Int {
	d := big.NewInt(1)
	g := new(big.Int)
	for _, r := range rs {
		if r == nil {
			continue
		}
		den := r.Denom()
		g.GCD(nil, nil, d, den)
		d.Mul(d, new(big.Int).Quo(den, g))
	}
	return d
}

// scale returns r·D as an integer (D must be a multiple of r's denominator).
func scaleRat(r *big.Rat, d *big.Int) *big.Int {
	n := new(big.Int).Mul(r.Num(), d)
	return n.Quo(n, r.Denom())
}

// ulpBound returns the float64 distance |x − r|, rounded up generously.
func distance(x float64, r *big.Rat) float64 {
	d := new(big.Rat).Sub(new(big.Rat).SetFloat64(x), r)
	f, _ := d.Abs(d).Float64()
	return f * (1 + 1e-12)
}

// newAdditiveForm builds the exact form of an additive function from exact
// terms, and bounds the error of the float terms fl (summed left to right
// from cfl, as Additive.Utility does).
func newAdditiveForm(c *big.Rat, terms [][]*big.Rat, cfl float64, fl [][]float64) *ExactForm {
	all := []*big.Rat{c}
	for _, ts := range terms {
		all = append(all, ts...)
	}
	d := lcmDenoms(all...)
	e := &ExactForm{Denom: d, Const: scaleRat(c, d), Terms: make([][]*big.Int, len(terms))}
	// Error: the terms' own error plus the summation's.
	termErr := distance(cfl, c)
	mag := math.Abs(cfl)
	maxAbs := new(big.Int).Abs(e.Const)
	for i, ts := range terms {
		e.Terms[i] = make([]*big.Int, len(ts))
		worst, big1 := 0.0, 0.0
		largest := new(big.Int)
		for k, t := range ts {
			e.Terms[i][k] = scaleRat(t, d)
			worst = math.Max(worst, distance(fl[i][k], t))
			big1 = math.Max(big1, math.Abs(fl[i][k]))
			if a := new(big.Int).Abs(e.Terms[i][k]); a.Cmp(largest) > 0 {
				largest = a
			}
		}
		termErr += worst
		mag += big1
		maxAbs.Add(maxAbs, largest)
	}
	e.Min, e.Max = new(big.Int).Set(e.Const), new(big.Int).Set(e.Const)
	for _, ts := range e.Terms {
		lo, hi := ts[0], ts[0]
		for _, t := range ts {
			if t.Cmp(lo) < 0 {
				lo = t
			}
			if t.Cmp(hi) > 0 {
				hi = t
			}
		}
		e.Min.Add(e.Min, lo)
		e.Max.Add(e.Max, hi)
	}
	m := float64(len(terms) + 2)
	e.Bound = 2 * (termErr + m*0x1p-53*mag*(1+1e-9))
	if maxAbs.BitLen() <= 62 {
		e.Fits64 = true
		e.Const64 = e.Const.Int64()
		e.Terms64 = make([][]int64, len(e.Terms))
		for i, ts := range e.Terms {
			e.Terms64[i] = make([]int64, len(ts))
			for k, t := range ts {
				e.Terms64[i][k] = t.Int64()
			}
		}
	}
	return e
}

// exactOnce caches an exact form.
type exactOnce struct {
	once sync.Once
	form *ExactForm
}

func (x *exactOnce) get(build func() *ExactForm) *ExactForm {
	x.once.Do(func() { x.form = build() })
	return x.form
}

// Scaled64 returns D·u(o) as an int64 when the form is additive and fits
// 64 bits; ok is false otherwise.
func (e *ExactForm) Scaled64(o []int) (v int64, ok bool) {
	if !e.Fits64 {
		return 0, false
	}
	s := e.Const64
	for i, k := range o {
		s += e.Terms64[i][k]
	}
	return s, true
}

// Bounded62 reports whether every D·u(o) is known to lie within ±2^62.
func (e *ExactForm) Bounded62() bool {
	if e.Fits64 {
		return true
	}
	return e.Min != nil && e.Max != nil && e.Min.BitLen() <= 62 && e.Max.BitLen() <= 62
}
