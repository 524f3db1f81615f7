package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"parley"
	"parley/service"
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
	// sent is the last event written: a live event the backlog had is
	// skipped, and the stream's events are in order without duplicates.
	sent := after
	var buf []byte
	for i := range backlog {
		ev := &backlog[i]
		if ev.Seq <= sent {
			continue
		}
		msg, err := ev.AppendSSE(buf[:0])
		if err != nil {
			s.log.Error("stream: backlog", "negotiation", c.id, "err", err)
			return nil
		}
		buf = msg
		if _, err := w.Write(msg); err != nil {
			return nil
		}
		sent = ev.Seq
	}
	fmt.Fprint(w, ": live\n\n")
	if err := rc.Flush(); err != nil {
		return nil
	}
	// writeLive writes an event as published to every subscriber who may
	// see it, encoded once for all of them, unless it was sent already;
	// false ends the stream.
	writeLive := func(p *service.Published) bool {
		if p.Event.Seq <= sent {
			return true
		}
		msg, err := p.SSE()
		if err != nil {
			s.log.Error("stream: live event", "negotiation", c.id, "err", err)
			return false
		}
		if _, err := w.Write(msg); err != nil {
			return false
		}
		sent = p.Event.Seq
		return true
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case p, ok := <-sub.C:
			if !ok {
				return nil // dropped or server closing: the client resumes
			}
			if !writeLive(p) {
				return nil
			}
			// Drain what is already queued before flushing.
			for n := len(sub.C); n > 0; n-- {
				p, ok := <-sub.C
				if !ok {
					break
				}
				if !writeLive(p) {
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
