package sqlite

import "time"

// SetCheckpointing sets how often the checkpointer runs and from how many
// WAL frames the writer finishes its checkpoint, for the stores opened
// after it; it returns a function that restores both.
func SetCheckpointing(every time.Duration, restartFrames int) (restore func()) {
	e, f := checkpointInterval, walRestartFrames
	checkpointInterval, walRestartFrames = every, restartFrames
	return func() { checkpointInterval, walRestartFrames = e, f }
}
