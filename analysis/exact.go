package analysis

import (
	"math"
	"math/big"

	"parley"
	"parley/utility"
)

// party is a participant as analysis sees it: a float64 utility for speed,
// and an exact form that decides every comparison the float cannot decide
// for sure.
type party struct {
	prof  *utility.Profile
	form  *utility.ExactForm
	delta float64 // |float utility − exact utility| ≤ delta everywhere

	hasRes  bool
	resF    float64  // the reservation as a float
	margin  float64  // floats farther than this from resF are classified without exact arithmetic
	resCeil *big.Int // ceil(D·r): u ≥ r ⇔ D·u ≥ resCeil
	res     *big.Rat // exact reservation

	min, max, d *big.Rat // exact range and disagreement value
}

func newParty(p *utility.Profile, ignoreRes bool) (*party, error) {
	ex, ok := p.Func.(utility.Exact)
	if !ok {
		return nil, parley.Errorf(parley.EUNSUPPORTED, "party %q: its utility function has no exact form", p.Name)
	}
	pt := &party{prof: p, form: ex.ExactForm()}
	pt.delta = pt.form.Bound
	if pt.form.Min != nil {
		pt.min = new(big.Rat).SetFrac(pt.form.Min, pt.form.Denom)
		pt.max = new(big.Rat).SetFrac(pt.form.Max, pt.form.Denom)
	} else {
		lo, hi := p.Func.Range()
		pt.min, pt.max = utility.DecimalRat(lo), utility.DecimalRat(hi)
	}
	pt.d = pt.min
	if p.HasReservation && !ignoreRes {
		pt.hasRes = true
		pt.resF = p.Reservation
		pt.res = utility.DecimalRat(p.Reservation)
		_, pt.resCeil = pt.form.ScaledRat(pt.res)
		resErr := math.Abs(p.Reservation) * 0x1p-52
		pt.margin = (pt.delta+resErr)*(1+1e-6) + 0x1p-50*math.Abs(p.Reservation)
		if pt.res.Cmp(pt.min) > 0 {
			pt.d = pt.res
		}
	}
	return pt, nil
}

// classify says whether float utility u is surely at least the reservation
// (+1), surely below it (−1), or too close to tell without exact arithmetic
// (0).
func (p *party) classify(u float64) int {
	switch {
	case !p.hasRes:
		return 1
	case u >= p.resF+p.margin:
		return 1
	case u < p.resF-p.margin:
		return -1
	}
	return 0
}

// rationalExact decides u(o) ≥ r exactly.
func (p *party) rationalExact(o []int, tmp *big.Int) bool {
	if !p.hasRes {
		return true
	}
	return p.form.Scaled(o, tmp).Cmp(p.resCeil) >= 0
}

// vectors holds exact scaled utility vectors of candidate outcomes, as
// int64 when every party's values fit, big integers otherwise.
type vectors struct {
	parties []*party
	n       int
	small   bool
	i64     []int64
	bigs    []*big.Int
	idx     []int64
	den     []float64 // each party's denominator as a float
	c       *cells
}

func newVectors(parties []*party, c *cells) *vectors {
	v := &vectors{parties: parties, n: len(parties), small: true, c: c}
	for _, p := range parties {
		d, _ := new(big.Float).SetInt(p.form.Denom).Float64()
		v.den = append(v.den, d)
		if !p.form.Bounded62() {
			v.small = false
		}
	}
	return v
}

func (v *vectors) len() int { return len(v.idx) }

// add appends the exact vector of outcome o (with index idx).
func (v *vectors) add(idx int64, o []int) {
	v.idx = append(v.idx, idx)
	for _, p := range v.parties {
		if v.small {
			if x, ok := p.form.Scaled64(o); ok {
				v.i64 = append(v.i64, x)
			} else {
				v.i64 = append(v.i64, p.form.Scaled(o, new(big.Int)).Int64())
			}
		} else {
			v.bigs = append(v.bigs, p.form.Scaled(o, new(big.Int)))
		}
	}
}

// weight is the number of original outcomes candidate a stands for.
func (v *vectors) weight(a int) *big.Int {
	if v.c.trivial {
		return big.NewInt(1)
	}
	return v.c.weight(v.c.sp.Outcome(v.idx[a], nil))
}

// cmp compares party i's utility in candidates a and b.
func (v *vectors) cmp(a, b, i int) int {
	if v.small {
		x, y := v.i64[a*v.n+i], v.i64[b*v.n+i]
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return v.bigs[a*v.n+i].Cmp(v.bigs[b*v.n+i])
}

// equal reports whether candidates a and b have the same utilities.
func (v *vectors) equal(a, b int) bool {
	for i := 0; i < v.n; i++ {
		if v.cmp(a, b, i) != 0 {
			return false
		}
	}
	return true
}

// dominates reports whether a is at least as good as b for every party and
// better for one.
func (v *vectors) dominates(a, b int) bool {
	strict := false
	for i := 0; i < v.n; i++ {
		switch v.cmp(a, b, i) {
		case -1:
			return false
		case 1:
			strict = true
		}
	}
	return strict
}

// lexDesc orders candidates by utilities in lexicographic order, highest
// first, then by index.
func (v *vectors) lexDesc(a, b int) int {
	for i := 0; i < v.n; i++ {
		if c := v.cmp(b, a, i); c != 0 {
			return c
		}
	}
	switch {
	case v.idx[a] < v.idx[b]:
		return -1
	case v.idx[a] > v.idx[b]:
		return 1
	}
	return 0
}

// rat returns party i's exact utility in candidate a.
func (v *vectors) rat(a, i int) *big.Rat {
	var num *big.Int
	if v.small {
		num = big.NewInt(v.i64[a*v.n+i])
	} else {
		num = v.bigs[a*v.n+i]
	}
	return new(big.Rat).SetFrac(num, v.parties[i].form.Denom)
}

// score is a float that never decreases when any utility increases: the sum
// of the utilities rounded to float64.
func (v *vectors) score(a int) float64 {
	s := 0.0
	for i := 0; i < v.n; i++ {
		if v.small {
			s += float64(v.i64[a*v.n+i]) / v.den[i]
			continue
		}
		f, _ := v.rat(a, i).Float64()
		s += f
	}
	return s
}
