//go:build linux

package natsqueue

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadClock returns a clock of the CPU time of the calling thread, which
// the caller locks with runtime.LockOSThread: unlike wall time, it does not
// count the time other processes of a loaded machine take.
func threadClock() func() time.Duration {
	return func() time.Duration {
		var ts unix.Timespec
		if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
			return 0 // the estimate falls back to the largest jobs
		}
		return time.Duration(ts.Nano())
	}
}
