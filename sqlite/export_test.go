package sqlite

import (
	"os"
	"time"
)

// SetCheckpointing sets how often the checkpointer runs, from how many WAL
// frames the writer finishes its checkpoint and from how many bytes an idle
// checkpointer truncates the WAL file, for the stores opened after it; it
// returns a function that restores them.
func SetCheckpointing(every time.Duration, restartFrames int, truncateBytes int64) (restore func()) {
	e, f, b := checkpointInterval, walRestartFrames, walTruncateBytes
	checkpointInterval, walRestartFrames, walTruncateBytes = every, restartFrames, truncateBytes
	return func() { checkpointInterval, walRestartFrames, walTruncateBytes = e, f, b }
}

// OnSyncDatabase makes the checkpointer report the name of each file it
// syncs to f (before syncing it), for the stores opened after it; it
// returns a function that restores the default.
func OnSyncDatabase(f func(name string)) (restore func()) {
	old := syncDatabase
	syncDatabase = func(db *os.File) {
		if db != nil {
			f(db.Name())
		}
		old(db)
	}
	return func() { syncDatabase = old }
}

// CatchUps is how many times the writer of s has finished a checkpoint at
// the checkpointer's request, so that the WAL starts again.
func CatchUps(s *Store) int64 { return s.catchUps.Load() }
