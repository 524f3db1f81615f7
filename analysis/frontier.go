package analysis

import (
	"cmp"
	"math"
	"math/big"
	"slices"
)

// sortPoints orders frontier points by exact welfare, then by exact
// utilities in lexicographic order (both highest first), then by index.
// Float welfare decides when it differs by more than its rounding error
// could explain, so the order is the exact one.
func sortPoints(pts []Point) {
	if len(pts) < 2 {
		return
	}
	mag := 0.0
	for i := range pts {
		s := 0.0
		for _, u := range pts[i].Utilities {
			s += math.Abs(u)
		}
		mag = math.Max(mag, s)
	}
	tol := screenTol * (1 + mag)
	exactW := make(map[*big.Int]*big.Rat)
	welfare := func(p *Point) *big.Rat {
		w, ok := exactW[p.Index]
		if !ok {
			w = p.ExactWelfare()
			exactW[p.Index] = w
		}
		return w
	}
	slices.SortFunc(pts, func(a, b Point) int {
		wa, wb := a.Welfare(), b.Welfare()
		if wa > wb+tol {
			return -1
		}
		if wb > wa+tol {
			return 1
		}
		if c := welfare(&b).Cmp(welfare(&a)); c != 0 {
			return c
		}
		for i := range a.Exact {
			if c := b.Exact[i].Cmp(a.Exact[i]); c != 0 {
				return c
			}
		}
		return a.Index.Cmp(b.Index)
	})
}

// buckets is the two-party filter. Outcomes are bucketed by their float u₁
// with a monotone map; top[b] is the largest float u₂ among rational
// outcomes in buckets ≥ b (after close). Floats are within delta of the exact
// utilities, so the filter only drops an outcome p when some rational q is
// two buckets higher (so, buckets being wider than 4·delta₁, exactly better
// for party 1) and its float u₂ beats p's by more than 2·delta₂ (so exactly
// better for party 2): p is then strictly dominated.
type buckets struct {
	lo, scale float64
	n         int
	top       []float64
	enabled   bool
}

// newBuckets makes about one bucket per 8 outcomes, from 16 to 65,536,
// over [lo, hi]; delta bounds the float error of u₁.
func newBuckets(lo, hi float64, outcomes int64, delta float64) *buckets {
	n := int(min(max(outcomes/8, 16), 1<<16))
	b := &buckets{lo: lo, n: n, top: make([]float64, n+2)}
	width := (hi - lo) / float64(n-1)
	if hi > lo && width > 4*delta+1e-12*(math.Abs(hi)+math.Abs(lo)) {
		b.scale = float64(n-1) / (hi - lo)
		b.enabled = true
	}
	for i := range b.top {
		b.top[i] = math.Inf(-1)
	}
	return b
}

func (b *buckets) bucket(u1 float64) int {
	k := int((u1 - b.lo) * b.scale)
	return min(max(k, 0), b.n-1)
}

func (b *buckets) observe(u1, u2 float64) {
	k := b.bucket(u1)
	if u2 > b.top[k] {
		b.top[k] = u2
	}
}

// close turns per-bucket maxima into suffix maxima.
func (b *buckets) close() {
	for k := b.n - 1; k >= 0; k-- {
		b.top[k] = math.Max(b.top[k], b.top[k+1])
	}
}

// survives reports whether (u1, u2) may be on the frontier.
func (b *buckets) survives(u1, u2, delta2 float64) bool {
	if !b.enabled {
		return true
	}
	return !(u2+2*delta2*(1+1e-9) < b.top[b.bucket(u1)+2])
}

// frontier2 is the two-party frontier. The accumulator's pass filled the
// buckets; a second pass keeps the rational outcomes that survive the
// filter, with their exact utilities; the survivors are sorted by exact
// (u₁, u₂) descending and swept, keeping each whose u₂ beats every one
// before it and counting equal vectors into their point.
func frontier2(c *cells, sc *scan, acc *accumulator) []Point {
	if acc.rationalCount().Sign() == 0 {
		return nil
	}
	sp := c.sp
	b := acc.b2
	b.close()
	v := newVectors(acc.parties, c)
	delta2 := acc.parties[1].delta
	sc.each(func(start int64, us [][]float64, _ []int64) {
		u1s, u2s := us[0], us[1]
		for k, u1 := range u1s {
			if !b.survives(u1, u2s[k], delta2) || !acc.isRational(start+int64(k), us, k) {
				continue
			}
			acc.o = sp.Outcome(start+int64(k), acc.o)
			v.add(start+int64(k), acc.o)
		}
	})
	order := make([]int, v.len())
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, v.lexDesc)
	var reps []int
	var counts []*big.Int
	for _, a := range order {
		if len(reps) == 0 || v.cmp(a, reps[len(reps)-1], 1) > 0 {
			reps = append(reps, a)
			counts = append(counts, v.weight(a))
			continue
		}
		if v.equal(a, reps[len(reps)-1]) {
			counts[len(counts)-1].Add(counts[len(counts)-1], v.weight(a))
		}
	}
	return points(c, v, reps, counts)
}

// frontierN is the frontier for any number of parties, by
// sort-filter-skyline: candidates sorted by a score that never decreases
// when a utility increases (then lexicographically, descending) can only
// be dominated by candidates before them, so each is compared with the
// frontier found so far. A first pass on floats drops the candidates that
// some kept candidate beats by more than twice the float error on every
// utility (surely dominated, exactly); the survivors get exact utilities
// and a second, exact pass.
func frontierN(c *cells, acc *accumulator) []Point {
	n := acc.n
	if len(acc.candIdx) == 0 {
		return nil
	}
	margin := make([]float64, n)
	for i, p := range acc.parties {
		margin[i] = 2 * p.delta * (1 + 1e-9)
	}
	u := func(k int) []float64 { return acc.candU[k*n : k*n+n] }
	fscore := make([]float64, len(acc.candIdx))
	forder := make([]int, len(acc.candIdx))
	for k := range forder {
		forder[k] = k
		for _, x := range u(k) {
			fscore[k] += x
		}
	}
	slices.SortFunc(forder, func(a, b int) int { return cmp.Compare(fscore[b], fscore[a]) })
	var kept []int
	surely := func(q, p []float64) bool {
		for i := range q {
			if !(q[i] > p[i]+margin[i]) {
				return false
			}
		}
		return true
	}
	v := newVectors(acc.parties, c)
screen:
	for _, k := range forder {
		uk := u(k)
		for _, q := range kept {
			if surely(u(q), uk) {
				continue screen
			}
		}
		kept = append(kept, k)
		acc.o = c.sp.Outcome(acc.candIdx[k], acc.o)
		v.add(acc.candIdx[k], acc.o)
	}
	return skyline(c, v)
}

// skyline is the exact sort-filter-skyline over the candidates of v.
func skyline(c *cells, v *vectors) []Point {
	scores := make([]float64, v.len())
	order := make([]int, v.len())
	for a := range order {
		order[a] = a
		scores[a] = v.score(a)
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(scores[b], scores[a]); c != 0 {
			return c
		}
		return v.lexDesc(a, b)
	})
	var reps []int
	var counts []*big.Int
next:
	for _, a := range order {
		if len(reps) > 0 && v.equal(a, reps[len(reps)-1]) {
			counts[len(counts)-1].Add(counts[len(counts)-1], v.weight(a))
			continue
		}
		for _, q := range reps {
			if v.dominates(q, a) {
				continue next
			}
		}
		reps = append(reps, a)
		counts = append(counts, v.weight(a))
	}
	return points(c, v, reps, counts)
}
