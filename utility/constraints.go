package utility

import (
	"math"
	"math/big"
	"slices"
	"sync"

	"parley/scenario"
)

// Constraints is a sum of the utilities of the boxes (hyper-rectangles) an
// outcome lies in, divided by a scale. Each rule of the file is a box: on
// every issue it names, the values allowed are those meeting all its
// includes conditions and none of its excludes conditions.
type Constraints struct {
	rules []box
	scale float64
	cap   float64 // +Inf when uncapped
	cards []int
	lo    float64
	hi    float64
	exact exactOnce

	rangeOnce sync.Once
}

// ExactForm implements Exact.
func (c *Constraints) ExactForm() *ExactForm {
	return c.exact.get(func() *ExactForm {
		s := DecimalRat(c.scale)
		ts := make([]*big.Rat, len(c.rules))
		sumAbs, termErr := 0.0, 0.0
		for j := range c.rules {
			r := DecimalRat(c.rules[j].utility)
			ts[j] = new(big.Rat).Quo(r, s)
			sumAbs += math.Abs(c.rules[j].utility)
			termErr += distance(c.rules[j].utility, r)
		}
		var capRat *big.Rat
		if !math.IsInf(c.cap, 1) {
			capRat = DecimalRat(c.cap)
			termErr += distance(c.cap, capRat) * c.scale
		}
		d := lcmDenoms(append(ts, capRat)...)
		scaled := make([]*big.Int, len(ts))
		for j, t := range ts {
			scaled[j] = scaleRat(t, d)
		}
		var capScaled *big.Int
		if capRat != nil {
			capScaled = scaleRat(capRat, d)
		}
		capped := func(x *big.Int) *big.Int {
			if capScaled != nil && x.Cmp(capScaled) > 0 {
				x.Set(capScaled)
			}
			return x
		}
		n := float64(len(c.rules) + 4)
		bound := 2 * (termErr + n*0x1p-52*sumAbs) / c.scale
		e := &ExactForm{Denom: d, Bound: bound}
		total := new(big.Int)
		for _, v := range scaled {
			total.Add(total, new(big.Int).Abs(v))
		}
		if total.BitLen() <= 62 {
			ints := make([]int64, len(scaled))
			for j, v := range scaled {
				ints[j] = v.Int64()
			}
			lo, _ := extreme(c, ints, -1)
			hi, _ := extreme(c, ints, 1)
			e.Min, e.Max = capped(big.NewInt(-lo)), capped(big.NewInt(hi))
		}
		e.scaled = func(o []int, dst *big.Int) *big.Int {
			dst.SetInt64(0)
			for j := range c.rules {
				if c.rules[j].holds(o) {
					dst.Add(dst, scaled[j])
				}
			}
			return capped(dst)
		}
		return e
	})
}

type box struct {
	utility float64
	issues  []int    // issues the rule constrains, increasing
	allowed [][]bool // per constrained issue: allowed value indices
}

func (b *box) holds(o []int) bool {
	for j, i := range b.issues {
		if !b.allowed[j][o[i]] {
			return false
		}
	}
	return true
}

func conditionMask(is *scenario.Issue, c scenario.Condition) []bool {
	m := make([]bool, is.Cardinality())
	if len(c.Values) > 0 {
		for _, v := range c.Values {
			if k, ok := is.Index(v); ok {
				m[k] = true
			}
		}
		return m
	}
	for k := range m {
		x := is.Number(k)
		m[k] = (c.Min == nil || x >= *c.Min) && (c.Max == nil || x <= *c.Max)
	}
	return m
}

func compileConstraints(sc *scenario.Scenario, c *scenario.Constraints) (*Constraints, error) {
	cs := &Constraints{scale: 1, cap: math.Inf(1), cards: make([]int, len(sc.Issues))}
	if c.Cap != nil {
		cs.cap = *c.Cap
	}
	for i := range sc.Issues {
		cs.cards[i] = sc.Issues[i].Cardinality()
	}
	if c.Scale != nil {
		cs.scale = *c.Scale
	}
	for _, r := range c.Rules {
		masks := map[int][]bool{}
		get := func(i int) []bool {
			if m, ok := masks[i]; ok {
				return m
			}
			m := make([]bool, cs.cards[i])
			for k := range m {
				m[k] = true
			}
			masks[i] = m
			return m
		}
		for _, cond := range r.Includes {
			i := sc.IssueIndex(cond.Issue)
			m, in := get(i), conditionMask(&sc.Issues[i], cond)
			for k := range m {
				m[k] = m[k] && in[k]
			}
		}
		for _, cond := range r.Excludes {
			i := sc.IssueIndex(cond.Issue)
			m, ex := get(i), conditionMask(&sc.Issues[i], cond)
			for k := range m {
				m[k] = m[k] && !ex[k]
			}
		}
		b := box{utility: r.Utility}
		for i := range masks {
			b.issues = append(b.issues, i)
		}
		slices.Sort(b.issues)
		for _, i := range b.issues {
			b.allowed = append(b.allowed, masks[i])
		}
		cs.rules = append(cs.rules, b)
	}

	return cs, nil
}

// Utility implements Func.
func (c *Constraints) Utility(o []int) float64 {
	s := 0.0
	for i := range c.rules {
		if c.rules[i].holds(o) {
			s += c.rules[i].utility
		}
	}
	return math.Min(s/c.scale, c.cap)
}

// Range implements Func. The bounds are exact: found by branch and bound
// over the issues (see extreme), not by sampling.
//
// It is computed on first use: for large spaces with many overlapping rules
// the search can take a while.
func (c *Constraints) Range() (lo, hi float64) {
	c.rangeOnce.Do(func() {
		utils := make([]float64, len(c.rules))
		for j := range c.rules {
			utils[j] = c.rules[j].utility
		}
		l, _ := extreme(c, utils, -1)
		h, _ := extreme(c, utils, 1)
		c.lo, c.hi = math.Min(-l/c.scale, c.cap), math.Min(h/c.scale, c.cap)
	})
	return c.lo, c.hi
}

// extreme returns the largest value of sign·(sum of satisfied rule
// utilities) over the space. It assigns issues one at a time; on each issue
// the values fall into classes with the same membership in every rule, so
// only one value per class is tried. A partial assignment is abandoned when
// the rules still alive cannot beat the best complete assignment found.
//
// It works on float64 rule utilities (for Range) and on exact scaled
// integers (for ExactForm); found is false only when there is no rule.
func extreme[T int64 | float64](c *Constraints, utils []T, sign T) (best T, found bool) {
	n := len(c.cards)
	// Per issue: the rules constraining it, and one representative value
	// per class of values with the same membership in those rules.
	type issueInfo struct {
		rules []int
		reps  []int
	}
	info := make([]issueInfo, n)
	for r := range c.rules {
		for _, i := range c.rules[r].issues {
			info[i].rules = append(info[i].rules, r)
		}
	}
	pos := make([]map[int]int, len(c.rules)) // rule -> issue -> index in box
	for r := range c.rules {
		pos[r] = map[int]int{}
		for j, i := range c.rules[r].issues {
			pos[r][i] = j
		}
	}
	var order []int
	for i := 0; i < n; i++ {
		seen := map[string]bool{}
		sig := make([]byte, len(info[i].rules))
		for k := 0; k < c.cards[i]; k++ {
			for j, r := range info[i].rules {
				sig[j] = '0'
				if c.rules[r].allowed[pos[r][i]][k] {
					sig[j] = '1'
				}
			}
			if !seen[string(sig)] {
				seen[string(sig)] = true
				info[i].reps = append(info[i].reps, k)
			}
		}
		if len(info[i].rules) > 0 {
			order = append(order, i)
		}
	}
	// Issues that constrain the most rules first: they decide most.
	slices.SortStableFunc(order, func(a, b int) int { return len(info[b].rules) - len(info[a].rules) })
	remaining := make([]int, len(c.rules)) // undecided issues per rule
	alive := make([]bool, len(c.rules))
	for r := range c.rules {
		remaining[r] = len(c.rules[r].issues)
		alive[r] = true
	}
	// Per rule: the positions (in order) of the issues it constrains,
	// increasing, and its allowed mask at each.
	at := make([]int, n) // issue -> position in order
	for p, i := range order {
		at[i] = p
	}
	type step struct {
		p       int
		allowed []bool
	}
	steps := make([][]step, len(c.rules))
	for r := range c.rules {
		for j, i := range c.rules[r].issues {
			steps[r] = append(steps[r], step{at[i], c.rules[r].allowed[j]})
		}
		slices.SortFunc(steps[r], func(a, b step) int { return a.p - b.p })
	}
	acc := make([][]T, len(order))
	for p, i := range order {
		acc[p] = make([]T, len(info[i].reps))
	}
	var touched []int
	// bound returns the sum of the decided rules and an upper bound on
	// what the undecided ones can add: each undecided rule is charged to
	// its first undecided issue, and only one value class of that issue
	// can be chosen, so per issue the best class's total is a bound.
	bound := func(d int) (decided, ub T) {
		touched = touched[:0]
		for r := range c.rules {
			if !alive[r] {
				continue
			}
			v := sign * utils[r]
			if remaining[r] == 0 {
				decided += v
				continue
			}
			if v <= 0 {
				continue
			}
			var st step
			for _, s := range steps[r] {
				if s.p >= d {
					st = s
					break
				}
			}
			i := order[st.p]
			row := acc[st.p]
			hit := false
			for ci, k := range info[i].reps {
				if st.allowed[k] {
					if !hit && row[ci] == 0 {
						hit = true
					}
					row[ci] += v
				}
			}
			touched = append(touched, st.p)
		}
		ub = decided
		for _, p := range touched {
			row := acc[p]
			var m T
			for ci, x := range row {
				if x > m {
					m = x
				}
				row[ci] = 0
			}
			ub += m
		}
		return decided, ub
	}
	var visit func(d int)
	visit = func(d int) {
		decided, ub := bound(d)
		if found && ub <= best {
			return
		}
		if d == len(order) {
			if !found || decided > best {
				best, found = decided, true
			}
			return
		}
		i := order[d]
		// Try first the classes that keep the most utility alive: good
		// solutions found early prune the rest.
		classes := make([]int, len(info[i].reps))
		score := make([]T, len(info[i].reps))
		for ci, k := range info[i].reps {
			classes[ci] = ci
			for _, r := range info[i].rules {
				if alive[r] && c.rules[r].allowed[pos[r][i]][k] {
					score[ci] += sign * utils[r]
				}
			}
		}
		slices.SortStableFunc(classes, func(a, b int) int {
			switch {
			case score[a] > score[b]:
				return -1
			case score[a] < score[b]:
				return 1
			}
			return 0
		})
		var killed []int
		for _, ci := range classes {
			k := info[i].reps[ci]
			killed = killed[:0]
			for _, r := range info[i].rules {
				remaining[r]--
				if alive[r] && !c.rules[r].allowed[pos[r][i]][k] {
					alive[r] = false
					killed = append(killed, r)
				}
			}
			visit(d + 1)
			for _, r := range info[i].rules {
				remaining[r]++
			}
			for _, r := range killed {
				alive[r] = true
			}
		}
	}
	visit(0)
	return best, found
}

// fillBlock writes the utilities of every outcome starting with prefix, in
// index order, into dst. Rule by rule, in the order Utility sums them, it
// adds the rule's utility to exactly the outcomes of the block inside its
// box, so the results are identical to Utility's.
func (c *Constraints) fillBlock(prefix []int, dst []float64) {
	for k := range dst {
		dst[k] = 0
	}
	m := len(prefix)
	n := len(c.cards)
	// stride[i] = number of outcomes per value of suffix issue i.
	stride := make([]int, n+1)
	stride[n] = 1
	for i := n - 1; i >= m; i-- {
		stride[i] = stride[i+1] * c.cards[i]
	}
	masks := make([][]bool, n)
rules:
	for r := range c.rules {
		b := &c.rules[r]
		for i := m; i < n; i++ {
			masks[i] = nil
		}
		for j, i := range b.issues {
			if i < m {
				if !b.allowed[j][prefix[i]] {
					continue rules
				}
				continue
			}
			masks[i] = b.allowed[j]
		}
		u := b.utility
		var walk func(i, base int)
		walk = func(i, base int) {
			if i == n {
				dst[base] += u
				return
			}
			for k := 0; k < c.cards[i]; k++ {
				if masks[i] == nil || masks[i][k] {
					walk(i+1, base+k*stride[i+1])
				}
			}
		}
		walk(m, 0)
	}
	for k := range dst {
		dst[k] = math.Min(dst[k]/c.scale, c.cap)
	}
}

// restrict returns the constraints over representative values.
func (c *Constraints) restrict(reps [][]int) *Constraints {
	r := &Constraints{scale: c.scale, cap: c.cap, cards: make([]int, len(reps))}
	for i, rs := range reps {
		r.cards[i] = len(rs)
	}
	for _, b := range c.rules {
		nb := box{utility: b.utility, issues: b.issues}
		for j, i := range b.issues {
			m := make([]bool, len(reps[i]))
			for k, v := range reps[i] {
				m[k] = b.allowed[j][v]
			}
			nb.allowed = append(nb.allowed, m)
		}
		r.rules = append(r.rules, nb)
	}
	return r
}
