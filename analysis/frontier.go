package analysis

import (
	"cmp"
	"math"
	"slices"

	"parley/space"
)

func sortPoints(pts []Point) {
	slices.SortFunc(pts, func(a, b Point) int {
		if c := cmp.Compare(b.Welfare(), a.Welfare()); c != 0 {
			return c
		}
		for i := range a.Utilities {
			if c := cmp.Compare(b.Utilities[i], a.Utilities[i]); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.Index, b.Index)
	})
}

// buckets is the two-party filter: outcomes are bucketed by u₁ with a
// monotone map, so an outcome in a higher bucket has a strictly higher u₁.
// top[b] is the largest u₂ seen in buckets ≥ b (after close). An outcome
// whose u₂ is at most top of the next bucket is dominated.
type buckets struct {
	lo, scale float64
	n         int
	top       []float64
}

// newBuckets makes about one bucket per 8 outcomes, from 16 to 65,536.
func newBuckets(lo, hi float64, outcomes int64) *buckets {
	n := int(min(max(outcomes/8, 16), 1<<16))
	b := &buckets{lo: lo, n: n, top: make([]float64, n+1)}
	if hi > lo {
		b.scale = float64(n-1) / (hi - lo)
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
	for k := b.n - 2; k >= 0; k-- {
		b.top[k] = math.Max(b.top[k], b.top[k+1])
	}
}

// survives reports whether (u1, u2) may be on the frontier.
func (b *buckets) survives(u1, u2 float64) bool { return u2 > b.top[b.bucket(u1)+1] }

type cand2 struct {
	idx    int64
	u1, u2 float64
}

// frontier2 is the two-party frontier. A first pass (done by the
// accumulator) fills the buckets; a second pass over the space keeps the
// rational outcomes that survive the bucket filter; the survivors are sorted
// by (u₁, u₂) descending and swept, keeping each point whose u₂ beats every
// point before it and counting equal vectors into their point.
func frontier2(sp *space.Space, sc *scan, acc *accumulator) []Point {
	if acc.rational == 0 {
		return nil
	}
	b := acc.b2
	b.close()
	var surv []cand2
	res := acc.res
	sc.each(func(start int64, us [][]float64) {
		u1s, u2s := us[0], us[1]
		for k, u1 := range u1s {
			u2 := u2s[k]
			if u1 >= res[0] && u2 >= res[1] && b.survives(u1, u2) {
				surv = append(surv, cand2{start + int64(k), u1, u2})
			}
		}
	})
	slices.SortFunc(surv, func(a, b cand2) int {
		if c := cmp.Compare(b.u1, a.u1); c != 0 {
			return c
		}
		if c := cmp.Compare(b.u2, a.u2); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	var pts []Point
	best := math.Inf(-1)
	for _, c := range surv {
		if c.u2 > best {
			best = c.u2
			pts = append(pts, Point{Index: c.idx, Outcome: sp.Outcome(c.idx, nil), Utilities: []float64{c.u1, c.u2}, Count: 1})
			continue
		}
		last := &pts[len(pts)-1]
		if c.u1 == last.Utilities[0] && c.u2 == last.Utilities[1] {
			last.Count++
		}
	}
	return pts
}

// frontierN is the frontier for any number of parties, by
// sort-filter-skyline: rational outcomes sorted by welfare (then
// lexicographically) descending can only be dominated by outcomes before
// them, so each is compared with the frontier found so far. idx holds the
// outcomes' indices and us their utilities, n per outcome.
func frontierN(sp *space.Space, n int, idx []int64, us []float64) []Point {
	if len(idx) == 0 {
		return nil
	}
	u := func(k int32) []float64 { return us[int(k)*n : int(k)*n+n] }
	sums := make([]float64, len(idx))
	order := make([]int32, len(idx))
	for k := range idx {
		order[k] = int32(k)
		s := 0.0
		for _, x := range u(int32(k)) {
			s += x
		}
		sums[k] = s
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(sums[b], sums[a]); c != 0 {
			return c
		}
		ua, ub := u(a), u(b)
		for i := 0; i < n; i++ {
			if c := cmp.Compare(ub[i], ua[i]); c != 0 {
				return c
			}
		}
		return cmp.Compare(idx[a], idx[b])
	})
	var pts []Point
	var sky []int32
next:
	for _, k := range order {
		uk := u(k)
		if len(sky) > 0 && slices.Equal(uk, u(sky[len(sky)-1])) {
			pts[len(pts)-1].Count++
			continue
		}
		for _, q := range sky {
			if dominates(u(q), uk) {
				continue next
			}
		}
		sky = append(sky, k)
		pts = append(pts, Point{Index: idx[k], Outcome: sp.Outcome(idx[k], nil), Utilities: slices.Clone(uk), Count: 1})
	}
	return pts
}

// dominates reports whether a is at least as good as b for every party and
// better for one.
func dominates(a, b []float64) bool {
	strict := false
	for i := range a {
		if a[i] < b[i] {
			return false
		}
		if a[i] > b[i] {
			strict = true
		}
	}
	return strict
}
