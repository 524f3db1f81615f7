package service

import (
	"strings"
	"testing"
	"time"

	"parley/live"
)

// TestEventOfEncodeError: data that cannot be encoded gives an error
// naming the event, not a panic.
func TestEventOfEncodeError(t *testing.T) {
	for _, data := range []any{make(chan int), func() {}, live.StartedData{Deadline: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}} {
		ev, err := eventOf("n1", time.Unix(0, 0), live.EvEnd, data)
		if err == nil || !strings.HasPrefix(err.Error(), live.EvEnd+" event: encode ") || ev.Data != nil {
			t.Errorf("eventOf(%T): %+v, %v; want no event and an encoding error", data, ev, err)
		}
	}
	if ev, err := eventOf("n1", time.Unix(0, 0), live.EvEnd, live.EndData{Reason: "r"}); err != nil || string(ev.Data) != `{"reason":"r"}` {
		t.Errorf("eventOf(EndData): %s, %v", ev.Data, err)
	}
}
