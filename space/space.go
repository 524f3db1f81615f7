// Package space is the finite outcome space of a scenario: every combination
// of one value per issue (real issues on their grid). It converts between an
// outcome's index and its values, and enumerates outcomes without allocating
// per outcome.
//
// An outcome is a []int holding one value index per issue, in the scenario's
// issue order. Outcomes are numbered in mixed radix with the last issue
// varying fastest (the order of itertools.product in Python, as NegMAS and
// GENIUS enumerate).
package space

import (
	"fmt"
	"math"
	"math/big"

	"parley"
	"parley/scenario"
)

// Space is a finite outcome space.
type Space struct {
	cards []int
	size  int64 // -1 when the size does not fit in an int64
	big   *big.Int
}

// New returns the space whose issue i has cards[i] values.
func New(cards []int) (*Space, error) {
	s := &Space{cards: append([]int(nil), cards...), size: 1, big: big.NewInt(1)}
	for i, c := range cards {
		if c <= 0 {
			return nil, parley.Errorf(parley.EINVALID, "issue %d has %d values; every issue needs at least one", i, c)
		}
		s.big.Mul(s.big, big.NewInt(int64(c)))
		if s.size >= 0 {
			if s.size > math.MaxInt64/int64(c) {
				s.size = -1
			} else {
				s.size *= int64(c)
			}
		}
	}
	return s, nil
}

// Of returns the outcome space of a scenario.
func Of(sc *scenario.Scenario) (*Space, error) {
	cards := make([]int, len(sc.Issues))
	for i := range sc.Issues {
		cards[i] = sc.Issues[i].Cardinality()
	}
	s, err := New(cards)
	if err != nil {
		return nil, fmt.Errorf("outcome space of %q: %w", sc.Name, err)
	}
	return s, nil
}

// Issues returns the number of issues.
func (s *Space) Issues() int { return len(s.cards) }

// Card returns the number of values of issue i.
func (s *Space) Card(i int) int { return s.cards[i] }

// Cards returns the number of values of each issue (a copy).
func (s *Space) Cards() []int { return append([]int(nil), s.cards...) }

// Len returns the number of outcomes and true, or 0 and false when the number
// exceeds math.MaxInt64 (see BigLen).
func (s *Space) Len() (int64, bool) {
	if s.size < 0 {
		return 0, false
	}
	return s.size, true
}

// BigLen returns the exact number of outcomes.
func (s *Space) BigLen() *big.Int { return new(big.Int).Set(s.big) }

// Outcome writes the outcome with the given index into dst (reusing it when
// it has room) and returns it. The index must be in [0, Len()).
func (s *Space) Outcome(index int64, dst []int) []int {
	if cap(dst) < len(s.cards) {
		dst = make([]int, len(s.cards))
	}
	dst = dst[:len(s.cards)]
	for i := len(s.cards) - 1; i >= 0; i-- {
		c := int64(s.cards[i])
		dst[i] = int(index % c)
		index /= c
	}
	return dst
}

// Index returns the index of outcome o.
func (s *Space) Index(o []int) int64 {
	var idx int64
	for i, c := range s.cards {
		idx = idx*int64(c) + int64(o[i])
	}
	return idx
}

// Contains reports whether o is an outcome of the space.
func (s *Space) Contains(o []int) bool {
	if len(o) != len(s.cards) {
		return false
	}
	for i, v := range o {
		if v < 0 || v >= s.cards[i] {
			return false
		}
	}
	return true
}

// Iterator walks a space in index order. The outcome it returns is reused:
// copy it to keep it.
type Iterator struct {
	s       *Space
	o       []int
	index   int64
	started bool
	done    bool
}

// Iter returns an iterator positioned before the first outcome.
func (s *Space) Iter() *Iterator {
	return &Iterator{s: s, o: make([]int, len(s.cards)), index: -1}
}

// Next advances to the next outcome and reports whether there is one.
func (it *Iterator) Next() bool {
	if it.done {
		return false
	}
	if !it.started {
		it.started = true
		it.index = 0
		return true
	}
	for i := len(it.o) - 1; i >= 0; i-- {
		it.o[i]++
		if it.o[i] < it.s.cards[i] {
			it.index++
			return true
		}
		it.o[i] = 0
	}
	it.done = true
	return false
}

// Outcome returns the current outcome (valid until the next call to Next).
func (it *Iterator) Outcome() []int { return it.o }

// Index returns the current outcome's index.
func (it *Iterator) Index() int64 { return it.index }

// Labels returns outcome o as a map from issue name to value label.
func Labels(sc *scenario.Scenario, o []int) map[string]string {
	m := make(map[string]string, len(o))
	for i, v := range o {
		m[sc.Issues[i].Name] = sc.Issues[i].Label(v)
	}
	return m
}

// Parse converts a map from issue name to value label into an outcome,
// naming the first issue that is missing, unknown or has an unknown value.
func Parse(sc *scenario.Scenario, m map[string]string) ([]int, error) {
	o := make([]int, len(sc.Issues))
	for name := range m {
		if sc.IssueIndex(name) < 0 {
			return nil, parley.Errorf(parley.EINVALID, "no issue named %q", name)
		}
	}
	for i := range sc.Issues {
		is := &sc.Issues[i]
		label, ok := m[is.Name]
		if !ok {
			return nil, parley.Errorf(parley.EINVALID, "outcome gives no value for issue %q", is.Name)
		}
		v, ok := is.Index(label)
		if !ok {
			return nil, parley.Errorf(parley.EINVALID, "value %q is not in issue %q", label, is.Name)
		}
		o[i] = v
	}
	return o, nil
}
