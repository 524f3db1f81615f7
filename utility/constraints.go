package utility

import (
	"math"
	"math/big"
	"slices"

	"parley/scenario"
)

// Constraints is a sum of the utilities of the boxes (hyper-rectangles) an
// outcome lies in, divided by a scale. Each rule of the file is a box: on
// every issue it names, the values allowed are those meeting all its
// includes conditions and none of its excludes conditions.
type Constraints struct {
	rules []box
	scale float64
	cards []int
	lo    float64
	hi    float64
	exact exactOnce
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
		d := lcmDenoms(ts...)
		scaled := make([]*big.Int, len(ts))
		for j, t := range ts {
			scaled[j] = scaleRat(t, d)
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
			e.Min, e.Max = big.NewInt(-lo), big.NewInt(hi)
		}
		e.scaled = func(o []int, dst *big.Int) *big.Int {
			dst.SetInt64(0)
			for j := range c.rules {
				if c.rules[j].holds(o) {
					dst.Add(dst, scaled[j])
				}
			}
			return dst
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
	cs := &Constraints{scale: 1, cards: make([]int, len(sc.Issues))}
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
	utils := make([]float64, len(cs.rules))
	for j := range cs.rules {
		utils[j] = cs.rules[j].utility
	}
	lo, _ := extreme(cs, utils, -1)
	hi, _ := extreme(cs, utils, 1)
	cs.lo, cs.hi = -lo/cs.scale, hi/cs.scale
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
	return s / c.scale
}

// Range implements Func. The bounds are exact: found by branch and bound
// over the issues (see extreme), not by sampling.
func (c *Constraints) Range() (lo, hi float64) { return c.lo, c.hi }

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
	bound := func() (decided, ub T) {
		for r := range c.rules {
			if !alive[r] {
				continue
			}
			v := sign * utils[r]
			if remaining[r] == 0 {
				decided += v
				ub += v
			} else if v > 0 {
				ub += v
			}
		}
		return decided, ub
	}
	var visit func(d int)
	visit = func(d int) {
		decided, ub := bound()
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
		var killed []int
		for _, k := range info[i].reps {
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
