package tournament

import (
	"sync/atomic"
	"testing"
	"time"

	"parley/negotiation"
)

// Test-only strategies, registered for every test of the package. Each
// offers its own best outcome (found by enumerating the space).

// bestOf returns the outcome of highest utility for the setup's profile
// (the first such in index order).
func bestOf(s *negotiation.Setup) []int {
	it := s.Public.Space.Iter()
	var best []int
	bu := 0.0
	for it.Next() {
		if u := s.Profile.Func.Utility(it.Outcome()); best == nil || u > bu {
			best, bu = append([]int(nil), it.Outcome()...), u
		}
	}
	return best
}

// accepter offers its best outcome and accepts anything.
type accepter struct{ best []int }

func (a *accepter) Init(s *negotiation.Setup) error { a.best = bestOf(s); return nil }
func (a *accepter) Propose(*negotiation.State) ([]int, error) {
	return a.best, nil
}
func (a *accepter) Respond(*negotiation.State, []int) (negotiation.Response, error) {
	return negotiation.Accept, nil
}

// stubborn offers its best outcome and rejects everything.
type stubborn struct{ best []int }

func (a *stubborn) Init(s *negotiation.Setup) error { a.best = bestOf(s); return nil }
func (a *stubborn) Propose(*negotiation.State) ([]int, error) {
	return a.best, nil
}
func (a *stubborn) Respond(*negotiation.State, []int) (negotiation.Response, error) {
	return negotiation.Reject, nil
}

// panicker panics whenever it is asked to act.
type panicker struct{}

func (panicker) Init(*negotiation.Setup) error { return nil }
func (panicker) Propose(*negotiation.State) ([]int, error) {
	panic("panicker proposes a panic")
}
func (panicker) Respond(*negotiation.State, []int) (negotiation.Response, error) {
	panic("panicker responds with a panic")
}

// sleeper is stubborn but takes Delay over every call.
type sleeper struct {
	stubborn
	Delay time.Duration
}

func (a *sleeper) Propose(st *negotiation.State) ([]int, error) {
	time.Sleep(a.Delay)
	return a.stubborn.Propose(st)
}

// hanger never returns from its first offer until its release channel is
// closed.
type hanger struct {
	stubborn
	release chan struct{}
}

// release holds the channel given to new hangers; the test using them
// closes it at its end.
var release atomic.Pointer[chan struct{}]

// newRelease gives hangers made from now on a fresh channel, closed when
// the test ends.
func newRelease(t *testing.T) {
	ch := make(chan struct{})
	release.Store(&ch)
	t.Cleanup(func() { close(ch) })
}

func (a *hanger) Propose(st *negotiation.State) ([]int, error) {
	<-a.release
	return a.stubborn.Propose(st)
}

func init() {
	for name, f := range map[string]func() negotiation.Negotiator{
		"accepter": func() negotiation.Negotiator { return &accepter{} },
		"stubborn": func() negotiation.Negotiator { return &stubborn{} },
		"panicker": func() negotiation.Negotiator { return panicker{} },
		"sleeper":  func() negotiation.Negotiator { return &sleeper{Delay: 400 * time.Millisecond} },
		"hanger": func() negotiation.Negotiator {
			h := &hanger{}
			if ch := release.Load(); ch != nil {
				h.release = *ch
			}
			return h
		},
	} {
		if err := Register(name, f); err != nil {
			panic(err)
		}
	}
}
