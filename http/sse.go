package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"parley"
	"parley/live"
)

// keepAlive is how often an idle stream sends a comment line.
const keepAlive = 15 * time.Second

// stream serves a negotiation's events as Server-Sent Events: first those
// after Last-Event-ID (or ?after=) from the store, then live ones, each
// filtered for the caller's role and party. The event id is the sequence
// number.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, c *call) error {
	after := int64(0)
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("after")
	}
	if last != "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return parley.Errorf(parley.EINVALID, "Last-Event-ID: want a sequence number, got %q", last)
		}
		after = n
	}
	rc := http.NewResponseController(w)
	// Subscribe before reading the backlog so that nothing falls between.
	sub, err := s.svc.Subscribe(c.tok)
	if err != nil {
		return err
	}
	defer s.svc.Unsubscribe(sub)
	backlog, err := s.svc.Events(r.Context(), c.tok, after, 0)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	sent := after
	write := func(e *live.Event) error {
		if e.Seq <= sent {
			return nil
		}
		b, err := e.AppendJSON(nil) // json.Marshal(e)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, b); err != nil {
			return err
		}
		sent = e.Seq
		return nil
	}
	for i := range backlog {
		if err := write(&backlog[i]); err != nil {
			return nil
		}
	}
	fmt.Fprint(w, ": live\n\n")
	if err := rc.Flush(); err != nil {
		return nil
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case e, ok := <-sub.C:
			if !ok {
				return nil // dropped or server closing: the client resumes
			}
			if err := write(&e); err != nil {
				return nil
			}
			// Drain what is already queued before flushing.
			for n := len(sub.C); n > 0; n-- {
				e, ok := <-sub.C
				if !ok {
					break
				}
				if err := write(&e); err != nil {
					return nil
				}
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
	}
}
