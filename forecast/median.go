package forecast

import (
	"math"
)

// medianFaithful is the replication's "king of the hill": over the distinct
// positions in CPython 2.7 set order, a challenger p replaces the incumbent
// m when Σ_a c_a s_a (|x_a − m|/R − |x_a − p|/R) > 0.
func (e *engine) medianFaithful() float64 {
	l := e.set.distinct(e.x)
	m := l[0]
	for _, p := range l[1:] {
		var v float64
		for a := 0; a < e.n; a++ {
			v += float64(e.cs[a] * (math.Abs(e.x[a]-m)/e.span - math.Abs(e.x[a]-p)/e.span))
		}
		if v > 0 {
			m = p
		}
	}
	return m
}

// medianCorrected is the c·s-weighted median: the actor position y that
// minimises F(y) = Σ_a c_a s_a |x_a − y|; ties go to the smallest position.
func (e *engine) medianCorrected() float64 {
	best, bestF := math.Inf(1), math.Inf(1)
	for _, y := range e.x {
		var f float64
		for a := 0; a < e.n; a++ {
			f += e.cs[a] * math.Abs(e.x[a]-y)
		}
		if f < bestF || (f == bestF && y < best) {
			best, bestF = y, f
		}
	}
	return best
}

// pyset reproduces the iteration order of a CPython 2.7 set of floats built
// by adding values in order (setobject.c: open addressing with perturbed
// probing, 8 slots, growing to the smallest power of two above 4·used when
// two thirds full).
type pyset struct {
	slots []float64
	full  []bool
	hash  []int64
	used  int
	out   []float64
}

// distinct returns the distinct values of xs in CPython 2.7 set order.
func (s *pyset) distinct(xs []float64) []float64 {
	s.init(8)
	for _, x := range xs {
		s.add(x, pyHash(x))
	}
	s.out = s.out[:0]
	for i, f := range s.full {
		if f {
			s.out = append(s.out, s.slots[i])
		}
	}
	return s.out
}

func (s *pyset) init(size int) {
	if cap(s.slots) < size {
		s.slots = make([]float64, size)
		s.full = make([]bool, size)
		s.hash = make([]int64, size)
	}
	s.slots, s.full, s.hash = s.slots[:size], s.full[:size], s.hash[:size]
	clear(s.full)
	s.used = 0
}

// probe returns the slot for x: its own if present, else the first empty.
func (s *pyset) probe(x float64, h int64) int {
	mask := uint64(len(s.slots) - 1)
	i := uint64(h) & mask
	perturb := uint64(h)
	for {
		if !s.full[i] || (s.hash[i] == h && s.slots[i] == x) {
			return int(i)
		}
		i = (5*i + perturb + 1) & mask
		perturb >>= 5
	}
}

func (s *pyset) add(x float64, h int64) {
	i := s.probe(x, h)
	if s.full[i] {
		return
	}
	s.slots[i], s.hash[i], s.full[i] = x, h, true
	s.used++
	if s.used*3 >= len(s.slots)*2 {
		size := 8
		for size <= 4*s.used {
			size <<= 1
		}
		oldX := append([]float64(nil), s.slots...)
		oldH := append([]int64(nil), s.hash...)
		oldF := append([]bool(nil), s.full...)
		used := s.used
		s.init(size)
		for k, f := range oldF {
			if f {
				j := s.probe(oldX[k], oldH[k])
				s.slots[j], s.hash[j], s.full[j] = oldX[k], oldH[k], true
			}
		}
		s.used = used
	}
}

// pyHash is CPython 2.7's hash of a float on a 64-bit platform
// (_Py_HashDouble). Integral values beyond ±2^62 would hash as Python longs;
// they are hashed here as their int64 conversion instead.
func pyHash(v float64) int64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0
	}
	ip, frac := math.Modf(v)
	if frac == 0 {
		h := int64(ip)
		if h == -1 {
			h = -2
		}
		return h
	}
	m, e := math.Frexp(v)
	m *= 2147483648.0
	hi := int64(m)
	m = (m - float64(hi)) * 2147483648.0
	h := hi + int64(m) + int64(e)<<15
	if h == -1 {
		h = -2
	}
	return h
}
