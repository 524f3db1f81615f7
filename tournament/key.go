package tournament

import (
	"strconv"
	"strings"

	"parley"
)

// Key identifies one negotiation of a tournament: the scenario, the
// competitor holding each role (the scenario's participants, in file order)
// and the repetition. With the configuration it fully determines the
// negotiation, its seed included (DeriveSeed).
type Key struct {
	Scenario    string
	Competitors []string
	Repetition  int
}

// String writes the key as SCENARIO/COMPETITOR,COMPETITOR,…/REPETITION, e.g.
// "us-russia/boulware,conceder/0". ParseKey reads it back.
func (k Key) String() string {
	var b strings.Builder
	b.WriteString(k.Scenario)
	b.WriteByte('/')
	for i, c := range k.Competitors {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c)
	}
	b.WriteByte('/')
	b.WriteString(strconv.Itoa(k.Repetition))
	return b.String()
}

// ParseKey reads a key written by Key.String.
func ParseKey(s string) (Key, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return Key{}, parley.Errorf(parley.EINVALID, "key %q: want SCENARIO/COMPETITOR,…/REPETITION", s)
	}
	rep, err := strconv.Atoi(parts[2])
	if err != nil || rep < 0 {
		return Key{}, parley.Errorf(parley.EINVALID, "key %q: repetition %q is not a non-negative integer", s, parts[2])
	}
	return Key{Scenario: parts[0], Competitors: strings.Split(parts[1], ","), Repetition: rep}, nil
}

// DeriveSeed returns the seed of the negotiation with the given key under
// master seed: splitmix64(master XOR fnv1a64(key)). It depends on nothing
// else, so a negotiation keeps its seed when the plan around it changes.
func DeriveSeed(master uint64, key string) uint64 {
	return splitmix64(master ^ fnv1a64(key))
}

// fnv1a64 is the 64-bit FNV-1a hash.
func fnv1a64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// splitmix64 is the finaliser of SplitMix64 (Steele, Lea & Flood 2014): a
// bijection that spreads nearby inputs over the whole range.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
