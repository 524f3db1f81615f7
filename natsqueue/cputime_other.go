//go:build !linux

package natsqueue

import "time"

// threadClock returns a clock of the time spent by the calling thread; on
// this system, wall time since the call.
func threadClock() func() time.Duration {
	start := time.Now()
	return func() time.Duration { return time.Since(start) }
}
