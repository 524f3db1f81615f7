package negotiation_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"parley"
	"parley/negotiation"
	"parley/negotiator"
	"parley/negotiator/negotiatortest"
	"parley/protocol"
)

// scripted proposes a fixed outcome, answers with a fixed response, and can
// be told to err, sleep or offer garbage.
type scripted struct {
	offer []int
	resp  negotiation.Response
	err   error
	sleep time.Duration
}

func (s *scripted) Init(*negotiation.Setup) error { return nil }
func (s *scripted) Propose(*negotiation.State) ([]int, error) {
	time.Sleep(s.sleep)
	return s.offer, s.err
}
func (s *scripted) Respond(*negotiation.State, []int) (negotiation.Response, error) {
	time.Sleep(s.sleep)
	return s.resp, s.err
}

func runTiny(t *testing.T, a, b negotiation.Negotiator, mod func(*negotiation.Config)) *negotiation.Result {
	t.Helper()
	cfg := negotiation.Config{Scenario: negotiatortest.MustScenario(t, "tiny"), Protocol: protocol.SAOP{}, Negotiators: []negotiation.Negotiator{a, b}, Trace: true}
	if mod != nil {
		mod(&cfg)
	}
	res, err := negotiation.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestOutcomeKinds(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name   string
		a, b   negotiation.Negotiator
		mod    func(*negotiation.Config)
		status negotiation.Status
		party  int
	}{
		{"agreement", &scripted{offer: []int{1}}, &scripted{resp: negotiation.Accept}, nil, negotiation.Agreement, -1},
		{"ended by first", &scripted{offer: nil}, &scripted{}, nil, negotiation.Ended, 0},
		{"ended by responder", &scripted{offer: []int{1}}, &scripted{resp: negotiation.End}, nil, negotiation.Ended, 1},
		{"error", &scripted{offer: []int{1}}, &scripted{err: boom}, nil, negotiation.Failed, 1},
		{"offer outside space", &scripted{offer: []int{3}}, &scripted{}, nil, negotiation.Failed, 0},
		{"offer of wrong length", &scripted{offer: []int{0, 0}}, &scripted{}, nil, negotiation.Failed, 0},
		{"unknown response", &scripted{offer: []int{1}}, &scripted{resp: 9}, nil, negotiation.Failed, 1},
		{"timed out", &scripted{offer: []int{1}, resp: negotiation.Reject}, &scripted{offer: []int{2}, resp: negotiation.Reject}, nil, negotiation.TimedOut, -1},
		{"call limit", &scripted{offer: []int{1}}, &scripted{sleep: 500 * time.Millisecond}, func(c *negotiation.Config) { c.CallLimit = 100 * time.Millisecond }, negotiation.Failed, 1},
		{"wall time", &scripted{offer: []int{1}, sleep: time.Millisecond}, &scripted{offer: []int{2}, sleep: time.Millisecond}, func(c *negotiation.Config) { c.Rounds, c.Time = 0, 20*time.Millisecond }, negotiation.TimedOut, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := runTiny(t, c.a, c.b, c.mod)
			if res.Status != c.status || res.Party != c.party {
				t.Fatalf("got %v party %d (err %v), want %v party %d", res.Status, res.Party, res.Err, c.status, c.party)
			}
			if c.status == negotiation.Failed {
				var f *negotiation.Failure
				if !errors.As(res.Err, &f) || f.Party != c.party || f.Name == "" {
					t.Errorf("error %v does not blame party %d", res.Err, c.party)
				}
			}
			if (c.status == negotiation.Agreement) != (res.Agreement != nil) {
				t.Errorf("status %v with agreement %v", res.Status, res.Agreement)
			}
			if res.T < 0 || res.T > 1 {
				t.Errorf("t = %v", res.T)
			}
		})
	}
}

func TestErrorWrapping(t *testing.T) {
	res := runTiny(t, &scripted{offer: []int{1}}, &scripted{err: parley.Errorf(parley.EINVALID, "bad")}, nil)
	if parley.ErrorCode(res.Err) != parley.EINVALID {
		t.Errorf("code %q of %v, want invalid", parley.ErrorCode(res.Err), res.Err)
	}
}

func TestConfigErrors(t *testing.T) {
	sc := negotiatortest.MustScenario(t, "tiny")
	sc.Deadline = nil
	for name, cfg := range map[string]negotiation.Config{
		"no deadline":     {Scenario: sc, Protocol: protocol.SAOP{}, Negotiators: []negotiation.Negotiator{negotiator.Linear(), negotiator.Linear()}},
		"one negotiator":  {Scenario: sc, Protocol: protocol.SAOP{}, Negotiators: []negotiation.Negotiator{negotiator.Linear()}, Rounds: 3},
		"no mediator":     {Scenario: sc, Protocol: protocol.SingleText{}, Negotiators: []negotiation.Negotiator{negotiator.Linear(), negotiator.Linear()}, Rounds: 3},
		"no protocol":     {Scenario: sc, Negotiators: []negotiation.Negotiator{negotiator.Linear(), negotiator.Linear()}, Rounds: 3},
		"negative rounds": {Scenario: sc, Protocol: protocol.SAOP{}, Negotiators: []negotiation.Negotiator{negotiator.Linear(), negotiator.Linear()}, Rounds: -1},
	} {
		if _, err := negotiation.New(cfg); parley.ErrorCode(err) != parley.EINVALID {
			t.Errorf("%s: error %v, want invalid", name, err)
		}
	}
}

// TestRelativeTime: t = r/(R−1) per round.
func TestRelativeTime(t *testing.T) {
	res := runTiny(t, &scripted{offer: []int{1}}, &scripted{offer: []int{2}}, func(c *negotiation.Config) { c.Rounds = 5 })
	want := []float64{0, 0.25, 0.5, 0.75, 1}
	for _, e := range res.Trace {
		if e.T != want[e.Round] {
			t.Errorf("round %d at t=%v, want %v", e.Round, e.T, want[e.Round])
		}
	}
}

// TestWatchIsPublic: a watcher sees every action, with no utilities, and
// a panicking watcher does not disturb the session.
func TestWatchIsPublic(t *testing.T) {
	var seen []negotiation.Event
	res := runTiny(t, negotiator.Hardliner(), negotiator.Conceder(), func(c *negotiation.Config) {
		c.Analyst = true
		c.Watch = func(e negotiation.Event) { seen = append(seen, e) }
	})
	if len(seen) != len(res.Trace) {
		t.Fatalf("watcher saw %d actions, trace has %d", len(seen), len(res.Trace))
	}
	for i, e := range seen {
		if e.Utility == e.Utility || e.Utilities != nil {
			t.Errorf("action %d shows utilities to a watcher: %+v", i, e)
		}
		if e.Action != res.Trace[i].Action {
			t.Errorf("action %d: %s vs %s", i, e.Action, res.Trace[i].Action)
		}
	}
	calls := 0
	res = runTiny(t, negotiator.Hardliner(), negotiator.Conceder(), func(c *negotiation.Config) {
		c.Watch = func(negotiation.Event) { calls++; panic("watcher") }
	})
	if res.Status != negotiation.Agreement || calls != 1 {
		t.Errorf("panicking watcher: %v after %d calls", res.Status, calls)
	}
}

// blocker never returns from Respond until released.
type blocker struct{ release chan struct{} }

func (b *blocker) Init(*negotiation.Setup) error { return nil }
func (b *blocker) Propose(*negotiation.State) ([]int, error) {
	return []int{0}, nil
}
func (b *blocker) Respond(*negotiation.State, []int) (negotiation.Response, error) {
	<-b.release
	return negotiation.Reject, nil
}

// TestCallLimitStopsAHungNegotiator: a negotiator that never returns fails
// the session at the call limit, blamed, instead of hanging it.
func TestCallLimitStopsAHungNegotiator(t *testing.T) {
	b := &blocker{release: make(chan struct{})}
	defer close(b.release)
	start := time.Now()
	res := runTiny(t, &scripted{offer: []int{1}}, b, func(c *negotiation.Config) { c.CallLimit = 200 * time.Millisecond })
	if res.Status != negotiation.Failed || res.Party != 1 {
		t.Fatalf("got %v party %d, want failed blaming 1", res.Status, res.Party)
	}
	var ct *negotiation.CallTimeout
	if !errors.As(res.Err, &ct) {
		t.Errorf("error %v is not a CallTimeout", res.Err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("session took %v", el)
	}
}

// vandal accepts after scribbling on the offer it is given.
type vandal struct{}

func (vandal) Init(*negotiation.Setup) error             { return nil }
func (vandal) Propose(*negotiation.State) ([]int, error) { return []int{2}, nil }
func (vandal) Respond(st *negotiation.State, o []int) (negotiation.Response, error) {
	o[0] = 2
	if st.Accepted != nil {
		st.Accepted[0] = 2
	}
	return negotiation.Accept, nil
}

// TestPartyCannotAlterTheOffer: a party that changes the offer it is
// shown before accepting agrees to the offer made, not to its scribble.
func TestPartyCannotAlterTheOffer(t *testing.T) {
	res := runTiny(t, &scripted{offer: []int{0}}, vandal{}, nil)
	if res.Status != negotiation.Agreement || res.Agreement[0] != 0 {
		t.Errorf("got %v on %v, want agreement on [0]", res.Status, res.Agreement)
	}
}

// listening is a Boulware that records the public actions it is shown.
type listening struct {
	negotiation.Negotiator
	seen []string
}

func (l *listening) Observe(e *negotiation.Event) {
	if e.Utility == e.Utility || e.Utilities != nil {
		panic("a listener was shown a utility")
	}
	l.seen = append(l.seen, fmt.Sprintf("%d %s %v", e.Party, e.Action, e.Outcome))
}

// TestListenerSeesEveryAction: in three-party SAOP a listening party sees
// the offers and answers of the other two, not only the offers put to it,
// and exactly the trace's actions.
func TestListenerSeesEveryAction(t *testing.T) {
	sc := negotiatortest.MustScenario(t, "trilateral")
	l := &listening{Negotiator: negotiator.Conceder()}
	res, err := negotiation.Run(negotiation.Config{Scenario: sc, Protocol: protocol.SAOP{}, Trace: true,
		Negotiators: []negotiation.Negotiator{negotiator.Conceder(), negotiator.Conceder(), l}})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.seen) != len(res.Trace) {
		t.Fatalf("listener saw %d actions, trace has %d", len(l.seen), len(res.Trace))
	}
	for i, e := range res.Trace {
		if want := fmt.Sprintf("%d %s %v", e.Party, e.Action, e.Outcome); l.seen[i] != want {
			t.Errorf("action %d: saw %q, want %q", i, l.seen[i], want)
		}
	}
}

// panicListener panics when told of an action.
type panicListener struct{ negotiation.Negotiator }

func (panicListener) Observe(*negotiation.Event) { panic("listener") }

func TestPanickingListenerIsBlamed(t *testing.T) {
	res := runTiny(t, negotiator.Conceder(), panicListener{negotiator.Conceder()}, nil)
	if res.Status != negotiation.Failed || res.Party != 1 {
		t.Errorf("got %v party %d, want failed blaming 1", res.Status, res.Party)
	}
}
