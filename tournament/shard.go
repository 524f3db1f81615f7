package tournament

import (
	"fmt"
	"strconv"
	"strings"

	"parley"
)

// Shard is part k of n of a plan (1 ≤ K ≤ N). A job belongs to shard
// 1 + fnv1a64(key) mod N, so shards are disjoint, together hold every job,
// and a key's shard depends on nothing but the key and N. The zero Shard is
// the whole plan.
type Shard struct {
	K, N int
}

// ParseShard reads "k/n".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return Shard{}, parley.Errorf(parley.EINVALID, "shard %q: want k/n with 1 ≤ k ≤ n, e.g. 2/3", s)
	}
	return Shard{K: k, N: n}, nil
}

// Whole reports whether the shard is the whole plan.
func (s Shard) Whole() bool { return s.N <= 1 }

// Has reports whether the job with the given key belongs to the shard.
func (s Shard) Has(key string) bool {
	if s.Whole() {
		return true
	}
	return int(fnv1a64(key)%uint64(s.N)) == s.K-1
}

// String writes "k/n", or "all" for the whole plan.
func (s Shard) String() string {
	if s.Whole() {
		return "all"
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}
