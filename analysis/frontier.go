package analysis

import (
	"cmp"
	"math"
	"slices"

	"parley/space"
)

// frontier returns the Pareto frontier of the outcomes in cand: one point
// per distinct non-dominated utility vector, with the number of outcomes
// behind it, sorted by welfare and then lexicographically, both descending.
// An outcome is dominated when another is at least as good for every party
// and better for one.
func frontier(sp *space.Space, us [][]float64, cand []int32) []Point {
	if len(cand) == 0 {
		return nil
	}
	var pts []Point
	switch len(us) {
	case 2:
		pts = frontier2(us[0], us[1], cand)
	default:
		pts = frontierN(us, cand)
	}
	for i := range pts {
		pts[i].Outcome = sp.Outcome(pts[i].Index, nil)
	}
	sortPoints(pts)
	return pts
}

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

// frontier2 is the two-party frontier: a linear-time bucket filter discards
// most dominated outcomes, then the survivors are sorted by (u1, u2)
// descending and swept, keeping each point whose u2 beats every point before
// it.
//
// The filter: outcomes are bucketed by u1 with a monotone map, so an outcome
// in a higher bucket has a strictly higher u1. An outcome whose u2 is at
// most the largest u2 of the higher buckets is dominated and dropped.
func frontier2(u1, u2 []float64, cand []int32) []Point {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, k := range cand {
		lo, hi = math.Min(lo, u1[k]), math.Max(hi, u1[k])
	}
	nb := len(cand)/8 + 1
	if nb > 1<<16 {
		nb = 1 << 16
	}
	scale := 0.0
	if hi > lo {
		scale = float64(nb-1) / (hi - lo)
	}
	bucket := func(x float64) int { return int((x - lo) * scale) }
	top := make([]float64, nb+1) // top[b] = max u2 over buckets ≥ b
	for b := range top {
		top[b] = math.Inf(-1)
	}
	for _, k := range cand {
		b := bucket(u1[k])
		if u2[k] > top[b] {
			top[b] = u2[k]
		}
	}
	for b := nb - 2; b >= 0; b-- {
		top[b] = math.Max(top[b], top[b+1])
	}
	surv := make([]int32, 0, 1024)
	for _, k := range cand {
		if u2[k] > top[bucket(u1[k])+1] {
			surv = append(surv, k)
		}
	}
	slices.SortFunc(surv, func(a, b int32) int {
		if c := cmp.Compare(u1[b], u1[a]); c != 0 {
			return c
		}
		if c := cmp.Compare(u2[b], u2[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	var pts []Point
	best := math.Inf(-1)
	for _, k := range surv {
		if u2[k] > best {
			best = u2[k]
			pts = append(pts, Point{Index: int64(k), Utilities: []float64{u1[k], u2[k]}, Count: 1})
			continue
		}
		last := &pts[len(pts)-1]
		if u1[k] == last.Utilities[0] && u2[k] == last.Utilities[1] {
			last.Count++
		}
	}
	return pts
}

// frontierN is the frontier for any number of parties: sort-filter-skyline.
// Outcomes sorted by welfare (then lexicographically), descending, can only
// be dominated by outcomes before them; each is compared with the frontier
// found so far.
func frontierN(us [][]float64, cand []int32) []Point {
	n := len(us)
	sum := func(k int32) float64 {
		s := 0.0
		for i := 0; i < n; i++ {
			s += us[i][k]
		}
		return s
	}
	sums := make([]float64, len(us[0]))
	for _, k := range cand {
		sums[k] = sum(k)
	}
	order := slices.Clone(cand)
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(sums[b], sums[a]); c != 0 {
			return c
		}
		for i := 0; i < n; i++ {
			if c := cmp.Compare(us[i][b], us[i][a]); c != 0 {
				return c
			}
		}
		return cmp.Compare(a, b)
	})
	var pts []Point
	var sky []int32 // representative outcome of each frontier point
next:
	for _, k := range order {
		if len(sky) > 0 {
			last := sky[len(sky)-1]
			same := true
			for i := 0; i < n; i++ {
				if us[i][k] != us[i][last] {
					same = false
					break
				}
			}
			if same {
				pts[len(pts)-1].Count++
				continue
			}
		}
		for _, q := range sky {
			if dominates(us, q, k) {
				continue next
			}
		}
		sky = append(sky, k)
		u := make([]float64, n)
		for i := range u {
			u[i] = us[i][k]
		}
		pts = append(pts, Point{Index: int64(k), Utilities: u, Count: 1})
	}
	return pts
}

// dominates reports whether outcome a weakly dominates b with at least one
// strict improvement.
func dominates(us [][]float64, a, b int32) bool {
	strict := false
	for i := range us {
		if us[i][a] < us[i][b] {
			return false
		}
		if us[i][a] > us[i][b] {
			strict = true
		}
	}
	return strict
}
