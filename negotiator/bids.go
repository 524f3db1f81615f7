package negotiator

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
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
	type entry struct {
		u   float64
		idx int64
	}
	es := make([]entry, n)
	for i, u := range us {
		es[i] = entry{u, int64(i)}
	}
	// Utility descending, then index ascending: a total order, so the
	// (unstable, faster) sort is deterministic.
	slices.SortFunc(es, func(a, b entry) int {
		if c := cmp.Compare(b.u, a.u); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	k := sp.Issues()
	b := &Bids{k: k, outs: make([]int, int(n)*k), utils: us, idx: make([]int64, n)}
	for i, e := range es {
		sp.Outcome(e.idx, b.outs[i*k:i*k+k])
		b.utils[i], b.idx[i] = e.u, e.idx
	}
	return b, nil
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
