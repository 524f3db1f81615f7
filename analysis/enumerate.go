package analysis

import (
	"fmt"
	"math"
	"math/big"

	"parley"
	"parley/space"
	"parley/utility"
)

// check refuses enumerations beyond the limit, naming the size.
func (c *cells) check(opts Options, n int) error {
	size, ok := c.sp.Len()
	limit := opts.MaxCells
	if limit <= 0 {
		limit = DefaultMaxCells
	}
	if ok && size <= limit/int64(n) {
		return nil
	}
	extra := ""
	if !c.trivial {
		extra = fmt.Sprintf(" (%s cells of interchangeable values)", c.sp.BigLen())
	}
	return parley.Errorf(parley.EUNSUPPORTED,
		"the space has %s outcomes%s; enumeration handles at most %d for %d participants (the merge method handles larger spaces of linear additive preferences)",
		c.orig.BigLen().String(), extra, limit/int64(n), n)
}

// enumerate fills r's counts and frontier by evaluating every cell of c.
func enumerate(r *Result, c *cells, parties []*party) error {
	n := len(parties)
	size, _ := c.sp.Len()
	parties = c.restrict(parties)
	profiles := make([]*utility.Profile, n)
	for i, p := range parties {
		profiles[i] = p.prof
	}
	sc := newScan(c, profiles)
	acc := newAccumulator(c, parties, size)
	sc.each(acc.add)
	r.Opposition = math.Sqrt(acc.opp) / math.Sqrt(float64(n))
	r.RationalBig = acc.rationalCount()
	r.Rational = -1
	if r.RationalBig.IsInt64() {
		r.Rational = r.RationalBig.Int64()
	}
	if n == 2 {
		r.Pareto = frontier2(c, sc, acc)
	} else {
		r.Pareto = frontierN(c, acc)
	}
	return nil
}

// scan walks a space block by block: a block is every outcome sharing the
// values of the first m issues, small enough to stay in cache. Utilities are
// computed per block, so memory does not grow with the space.
type scan struct {
	c        *cells
	sp       *space.Space
	profiles []*utility.Profile
	m        int   // issues fixed per block
	blocks   int64 // number of blocks
	size     int   // outcomes per block
}

// blockTarget is the largest block the scan builds (when issues allow);
// a variable so tests can force many small blocks.
var blockTarget = 1 << 14

func newScan(c *cells, profiles []*utility.Profile) *scan {
	sp := c.sp
	s := &scan{c: c, sp: sp, profiles: profiles, m: sp.Issues(), blocks: 1, size: 1}
	for s.m > 0 && (s.size*sp.Card(s.m-1) <= blockTarget || s.size == 1) {
		s.m--
		s.size *= sp.Card(s.m)
	}
	for i := 0; i < s.m; i++ {
		s.blocks *= int64(sp.Card(i))
	}
	return s
}

// each calls fn for every block with the index of its first outcome, the
// float utilities of its outcomes per party, and their weights (the number
// of original outcomes each stands for; nil when all are 1 or the weights
// do not fit int64). Slices are reused between calls.
func (s *scan) each(fn func(start int64, us [][]float64, ws []int64)) {
	us := make([][]float64, len(s.profiles))
	for i := range us {
		us[i] = make([]float64, s.size)
	}
	var ws []int64
	if !s.c.trivial && s.c.small {
		ws = make([]int64, s.size)
	}
	prefix := make([]int, s.m)
	for b := int64(0); b < s.blocks; b++ {
		for i, p := range s.profiles {
			utility.FillBlock(p.Func, s.sp, prefix, us[i])
		}
		if ws != nil {
			s.c.weightBlock(prefix, ws)
		}
		fn(b*int64(s.size), us, ws)
		for i := s.m - 1; i >= 0; i-- {
			prefix[i]++
			if prefix[i] < s.sp.Card(i) {
				break
			}
			prefix[i] = 0
		}
	}
}

// accumulator gathers, in one pass over the space, the opposition, the
// number of rational outcomes and what each frontier algorithm needs: for
// two parties the largest u₂ per u₁ bucket, for other counts the exact
// utilities of the rational outcomes.
type accumulator struct {
	c        *cells
	sp       *space.Space
	parties  []*party
	n        int
	lo, hi   []float64
	opp      float64   // smallest squared normalised distance to the ideal point
	rational int64     // rational outcomes (original ones, weighted), when the space is small
	bigRat   *big.Int  // the same, for spaces beyond int64
	b2       *buckets  // two parties
	candIdx  []int64   // other counts: rational outcomes
	candU    []float64 // and their float utilities, n per outcome
	o        []int
	tmp      *big.Int
}

func newAccumulator(c *cells, parties []*party, outcomes int64) *accumulator {
	n := len(parties)
	sp := c.sp
	a := &accumulator{c: c, sp: sp, parties: parties, n: n, opp: math.Inf(1), bigRat: new(big.Int),
		lo: make([]float64, n), hi: make([]float64, n), o: make([]int, sp.Issues()), tmp: new(big.Int)}
	for i, p := range parties {
		a.lo[i], a.hi[i] = p.prof.Func.Range()
	}
	if n == 2 {
		a.b2 = newBuckets(a.lo[0], a.hi[0], outcomes, parties[0].delta)
	}
	return a
}

// rationalCount returns the number of rational original outcomes.
func (a *accumulator) rationalCount() *big.Int {
	if a.c.small {
		return big.NewInt(a.rational)
	}
	return a.bigRat
}

// count adds the weight of compressed outcome idx to the rational count.
func (a *accumulator) count(idx int64, ws []int64, k int) {
	switch {
	case a.c.trivial:
		a.rational++
	case ws != nil:
		a.rational += ws[k]
	default:
		a.o = a.sp.Outcome(idx, a.o)
		a.bigRat.Add(a.bigRat, a.c.weight(a.o))
	}
}

// isRational decides exactly whether outcome idx is rational, using its
// float utilities us[·][k] and falling back to exact arithmetic only when a
// float is too close to a reservation value to tell.
func (a *accumulator) isRational(idx int64, us [][]float64, k int) bool {
	decoded := false
	for i, p := range a.parties {
		switch p.classify(us[i][k]) {
		case -1:
			return false
		case 0:
			if !decoded {
				a.o = a.sp.Outcome(idx, a.o)
				decoded = true
			}
			if !p.rationalExact(a.o, a.tmp) {
				return false
			}
		}
	}
	return true
}

func (a *accumulator) add(start int64, us [][]float64, ws []int64) {
	n := a.n
	for k := range us[0] {
		d := 0.0
		for i := 0; i < n; i++ {
			if a.hi[i] > a.lo[i] {
				g := (a.hi[i] - us[i][k]) / (a.hi[i] - a.lo[i])
				d += g * g
			}
		}
		if d < a.opp {
			a.opp = d
		}
		if !a.isRational(start+int64(k), us, k) {
			continue
		}
		a.count(start+int64(k), ws, k)
		if n == 2 {
			a.b2.observe(us[0][k], us[1][k])
			continue
		}
		a.candIdx = append(a.candIdx, start+int64(k))
		for i := 0; i < n; i++ {
			a.candU = append(a.candU, us[i][k])
		}
	}
}
