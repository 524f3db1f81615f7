package live

import (
	"strings"
	"testing"
	"time"

	"parley"
)

// TestCheckTime: the times accepted are exactly those whose Unix
// nanoseconds give them back; the first and last such instants are written
// out here as dates.
func TestCheckTime(t *testing.T) {
	first := time.Date(1677, 9, 21, 0, 12, 43, 145224192, time.UTC)
	last := time.Date(2262, 4, 11, 23, 47, 16, 854775807, time.UTC)
	for _, c := range []struct {
		t  time.Time
		ok bool
	}{
		{first, true}, {last, true}, {time.Unix(1700000000, 5), true}, {time.Unix(0, 0), true},
		{first.Add(-time.Nanosecond), false}, {last.Add(time.Nanosecond), false},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), false}, {time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), false}, {time.Time{}, false},
		{time.Date(2262, 4, 12, 1, 0, 0, 0, time.FixedZone("+02", 2*3600)), true}, // 2262-04-11 23:00 UTC
	} {
		err := CheckTime("deadline", c.t)
		if roundTrips := time.Unix(0, c.t.UnixNano()).Equal(c.t); roundTrips != c.ok {
			t.Fatalf("%s: the expectation is wrong: UnixNano round trip %v", c.t, roundTrips)
		}
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %v, want nil", c.t, err)
		case !c.ok && (parley.ErrorCode(err) != parley.EINVALID || !strings.HasPrefix(err.(*parley.Error).Message, "deadline: ")):
			t.Errorf("%s: %v, want an invalid error naming the field", c.t, err)
		}
	}
}

// TestVerifyRefusesTimesOutOfRange: an event dated 3000-01-01 hashes the
// same as one dated 1830-11-23, and one of 1600-01-01 as one of 2184-07-20
// (UnixNano wraps), so their chains seemed intact; Verify refuses such a
// time, naming the event, instead.
func TestVerifyRefusesTimesOutOfRange(t *testing.T) {
	for _, when := range []time.Time{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)} {
		evs := chain(3)
		evs[1].Time = when
		evs[1].Seal(evs[0].Hash)
		evs[2].Seal(evs[1].Hash)
		alias := evs[1]
		alias.Time = time.Unix(0, when.UnixNano())
		if alias.Time.Equal(when) || alias.BodyHash() != evs[1].BodyHash() {
			t.Fatalf("%s: the premise fails: %s has another body hash", when, alias.Time)
		}
		err := Verify(LinksOf(evs))
		if parley.ErrorCode(err) != parley.EINVALID || !strings.Contains(err.Error(), "event 2: time: ") {
			t.Errorf("%s: Verify: %v, want an invalid error naming event 2's time", when, err)
		}
		// Without the body, only the hashes are checked: they chain.
		links := LinksOf(evs)
		links[1].Event = nil
		if err := Verify(links); err != nil {
			t.Errorf("%s: hidden body: %v", when, err)
		}
	}
}
