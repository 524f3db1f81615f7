package analysis

import (
	"cmp"
	"math"
	"math/big"
	"math/bits"
	"slices"

	"parley/space"
)

// merge finds the frontier of linear additive preferences issue by issue —
// the Pareto filter of a Minkowski sum, as in bi-objective multiple-choice
// knapsack dynamic programming (Nemhauser–Ullmann; Bazgan, Hugot &
// Vanderpooten 2009). Utilities are exact scaled integers (each party's
// ExactForm fits int64). Level j holds the non-dominated partial sums of the
// first j issues with, for each, the number of prefixes reaching it and a
// back-pointer to its lexicographically smallest prefix.
//
// Pruning is safe: a partial sum dominated by another partial sum over the
// same issues has every completion dominated by the same completion of the
// other (and that one is rational whenever the first is); a partial sum
// that cannot reach some party's reservation value even with that party's
// best value on every remaining issue has no rational completion; a value
// dominated by another value of the same issue can be swapped for it in any
// outcome, giving a dominating outcome. None of the dropped outcomes can
// have the utilities of a frontier point: such an outcome would be strictly
// dominated, and so would the point.
func merge(r *Result, sp *space.Space, parties []*party) error {
	hasRes := false
	for _, p := range parties {
		hasRes = hasRes || p.hasRes
	}
	// Choose the integer width from the largest partial sum any party can
	// reach.
	bitsNeeded := 0
	for _, p := range parties {
		total := new(big.Int).Abs(p.form.Const)
		for _, ts := range p.form.Terms {
			largest := new(big.Int)
			for _, t := range ts {
				if a := new(big.Int).Abs(t); a.Cmp(largest) > 0 {
					largest = a
				}
			}
			total.Add(total, largest)
		}
		bitsNeeded = max(bitsNeeded, total.BitLen())
	}
	shift := uint(max(0, bitsNeeded-62))
	run := func(useRes bool) []Point {
		switch {
		case bitsNeeded <= 62:
			return mergeFrontier(sp, parties, useRes, toI64, shift)
		case bitsNeeded <= 125:
			return mergeFrontier(sp, parties, useRes, toI128, shift)
		}
		return mergeFrontier(sp, parties, useRes, toBig, shift)
	}
	front := run(true)
	r.Pareto = front
	r.Rational = -1
	// The point closest to the ideal lies on the frontier of all outcomes.
	all := front
	if hasRes {
		all = run(false)
	}
	r.Opposition = mergeOpposition(all, r.ExactMin, r.ExactMax)
	return nil
}

func mergeOpposition(pts []Point, lo, hi []*big.Rat) float64 {
	n := len(lo)
	flo, fhi := make([]float64, n), make([]float64, n)
	for i := range lo {
		flo[i], _ = lo[i].Float64()
		fhi[i], _ = hi[i].Float64()
	}
	best := math.Inf(1)
	for _, p := range pts {
		d := 0.0
		for i := 0; i < n; i++ {
			if fhi[i] > flo[i] {
				g := (fhi[i] - p.Utilities[i]) / (fhi[i] - flo[i])
				d += g * g
			}
		}
		best = math.Min(best, d)
	}
	return math.Sqrt(best) / math.Sqrt(float64(n))
}

// level is one stage of the merge: points stored flat, n utilities each.
type level[T num[T]] struct {
	vec    []T
	count  []uint64
	big    map[int]*big.Int // counts that overflowed uint64
	parent []int32
	value  []int32
	rank   []int32 // order of the points' smallest prefixes
}

func (l *level[T]) len() int { return len(l.count) }

func (l *level[T]) bigCount(i int) *big.Int {
	if b, ok := l.big[i]; ok {
		return b
	}
	return new(big.Int).SetUint64(l.count[i])
}

// addProduct adds to point k's count the count of point parent of prev
// times mult, in uint64 until it overflows, then in big integers.
func (l *level[T]) addProduct(k int, prev *level[T], parent int, mult uint64) {
	hi, lo := bits.Mul64(prev.count[parent], mult)
	_, parentBig := prev.big[parent]
	if hi != 0 || parentBig {
		x := new(big.Int).Mul(prev.bigCount(parent), new(big.Int).SetUint64(mult))
		l.big[k] = x.Add(x, l.bigCount(k))
		return
	}
	if b, ok := l.big[k]; ok {
		b.Add(b, new(big.Int).SetUint64(lo))
		return
	}
	sum, carry := bits.Add64(l.count[k], lo, 0)
	if carry != 0 {
		x := new(big.Int).SetUint64(l.count[k])
		l.big[k] = x.Add(x, new(big.Int).SetUint64(lo))
		return
	}
	l.count[k] = sum
}

// issueVec is a Pareto-optimal value vector of one issue.
type issueVec[T num[T]] struct {
	vec   []T
	count uint64 // values with exactly this vector
	value int32  // the smallest of them
}

// issueVectors returns the non-dominated value vectors of issue j, equal
// vectors merged.
func issueVectors[T num[T]](parties []*party, j, card int, conv func(*big.Int) T) []issueVec[T] {
	n := len(parties)
	var out []issueVec[T]
next:
	for k := 0; k < card; k++ {
		v := make([]T, n)
		for i, p := range parties {
			v[i] = conv(p.form.Terms[j][k])
		}
		for q := range out {
			if equalVec(out[q].vec, v) {
				out[q].count++
				continue next
			}
		}
		out = append(out, issueVec[T]{vec: v, count: 1, value: int32(k)})
	}
	var kept []issueVec[T]
	for a := range out {
		dominated := false
		for b := range out {
			if dominatesVec(out[b].vec, out[a].vec) {
				dominated = true
				break
			}
		}
		if !dominated {
			kept = append(kept, out[a])
		}
	}
	return kept
}

func dominatesVec[T num[T]](a, b []T) bool {
	strict := false
	for i := range a {
		switch a[i].cmp(b[i]) {
		case -1:
			return false
		case 1:
			strict = true
		}
	}
	return strict
}

func equalVec[T num[T]](a, b []T) bool {
	for i := range a {
		if a[i].cmp(b[i]) != 0 {
			return false
		}
	}
	return true
}

func mergeFrontier[T num[T]](sp *space.Space, parties []*party, useRes bool, conv func(*big.Int) T, shift uint) []Point {
	n := len(parties)
	m := sp.Issues()
	// rem[j][i]: party i's best total over issues j…m−1.
	rem := make([][]T, m+1)
	rem[m] = make([]T, n)
	for i := range rem[m] {
		rem[m][i] = conv(new(big.Int))
	}
	for j := m - 1; j >= 0; j-- {
		rem[j] = make([]T, n)
		for i, p := range parties {
			best := p.form.Terms[j][0]
			for _, t := range p.form.Terms[j] {
				if t.Cmp(best) > 0 {
					best = t
				}
			}
			rem[j][i] = rem[j+1][i].add(conv(best))
		}
	}
	// A party without a reservation gets a threshold below everything.
	resCeil := make([]*T, n)
	for i, p := range parties {
		if useRes && p.hasRes {
			// A threshold beyond the reachable range is clamped to the
			// range's edge plus one, which keeps it representable.
			c := new(big.Int).Set(p.resCeil)
			maxv := new(big.Int).Add(p.form.Max, big.NewInt(1))
			if c.Cmp(maxv) > 0 {
				return nil
			}
			if c.Cmp(p.form.Min) < 0 {
				continue
			}
			v := conv(c)
			resCeil[i] = &v
		}
	}
	below := func(s T, i int, j int) bool {
		return resCeil[i] != nil && s.add(rem[j][i]).cmp(*resCeil[i]) < 0
	}
	cur := &level[T]{}
	for _, p := range parties {
		cur.vec = append(cur.vec, conv(p.form.Const))
	}
	cur.count = []uint64{1}
	cur.parent, cur.value, cur.rank = []int32{-1}, []int32{0}, []int32{0}
	for i := range parties {
		if below(cur.vec[i], i, 0) {
			return nil
		}
	}
	var levels []*level[T]
	for j := 0; j < m; j++ {
		levels = append(levels, cur)
		vs := issueVectors(parties, j, sp.Card(j), conv)
		keep := func(s T, i int) bool { return below(s, i, j+1) }
		if n == 2 {
			cur = mergeIssue2(cur, vs, keep)
		} else {
			cur = mergeIssue(cur, vs, keep, n, shift)
		}
		if cur.len() == 0 {
			return nil
		}
	}
	levels = append(levels, cur)
	pts := make([]Point, cur.len())
	for a := range pts {
		o := make([]int, m)
		idx := a
		for j := m; j > 0; j-- {
			l := levels[j]
			o[j-1] = int(l.value[idx])
			idx = int(l.parent[idx])
		}
		p := Point{Outcome: o, Index: bigIndex(sp, o), Count: cur.bigCount(a),
			Utilities: make([]float64, n), Exact: make([]*big.Rat, n)}
		for i, pt := range parties {
			p.Exact[i] = new(big.Rat).SetFrac(toBigInt(cur.vec[a*n+i]), pt.form.Denom)
			p.Utilities[i], _ = p.Exact[i].Float64()
		}
		pts[a] = p
	}
	return pts
}

// bigIndex is the index of o in sp, exactly.
func bigIndex(sp *space.Space, o []int) *big.Int {
	idx := new(big.Int)
	for i, v := range o {
		idx.Mul(idx, big.NewInt(int64(sp.Card(i))))
		idx.Add(idx, big.NewInt(int64(v)))
	}
	return idx
}

// mergeIssue adds one issue's value vectors to every point of cur and keeps
// the non-dominated sums that can still reach every reservation value.
func mergeIssue[T num[T]](cur *level[T], vs []issueVec[T], below func(s T, i int) bool, n int, shift uint) *level[T] {
	type cand struct {
		parent int32
		v      int32 // index into vs
	}
	cands := make([]cand, 0, cur.len()*len(vs))
	sums := make([]T, 0, cur.len()*len(vs)*n)
	for p := 0; p < cur.len(); p++ {
	values:
		for vi, w := range vs {
			base := len(sums)
			for i := 0; i < n; i++ {
				s := cur.vec[p*n+i].add(w.vec[i])
				if below(s, i) {
					sums = sums[:base]
					continue values
				}
				sums = append(sums, s)
			}
			cands = append(cands, cand{int32(p), int32(vi)})
		}
	}
	vec := func(c int) []T { return sums[c*n : c*n+n] }
	// Order: score (never decreasing in any utility), then utilities in
	// lexicographic order, both descending; then smallest prefix first.
	scores := make([]float64, len(cands))
	for c := range cands {
		s := 0.0
		for _, x := range vec(c) {
			s += x.score(shift)
		}
		scores[c] = s
	}
	order := make([]int32, len(cands))
	for c := range order {
		order[c] = int32(c)
	}
	prefixCmp := func(a, b int) int {
		ca, cb := cands[a], cands[b]
		if c := cmp.Compare(cur.rank[ca.parent], cur.rank[cb.parent]); c != 0 {
			return c
		}
		return cmp.Compare(vs[ca.v].value, vs[cb.v].value)
	}
	slices.SortFunc(order, func(x, y int32) int {
		a, b := int(x), int(y)
		if n > 2 {
			if c := cmp.Compare(scores[b], scores[a]); c != 0 {
				return c
			}
		}
		va, vb := vec(a), vec(b)
		for i := 0; i < n; i++ {
			if c := vb[i].cmp(va[i]); c != 0 {
				return c
			}
		}
		return prefixCmp(a, b)
	})
	next := &level[T]{big: map[int]*big.Int{}}
	var kept []int // candidate of each kept point
	addCount := func(k int, c int) {
		next.addProduct(k, cur, int(cands[c].parent), vs[cands[c].v].count)
	}
	var best2 T
	first := true
outer:
	for _, x := range order {
		c := int(x)
		vc := vec(c)
		if len(kept) > 0 && equalVec(vc, vec(kept[len(kept)-1])) {
			addCount(len(kept)-1, c)
			continue
		}
		if n == 2 {
			if !first && vc[1].cmp(best2) <= 0 {
				continue
			}
			first = false
			best2 = vc[1]
		} else {
			for _, q := range kept {
				if dominatesVec(vec(q), vc) {
					continue outer
				}
			}
		}
		kept = append(kept, c)
		next.vec = append(next.vec, vc...)
		next.count = append(next.count, 0)
		next.parent = append(next.parent, cands[c].parent)
		next.value = append(next.value, vs[cands[c].v].value)
		addCount(len(kept)-1, c)
	}
	// Rank the kept points by their smallest prefix.
	idx := make([]int, len(kept))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return prefixCmp(kept[a], kept[b]) })
	next.rank = make([]int32, len(kept))
	for r, i := range idx {
		next.rank[i] = int32(r)
	}
	return next
}

// toBigInt converts any of the merge's integer types to a big.Int.
func toBigInt[T num[T]](x T) *big.Int {
	switch v := any(x).(type) {
	case i64:
		return big.NewInt(int64(v))
	case i128:
		hi := new(big.Int).Lsh(big.NewInt(v.hi), 64)
		return hi.Add(hi, new(big.Int).SetUint64(v.lo))
	case bigNum:
		return v.v
	}
	return nil
}

// mergeIssue2 is mergeIssue for two parties. The points of a level are
// kept in the order of the sweep (u₁ descending), so adding one value vector
// to all of them gives a list in the same order: a k-way merge of the
// issue's lists, swept as it goes, finds the next level without sorting or
// storing the dominated sums.
func mergeIssue2[T num[T]](cur *level[T], vs []issueVec[T], below func(s T, i int) bool) *level[T] {
	type head struct {
		v      int // index into vs
		p      int // next parent
		u1, u2 T
	}
	var heads []head
	advance := func(h *head) bool {
		for ; h.p < cur.len(); h.p++ {
			w := vs[h.v].vec
			u1 := cur.vec[2*h.p].add(w[0])
			u2 := cur.vec[2*h.p+1].add(w[1])
			if below(u1, 0) || below(u2, 1) {
				continue
			}
			h.u1, h.u2 = u1, u2
			return true
		}
		return false
	}
	// less orders heads: u₁ then u₂ descending, then the smaller prefix.
	less := func(a, b *head) bool {
		if c := a.u1.cmp(b.u1); c != 0 {
			return c > 0
		}
		if c := a.u2.cmp(b.u2); c != 0 {
			return c > 0
		}
		if ra, rb := cur.rank[a.p], cur.rank[b.p]; ra != rb {
			return ra < rb
		}
		return vs[a.v].value < vs[b.v].value
	}
	for v := range vs {
		h := head{v: v}
		if advance(&h) {
			heads = append(heads, h)
		}
	}
	down := func(i int) {
		for {
			l, r, m := 2*i+1, 2*i+2, i
			if l < len(heads) && less(&heads[l], &heads[m]) {
				m = l
			}
			if r < len(heads) && less(&heads[r], &heads[m]) {
				m = r
			}
			if m == i {
				return
			}
			heads[i], heads[m] = heads[m], heads[i]
			i = m
		}
	}
	for i := len(heads)/2 - 1; i >= 0; i-- {
		down(i)
	}
	next := &level[T]{big: map[int]*big.Int{}}
	type src struct{ parent, v int }
	var first []src // the smallest prefix behind each kept point
	addCount := func(k int, parent, v int) { next.addProduct(k, cur, parent, vs[v].count) }
	var best2 T
	for len(heads) > 0 {
		h := &heads[0]
		k := next.len() - 1
		switch {
		case k >= 0 && h.u1.cmp(next.vec[2*k]) == 0 && h.u2.cmp(next.vec[2*k+1]) == 0:
			addCount(k, h.p, h.v)
		case k < 0 || h.u2.cmp(best2) > 0:
			best2 = h.u2
			next.vec = append(next.vec, h.u1, h.u2)
			next.count = append(next.count, 0)
			next.parent = append(next.parent, int32(h.p))
			next.value = append(next.value, vs[h.v].value)
			first = append(first, src{h.p, h.v})
			addCount(next.len()-1, h.p, h.v)
		}
		h.p++
		if !advance(h) {
			heads[0] = heads[len(heads)-1]
			heads = heads[:len(heads)-1]
		}
		if len(heads) > 0 {
			down(0)
		}
	}
	idx := make([]int, next.len())
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		fa, fb := first[a], first[b]
		if c := cmp.Compare(cur.rank[fa.parent], cur.rank[fb.parent]); c != 0 {
			return c
		}
		return cmp.Compare(vs[fa.v].value, vs[fb.v].value)
	})
	next.rank = make([]int32, next.len())
	for r, i := range idx {
		next.rank[i] = int32(r)
	}
	return next
}
