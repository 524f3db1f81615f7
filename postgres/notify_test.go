package postgres

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// TestNoticesRoundTrip: the payloads of a commit that appended to any
// number of negotiations name each negotiation's last sequence number once,
// with the store's origin, and each fits PostgreSQL's 8000-byte limit.
func TestNoticesRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := &Store{origin: rapid.StringMatching(`[0-9a-f]{16}`).Draw(t, "origin")}
		last := rapid.MapOf(rapid.StringMatching(`[0-9a-f]{32}`), rapid.Int64Range(1, 1<<62)).Draw(t, "last")
		got := map[string]int64{}
		for _, p := range s.notices(last) {
			if len(p) >= 8000 {
				t.Fatalf("payload of %d bytes", len(p))
			}
			origin, ns, ok := parseNotices(p)
			if !ok || origin != s.origin || len(ns) == 0 {
				t.Fatalf("payload %q: origin %q, %d notices, ok %v", p, origin, len(ns), ok)
			}
			for _, n := range ns {
				if _, dup := got[n.Negotiation]; dup {
					t.Fatalf("negotiation %s named twice", n.Negotiation)
				}
				got[n.Negotiation] = n.Seq
			}
		}
		if len(got) != len(last) {
			t.Fatalf("%d negotiations read back, want %d", len(got), len(last))
		}
		for id, seq := range last {
			if got[id] != seq {
				t.Fatalf("negotiation %s: seq %d read back, want %d", id, got[id], seq)
			}
		}
	})
}

// TestNoticesLimit: 400 negotiations (more than one payload holds) of the
// longest identifiers and sequence numbers still fit under 8000 bytes.
func TestNoticesLimit(t *testing.T) {
	s := &Store{origin: strings.Repeat("f", 16)}
	last := map[string]int64{}
	for i := 0; i < 400; i++ {
		last[fmt.Sprintf("%032x", i)] = 1<<63 - 1
	}
	ps := s.notices(last)
	if len(ps) != 3 {
		t.Fatalf("%d payloads for 400 negotiations, want 3 (150 lines each)", len(ps))
	}
	for _, p := range ps {
		if len(p) >= 8000 {
			t.Fatalf("payload of %d bytes", len(p))
		}
	}
}

// FuzzParseNotices: any payload is read without panicking, and one read
// as valid names negotiations with no space or newline in their names.
func FuzzParseNotices(f *testing.F) {
	f.Add("0123456789abcdef\nn1 3\nn2 7")
	f.Add("origin\n")
	f.Add("\nx 1")
	f.Add("o\nid notanumber")
	f.Fuzz(func(t *testing.T, p string) {
		origin, ns, ok := parseNotices(p)
		if !ok {
			return
		}
		if origin == "" || strings.Contains(origin, "\n") || len(ns) == 0 {
			t.Fatalf("payload %q read as origin %q with %d notices", p, origin, len(ns))
		}
		for _, n := range ns {
			if n.Negotiation == "" || strings.ContainsAny(n.Negotiation, " \n") {
				t.Fatalf("payload %q: negotiation %q", p, n.Negotiation)
			}
		}
	})
}
