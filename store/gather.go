package store

import "time"

// Gather returns the group a group-committing writer commits next: first
// (the request it was waiting for), the requests already waiting on reqs,
// and, when wait > 0, those that arrive within wait — at most max in all.
//
// Each commit costs the same fixed work whatever its size (a transaction's
// begin and end, a sync, pages rewritten), so under concurrent load a short
// wait for more requests makes fewer, larger commits and less work per
// request, for a little latency; PostgreSQL's commit_delay makes the same
// trade. A writer passes wait > 0 only when its last group held more than one
// request, so that a lone request is committed at once.
func Gather[T any](reqs <-chan T, first T, max int, wait time.Duration) []T {
	group := []T{first}
	for len(group) < max {
		select {
		case r := <-reqs:
			group = append(group, r)
			continue
		default:
		}
		break
	}
	if wait <= 0 || len(group) >= max {
		return group
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	for len(group) < max {
		select {
		case r := <-reqs:
			group = append(group, r)
		case <-t.C:
			return group
		}
	}
	return group
}
