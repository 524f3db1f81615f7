package analysis

import (
	"math/big"

	"parley/space"
	"parley/utility"
)

// cells compresses a space before enumeration. On each issue, values that
// every participant finds interchangeable (utility.ValueClasses) form one
// class; an outcome of the compressed space is a cell of original outcomes
// with identical utilities for everyone, standing for the product of its
// classes' sizes. Classes are ordered by their smallest value, which
// represents them, so the compressed order of cells is the order of their
// smallest outcomes.
type cells struct {
	orig  *space.Space
	sp    *space.Space
	reps  [][]int   // per issue: class → its smallest value
	sizes [][]int64 // per issue: class → number of values
	// trivial: every class has one value (the compressed space is the
	// original one).
	trivial bool
	// small: the original space has at most MaxInt64 outcomes, so every
	// weight and count fits an int64.
	small bool
}

func newCells(sp *space.Space, profiles []*utility.Profile) *cells {
	c := &cells{orig: sp, trivial: true}
	_, c.small = sp.Len()
	cards := make([]int, sp.Issues())
	for i := 0; i < sp.Issues(); i++ {
		card := sp.Card(i)
		per := make([][]int, len(profiles))
		for j, p := range profiles {
			per[j] = utility.ValueClasses(p.Func, i, card)
		}
		index := map[string]int{}
		key := make([]byte, 0, 8*len(profiles))
		var reps []int
		var sizes []int64
		for k := 0; k < card; k++ {
			key = key[:0]
			for j := range profiles {
				id := per[j][k]
				key = append(key, byte(id), byte(id>>8), byte(id>>16), byte(id>>24), ',')
			}
			cl, ok := index[string(key)]
			if !ok {
				cl = len(reps)
				index[string(key)] = cl
				reps = append(reps, k)
				sizes = append(sizes, 0)
			}
			sizes[cl]++
		}
		if len(reps) < card {
			c.trivial = false
		}
		c.reps = append(c.reps, reps)
		c.sizes = append(c.sizes, sizes)
		cards[i] = len(reps)
	}
	c.sp, _ = space.New(cards)
	return c
}

// restrict returns the parties over the compressed space.
func (c *cells) restrict(parties []*party) []*party {
	if c.trivial {
		return parties
	}
	out := make([]*party, len(parties))
	for i, p := range parties {
		prof := *p.prof
		prof.Func = utility.Restrict(p.prof.Func, c.reps)
		q := *p
		q.prof = &prof
		q.form = prof.Func.(utility.Exact).ExactForm()
		out[i] = &q
	}
	return out
}

// original maps a compressed outcome to its smallest original outcome.
func (c *cells) original(o []int) []int {
	out := make([]int, len(o))
	for i, k := range o {
		out[i] = c.reps[i][k]
	}
	return out
}

// weight is the number of original outcomes in cell o, as a big integer.
func (c *cells) weight(o []int) *big.Int {
	w := big.NewInt(1)
	for i, k := range o {
		if s := c.sizes[i][k]; s != 1 {
			w.Mul(w, big.NewInt(s))
		}
	}
	return w
}

// weightBlock writes the weights of the cells that start with prefix (the
// first len(prefix) issues), in index order, as int64; only for small
// spaces.
func (c *cells) weightBlock(prefix []int, dst []int64) {
	base := int64(1)
	for i, k := range prefix {
		base *= c.sizes[i][k]
	}
	dst[0] = base
	n := 1
	for _, ss := range c.sizes[len(prefix):] {
		m := len(ss)
		for j := n - 1; j >= 0; j-- {
			b := dst[j]
			out := dst[j*m : j*m+m]
			for k, s := range ss {
				out[k] = b * s
			}
		}
		n *= m
	}
}

// point builds a frontier point from candidate a of v (over the compressed
// space) with the given count.
func (c *cells) point(v *vectors, a int, count *big.Int) Point {
	co := c.sp.Outcome(v.idx[a], nil)
	o := c.original(co)
	p := Point{Outcome: o, Index: bigIndex(c.orig, o), Count: count,
		Utilities: make([]float64, v.n), Exact: make([]*big.Rat, v.n)}
	for i := 0; i < v.n; i++ {
		p.Exact[i] = v.rat(a, i)
		p.Utilities[i], _ = p.Exact[i].Float64()
	}
	return p
}
