package negotiator

import (
	"fmt"
	"math"
	"reflect"
	"sync"

	"parley"
	"parley/space"
	"parley/utility"
)

// MaxBids is the largest outcome space NewBids enumerates.
const MaxBids = 1 << 22

// Bids is the outcome space ordered by one party's utility, best first,
// built once per session: negotiators find the outcome nearest a target
// utility by binary search instead of scanning the space every round.
// Outcomes of equal utility keep index order.
type Bids struct {
	k     int
	outs  []int     // outcome i is outs[i*k : i*k+k]
	utils []float64 // non-increasing
	idx   []int64   // space index of outcome i
}

// NewBids enumerates sp and orders its outcomes by f, best first. It fails
// when the space has more than MaxBids outcomes.
func NewBids(sp *space.Space, f utility.Func) (*Bids, error) {
	n, ok := sp.Len()
	if !ok || n > MaxBids {
		return nil, parley.Errorf(parley.EUNSUPPORTED, "ordering the space: %s outcomes, more than %d", sp.BigLen(), MaxBids)
	}
	us := make([]float64, n)
	utility.Fill(f, sp, us)
	order := orderDesc(us)
	k := sp.Issues()
	b := &Bids{k: k, outs: make([]int, int(n)*k), utils: make([]float64, n), idx: make([]int64, n)}
	for i, j := range order {
		sp.Outcome(int64(j), b.outs[i*k:i*k+k])
		b.utils[i], b.idx[i] = us[j], int64(j)
	}
	return b, nil
}

// orderDesc returns the indices of us ordered by value, highest first, equal
// values in index order. It is a stable least-significant-digit radix sort
// on the values' bits (mapped so that unsigned order is numeric order),
// skipping the byte positions where all keys agree: linear time, no
// comparisons.
func orderDesc(us []float64) []int32 {
	n := len(us)
	keys, idx := make([]uint64, n), make([]int32, n)
	for i, u := range us {
		if u == 0 {
			u = 0 // −0 sorts with +0
		}
		bits := math.Float64bits(u)
		if bits>>63 == 1 {
			bits = ^bits
		} else {
			bits |= 1 << 63
		}
		keys[i], idx[i] = ^bits, int32(i) // ascending key = descending value
	}
	tk, ti := make([]uint64, n), make([]int32, n)
	for shift := uint(0); shift < 64; shift += 8 {
		var count [256]int
		for _, key := range keys {
			count[(key>>shift)&0xff]++
		}
		if n == 0 || count[(keys[0]>>shift)&0xff] == n {
			continue // every key has the same digit here
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for j, key := range keys {
			d := (key >> shift) & 0xff
			tk[count[d]], ti[count[d]] = key, idx[j]
			count[d]++
		}
		keys, tk = tk, keys
		idx, ti = ti, idx
	}
	return idx
}

// Len returns the number of outcomes.
func (b *Bids) Len() int { return len(b.utils) }

// Outcome returns the i-th best outcome. The slice is Bids' own storage: do
// not change it.
func (b *Bids) Outcome(i int) []int { return b.outs[i*b.k : i*b.k+b.k : i*b.k+b.k] }

// Utility returns the utility of the i-th best outcome.
func (b *Bids) Utility(i int) float64 { return b.utils[i] }

// Index returns the space index of the i-th best outcome.
func (b *Bids) Index(i int) int64 { return b.idx[i] }

// Best returns the utility of the best outcome.
func (b *Bids) Best() float64 { return b.utils[0] }

// Worst returns the utility of the worst outcome.
func (b *Bids) Worst() float64 { return b.utils[len(b.utils)-1] }

// AtLeast returns the position of the worst outcome whose utility is at
// least u, or 0 when none is (the best outcome is then the nearest).
func (b *Bids) AtLeast(u float64) int {
	// First position whose utility is below u.
	lo, hi := 0, len(b.utils)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if b.utils[m] >= u {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return 0
	}
	return lo - 1
}

// Above returns the number of outcomes whose utility is at least u.
func (b *Bids) Above(u float64) int {
	if i := b.AtLeast(u); b.utils[i] >= u {
		return i + 1
	}
	return 0
}

// String describes the ordering.
func (b *Bids) String() string {
	return fmt.Sprintf("%d bids from %g to %g", b.Len(), b.Best(), b.Worst())
}

// bidsCache shares orderings between sessions: an ordering depends only on
// the utility function and the space, and Bids is read-only once built.
// Functions are keyed by identity, so the cache helps when sessions reuse
// compiled profiles (negotiation.Config.Profiles), as tournaments do. It
// keeps the most recent orderings, at most cacheEntries of them and
// cacheOutcomes outcomes in all.
var bidsCache struct {
	sync.Mutex
	entries []cachedBids // oldest first
	total   int
}

type cachedBids struct {
	f     utility.Func
	cards string
	b     *Bids
}

const (
	cacheEntries  = 16
	cacheOutcomes = 1 << 21
)

// Ordered returns the ordering of sp by f, from a cache shared by all
// sessions when f is a pointer (compiled utility functions are), built by
// NewBids otherwise. The result is shared: never change it.
func Ordered(sp *space.Space, f utility.Func) (*Bids, error) {
	if f == nil || reflect.TypeOf(f).Kind() != reflect.Pointer {
		return NewBids(sp, f)
	}
	cards := fmt.Sprint(sp.Cards())
	if b := cacheGet(f, cards); b != nil {
		return b, nil
	}
	b, err := NewBids(sp, f)
	if err != nil {
		return nil, err
	}
	cachePut(cachedBids{f, cards, b})
	return b, nil
}

func cacheGet(f utility.Func, cards string) *Bids {
	bidsCache.Lock()
	defer bidsCache.Unlock()
	for _, e := range bidsCache.entries {
		if e.f == f && e.cards == cards {
			return e.b
		}
	}
	return nil
}

func cachePut(e cachedBids) {
	if e.b.Len() > cacheOutcomes {
		return
	}
	bidsCache.Lock()
	defer bidsCache.Unlock()
	c := &bidsCache
	for len(c.entries) > 0 && (len(c.entries) >= cacheEntries || c.total+e.b.Len() > cacheOutcomes) {
		c.total -= c.entries[0].b.Len()
		c.entries[0] = cachedBids{}
		c.entries = c.entries[1:]
	}
	c.entries = append(c.entries, e)
	c.total += e.b.Len()
}
