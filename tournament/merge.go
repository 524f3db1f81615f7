package tournament

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"parley"
)

// Merge joins the results folders of the shards 1/n … n/n of one plan into
// dir, as if the whole plan had run there: results.csv holds every row in
// plan order (byte-identical to an unsharded run) and tournament.json
// describes the whole plan. It streams (a k-way merge by plan index), so
// memory does not grow with the number of negotiations. Incomplete shards
// are an error unless partial is true.
func Merge(dir string, shards []string, partial bool) (*Manifest, error) {
	if len(shards) == 0 {
		return nil, parley.Errorf(parley.EINVALID, "merge: no shard folders")
	}
	var mans []*Manifest
	for _, s := range shards {
		m, err := ReadManifest(s)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		mans = append(mans, m)
	}
	first := mans[0]
	seen := map[int]string{}
	n := 0
	var total, done int64
	for i, m := range mans {
		if m.Fingerprint != first.Fingerprint {
			return nil, parley.Errorf(parley.EINVALID, "merge: %s is from another tournament (fingerprint %s, %s has %s)", shards[i], m.Fingerprint, shards[0], first.Fingerprint)
		}
		sh, err := ParseShard(m.Shard)
		if err != nil {
			return nil, parley.Errorf(parley.EINVALID, "merge: %s is not a shard (shard %q)", shards[i], m.Shard)
		}
		if n == 0 {
			n = sh.N
		}
		if sh.N != n {
			return nil, parley.Errorf(parley.EINVALID, "merge: %s is shard %s, others are of %d", shards[i], m.Shard, n)
		}
		if prev, dup := seen[sh.K]; dup {
			return nil, parley.Errorf(parley.EINVALID, "merge: %s and %s are both shard %s", prev, shards[i], m.Shard)
		}
		seen[sh.K] = shards[i]
		if !m.Complete && !partial {
			return nil, parley.Errorf(parley.ECONFLICT, "merge: shard %s in %s is incomplete (%d of %d); finish it (rerun it to resume) or merge with --partial", m.Shard, shards[i], m.Done, m.Jobs)
		}
		total += m.Jobs
		done += m.Done
	}
	if len(seen) != n && !partial {
		var missing []int
		for k := 1; k <= n; k++ {
			if _, ok := seen[k]; !ok {
				missing = append(missing, k)
			}
		}
		return nil, parley.Errorf(parley.ECONFLICT, "merge: shards %v of %d are missing", missing, n)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	for _, s := range shards {
		if filepath.Clean(s) == filepath.Clean(dir) {
			return nil, parley.Errorf(parley.EINVALID, "merge: the output folder %s is one of the shards", dir)
		}
	}
	out, err := os.Create(filepath.Join(dir, ResultsFile))
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	defer out.Close()
	if err := mergeRows(out, shards, first.MaxRoles); err != nil {
		return nil, err
	}
	if err := out.Close(); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	m := *first
	m.Shard, m.Jobs, m.Done = Shard{}.String(), total, done
	m.Complete = len(seen) == n && done == total
	if err := m.write(dir); err != nil {
		return nil, err
	}
	return &m, nil
}

// cursor is one shard's reader in the k-way merge.
type cursor struct {
	r    *Reader
	name string
	rec  Record
}

type cursors []*cursor

// heap.Interface, by plan index.

func (h cursors) Len() int           { return len(h) }
func (h cursors) Less(i, j int) bool { return h[i].rec.Index < h[j].rec.Index }
func (h cursors) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *cursors) Push(x any)        { *h = append(*h, x.(*cursor)) }
func (h *cursors) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

func mergeRows(out io.Writer, shards []string, roles int) error {
	var h cursors
	var opened []*os.File
	defer func() {
		for _, f := range opened {
			f.Close()
		}
	}()
	for _, s := range shards {
		name := filepath.Join(s, ResultsFile)
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		opened = append(opened, f)
		st, err := f.Stat()
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		end, err := lastNewline(f, st.Size())
		if err != nil {
			return fmt.Errorf("merge %s: %w", name, err)
		}
		r, err := NewReader(io.NewSectionReader(f, 0, end), name)
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		if r.Roles() != roles {
			return parley.Errorf(parley.EINVALID, "merge: %s has %d role columns, want %d", name, r.Roles(), roles)
		}
		c := &cursor{r: r, name: name}
		if err := c.next(); err == nil {
			h = append(h, c)
		} else if !errors.Is(err, io.EOF) {
			return fmt.Errorf("merge: %w", err)
		}
	}
	heap.Init(&h)
	w, err := NewWriter(out, roles, true)
	if err != nil {
		return err
	}
	last := int64(-1)
	for h.Len() > 0 {
		c := h[0]
		if c.rec.Index <= last {
			return parley.Errorf(parley.EINVALID, "merge: %s: index %d comes twice or out of order", c.name, c.rec.Index)
		}
		last = c.rec.Index
		if err := w.Write(&c.rec); err != nil {
			return err
		}
		if err := c.next(); err != nil {
			if !errors.Is(err, io.EOF) {
				return fmt.Errorf("merge: %w", err)
			}
			heap.Pop(&h)
			continue
		}
		heap.Fix(&h, 0)
	}
	return w.Flush()
}

func (c *cursor) next() error {
	rec, err := c.r.Read()
	if err != nil {
		return err
	}
	// The reader reuses its row; the record holds copies of its strings,
	// but its slices must not be shared with the next read.
	rec.Competitors = slices.Clone(rec.Competitors)
	c.rec = rec
	return nil
}
