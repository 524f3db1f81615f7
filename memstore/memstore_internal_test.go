package memstore

import (
	"bytes"
	"testing"
)

// TestReplyKey: distinct (token hash, key) pairs have distinct keys, also
// when one's hash ends with the other's key's first bytes, and a key costs
// one allocation.
func TestReplyKey(t *testing.T) {
	h := bytes.Repeat([]byte{0xab}, 32)
	pairs := []struct {
		hash []byte
		key  string
	}{
		{nil, ""}, {nil, "k"}, {[]byte{}, "kk"}, {[]byte("k"), "k"}, {[]byte("kk"), ""},
		{h, "key-1"}, {append(bytes.Clone(h), 'k'), "ey-1"}, {h[:31], "\xabkey-1"},
		{[]byte{0}, "a"}, {[]byte{1}, "\x00a"}, {[]byte{1, 0}, "a"},
		{bytes.Repeat([]byte{'x'}, 200), "k"}, {bytes.Repeat([]byte{'x'}, 199), "xk"},
	}
	seen := map[string]int{}
	for i, p := range pairs {
		k := replyKey(p.hash, p.key)
		if j, dup := seen[k]; dup {
			t.Errorf("pairs %d (%x, %q) and %d (%x, %q) share the key %q", j, pairs[j].hash, pairs[j].key, i, p.hash, p.key, k)
		}
		seen[k] = i
	}
	if n := testing.AllocsPerRun(100, func() { _ = replyKey(h, "an-idempotency-key") }); n > 1 {
		t.Errorf("replyKey: %v allocations, want at most 1", n)
	}
}

// TestCloneInto: the copies equal the originals, share nothing with them,
// keep nil slices nil, and an append to one leaves the next intact.
func TestCloneInto(t *testing.T) {
	a, b, c, d := []byte("body"), []byte(nil), []byte{}, []byte("fp")
	orig := [][]byte{bytes.Clone(a), nil, {}, bytes.Clone(d)}
	cloneInto(&a, &b, &c, &d)
	for i, got := range [][]byte{a, b, c, d} {
		if !bytes.Equal(got, orig[i]) || (got == nil) != (orig[i] == nil) {
			t.Fatalf("slice %d: %q (nil %v), want %q (nil %v)", i, got, got == nil, orig[i], orig[i] == nil)
		}
	}
	_ = append(a, 'X')
	if string(d) != "fp" {
		t.Fatalf("an append to the first copy changed the last: %q", d)
	}
}
