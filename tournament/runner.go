package tournament

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"parley"
)

// Options control a run.
type Options struct {
	// Dir is the results folder (created if missing).
	Dir string
	// Workers is the number of negotiations run at once; 0 means every core.
	Workers int
	// Shard is the part of the plan to run; the zero Shard runs all of it.
	Shard Shard
	// Progress, if set, is called from one goroutine after each result is
	// written, with the number done (resumed ones included) and the total.
	Progress func(done, total int64)
	// Started, if set, is called once the resumed results are counted.
	Started func(done, total int64)
}

// Summary reports a run.
type Summary struct {
	// Jobs is the number of negotiations of the shard; Resumed how many were
	// already written; Ran how many this run wrote.
	Jobs, Resumed, Ran int64
	// Status counts the records written by this run per status.
	Status map[string]int64
	// Elapsed is this run's wall time.
	Elapsed time.Duration
}

// Rate returns this run's negotiations per second.
func (s *Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Ran) / s.Elapsed.Seconds()
}

// flushEvery bounds the time results stay in memory before being written.
const flushEvery = 200 * time.Millisecond

// Run runs the negotiations of opts.Shard of p on opts.Workers workers and
// writes their records to opts.Dir/results.csv in plan order, so the file
// is the same whatever the number of workers. When the folder already holds
// results of the same plan and shard, the negotiations written are skipped
// and the rest appended (a partial last line is dropped). Cancelling ctx
// stops the run after the negotiations under way; what is written stays
// valid and resumable.
func Run(ctx context.Context, p *Plan, opts Options) (*Summary, error) {
	start := time.Now()
	if opts.Dir == "" {
		return nil, parley.Errorf(parley.EINVALID, "no results folder")
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("results folder: %w", err)
	}
	jobs := p.count(opts.Shard)
	man := newManifest(p, opts.Shard, jobs)
	f, done, err := openResults(p, opts, man)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	man.Done = done
	if err := man.write(opts.Dir); err != nil {
		return nil, err
	}
	sum := &Summary{Jobs: jobs, Resumed: done, Status: map[string]int64{}}
	if opts.Started != nil {
		opts.Started(done, jobs)
	}
	w, err := NewWriter(f, p.MaxRoles, done == 0 && !hasHeader(f))
	if err != nil {
		return nil, err
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	err = p.execute(ctx, opts.Shard, done, workers, func(rec *Record) error {
		if err := w.Write(rec); err != nil {
			return err
		}
		sum.Ran++
		sum.Status[rec.Status]++
		if opts.Progress != nil {
			opts.Progress(done+sum.Ran, jobs)
		}
		return nil
	}, w.Flush)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if serr := f.Sync(); err == nil && serr != nil {
		err = fmt.Errorf("write results: %w", serr)
	}
	sum.Elapsed = time.Since(start)
	man.Done = done + sum.Ran
	man.Complete = man.Done == jobs
	if merr := man.write(opts.Dir); err == nil {
		err = merr
	}
	return sum, err
}

// hasHeader reports whether the file already holds something.
func hasHeader(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Size() > 0
}

// count returns the number of jobs of the shard.
func (p *Plan) count(s Shard) int64 {
	if s.Whole() {
		return p.Len()
	}
	var n int64
	for i := int64(0); i < p.Len(); i++ {
		if s.Has(p.Job(i).KeyString) {
			n++
		}
	}
	return n
}

// openResults opens results.csv for appending. When it exists, it checks
// the manifest and that the rows are the first rows of the shard in plan
// order, drops a partial last line, and returns how many rows there are.
func openResults(p *Plan, opts Options, man *Manifest) (*os.File, int64, error) {
	path := filepath.Join(opts.Dir, ResultsFile)
	old, merr := ReadManifest(opts.Dir)
	_, serr := os.Stat(path)
	if merr != nil {
		if parley.ErrorCode(merr) != parley.ENOTFOUND {
			return nil, 0, merr
		}
		if serr == nil {
			return nil, 0, parley.Errorf(parley.ECONFLICT, "%s exists without %s; use another --out folder", path, ManifestFile)
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, 0, fmt.Errorf("create results: %w", err)
		}
		return f, 0, nil
	}
	if old.Fingerprint != man.Fingerprint || old.Shard != man.Shard {
		return nil, 0, parley.Errorf(parley.ECONFLICT,
			"%s holds results of another tournament or shard (fingerprint %s, shard %s; this run: %s, shard %s); use another --out folder",
			opts.Dir, old.Fingerprint, old.Shard, man.Fingerprint, man.Shard)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("open results: %w", err)
	}
	done, err := p.resume(f, path, opts.Shard)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, done, nil
}

// resume truncates f after its last complete line, checks that its rows are
// the shard's first jobs in order, and leaves f positioned at its end.
func (p *Plan) resume(f *os.File, name string, s Shard) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("resume: %w", err)
	}
	end, err := lastNewline(f, st.Size())
	if err != nil {
		return 0, fmt.Errorf("resume %s: %w", name, err)
	}
	if err := f.Truncate(end); err != nil {
		return 0, fmt.Errorf("resume %s: %w", name, err)
	}
	if end == 0 {
		return 0, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("resume %s: %w", name, err)
	}
	r, err := NewReader(io.LimitReader(f, end), name)
	if err != nil {
		return 0, err
	}
	if r.Roles() != p.MaxRoles {
		return 0, parley.Errorf(parley.ECONFLICT, "%s has %d role columns; the plan needs %d", name, r.Roles(), p.MaxRoles)
	}
	var done int64
	i := int64(0)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		for ; i < p.Len() && !s.Has(p.Job(i).KeyString); i++ {
		}
		if i >= p.Len() || rec.Index != i || rec.Key != p.Job(i).KeyString {
			return 0, parley.Errorf(parley.ECONFLICT, "%s: row %d (key %q) is not the plan's next negotiation; the file does not belong to this plan", name, done+2, rec.Key)
		}
		i++
		done++
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		return 0, fmt.Errorf("resume %s: %w", name, err)
	}
	return done, nil
}

// lastNewline returns the offset just after the last '\n' of f (0 if none).
func lastNewline(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 4096)
	for end := size; end > 0; {
		start := max(0, end-int64(len(buf)))
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		for k := n - 1; k >= 0; k-- {
			if buf[k] == '\n' {
				return start + int64(k) + 1, nil
			}
		}
		end = start
	}
	return 0, nil
}

// execute runs the shard's jobs after the first skip ones on workers
// goroutines and calls emit with each record in plan order. flush is
// called at least every flushEvery while results come in.
func (p *Plan) execute(ctx context.Context, s Shard, skip int64, workers int, emit func(*Record) error, flush func() error) error {
	type result struct {
		seq int64
		rec Record
	}
	window := int64(workers * 64)
	jobs := make(chan struct {
		seq int64
		job Job
	}, workers)
	results := make(chan result, workers)
	slots := make(chan struct{}, window) // bounds results held out of order
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- result{j.seq, p.Run(j.job)}
			}
		}()
	}
	go func() {
		defer close(jobs)
		seq := int64(0)
		matched := int64(0)
		for i := int64(0); i < p.Len(); i++ {
			var job Job
			if s.Whole() {
				if i < skip {
					continue
				}
				job = p.Job(i)
			} else {
				job = p.Job(i)
				if !s.Has(job.KeyString) {
					continue
				}
				matched++
				if matched <= skip {
					continue
				}
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			case <-stop:
				return
			}
			select {
			case jobs <- struct {
				seq int64
				job Job
			}{seq, job}:
			case <-ctx.Done():
				return
			case <-stop:
				return
			}
			seq++
		}
	}()
	go func() { wg.Wait(); close(results) }()

	pending := map[int64]Record{}
	next := int64(0)
	lastFlush := time.Now()
	var err error
	for r := range results {
		if err != nil {
			continue // drain
		}
		pending[r.seq] = r.rec
		for {
			rec, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-slots
			if err = emit(&rec); err != nil {
				close(stop)
				break
			}
		}
		if err == nil && time.Since(lastFlush) >= flushEvery {
			lastFlush = time.Now()
			if err = flush(); err != nil {
				close(stop)
			}
		}
	}
	if err != nil {
		return err
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("tournament interrupted: %w", cerr)
	}
	return nil
}
