package negotiation

import (
	"fmt"
	"math"
	"time"

	"parley"
	"parley/scenario"
	"parley/space"
	"parley/utility"
)

// Session is one negotiation in progress. Protocols drive it through its
// methods; each method that calls a party reports false once the session is
// over (agreement, deadline, end or failure), and the protocol must then
// return.
type Session struct {
	cfg      Config
	pub      *Public
	profiles []*utility.Profile
	negs     []Negotiator
	med      Mediator
	n        int

	rounds int
	limit  time.Duration
	start  time.Time
	timed  bool // wall time matters (deadline or call limit)

	round   int
	state   State
	status  Status
	expired bool // the deadline has come; the protocol may still settle
	party   int
	err     error
	agreed  []int
	steps   int

	accepted    []int // last text all accepted (mediated)
	hasAccepted bool
	votes       []Vote
	blocking    int // issue named by the last rejecting party, or -1
	trace       []Event
	expl        []string
	result      *Result
	// rounds (from 0) in which the agreement and the accepted text were
	// reached
	agreedRound, acceptedRound int
	// Copies handed to parties, so that none can change the engine's
	// offers or texts.
	offerView, acceptedView, listenView []int
	// listeners are the negotiators that implement Listener.
	listeners []int
}

// view copies an outcome into the buffer handed to a responding party.
func (s *Session) view(o []int) []int {
	copy(s.offerView, o)
	return s.offerView
}

// New checks a configuration and returns a session ready to Run.
func New(cfg Config) (*Session, error) {
	if cfg.Scenario == nil {
		return nil, parley.Errorf(parley.EINVALID, "session has no scenario")
	}
	if cfg.Protocol == nil {
		return nil, parley.Errorf(parley.EINVALID, "session has no protocol")
	}
	sc := cfg.Scenario
	rounds, limit, err := deadline(&cfg)
	if err != nil {
		return nil, fmt.Errorf("session on %q: %w", sc.Name, err)
	}
	profiles := cfg.Profiles
	if profiles == nil {
		if profiles, err = utility.Participants(sc); err != nil {
			return nil, fmt.Errorf("session on %q: %w", sc.Name, err)
		}
	}
	part := sc.Participants()
	if len(profiles) != len(part) {
		return nil, parley.Errorf(parley.EINVALID, "session on %q: %d profiles for %d participants", sc.Name, len(profiles), len(part))
	}
	if len(cfg.Negotiators) != len(part) {
		return nil, parley.Errorf(parley.EINVALID, "session on %q: %d negotiators for %d participants", sc.Name, len(cfg.Negotiators), len(part))
	}
	for i, ng := range cfg.Negotiators {
		if ng == nil {
			return nil, parley.Errorf(parley.EINVALID, "session on %q: no negotiator for %q", sc.Name, profiles[i].Name)
		}
	}
	if cfg.Protocol.Mediated() && cfg.Mediator == nil {
		return nil, parley.Errorf(parley.EINVALID, "session on %q: protocol %s needs a mediator", sc.Name, cfg.Protocol.Name())
	}
	sp, err := space.Of(sc)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	pub := &Public{
		Scenario: sc.Name,
		Issues:   copyIssues(sc.Issues),
		Space:    sp,
		Protocol: cfg.Protocol.Name(),
		Rounds:   rounds,
		Time:     limit,
	}
	for i := range sc.Parties {
		p := &sc.Parties[i]
		info := PartyInfo{Name: p.Name, Role: p.Role, Description: p.Description}
		if p.Role == "participant" {
			pub.Parties = append(pub.Parties, info)
		} else {
			pub.Others = append(pub.Others, info)
		}
	}
	s := &Session{
		cfg:          cfg,
		pub:          pub,
		profiles:     profiles,
		negs:         cfg.Negotiators,
		n:            len(part),
		rounds:       rounds,
		limit:        limit,
		timed:        limit > 0 || cfg.CallLimit > 0,
		party:        -1,
		round:        -1,
		agreed:       make([]int, sp.Issues()),
		offerView:    make([]int, sp.Issues()),
		acceptedView: make([]int, sp.Issues()),
		accepted:     make([]int, sp.Issues()),
		votes:        make([]Vote, len(part)),
	}
	if cfg.Protocol.Mediated() {
		s.med = cfg.Mediator
	}
	for i, ng := range cfg.Negotiators {
		if _, ok := ng.(Listener); ok {
			s.listeners = append(s.listeners, i)
		}
	}
	s.listenView = make([]int, sp.Issues())
	return s, nil
}

// copyIssues deep-copies issues, so no party can change what another sees.
func copyIssues(in []scenario.Issue) []scenario.Issue {
	out := make([]scenario.Issue, len(in))
	for i, is := range in {
		is.Values = append([]string(nil), is.Values...)
		is.Positions = append([]float64(nil), is.Positions...)
		if is.Min != nil {
			v := *is.Min
			is.Min = &v
		}
		if is.Max != nil {
			v := *is.Max
			is.Max = &v
		}
		out[i] = is
	}
	return out
}

// clone returns a deep copy, so that no party can change what another sees.
func (p *Public) clone() *Public {
	c := *p
	c.Issues = copyIssues(p.Issues)
	c.Parties = append([]PartyInfo(nil), p.Parties...)
	c.Others = append([]PartyInfo(nil), p.Others...)
	return &c
}

// Public returns the session's public view (the engine's own copy: do not
// change it).
func (s *Session) Public() *Public { return s.pub }

// Parties returns the number of negotiating parties.
func (s *Session) Parties() int { return s.n }

// Round returns the current round (counted from 0; -1 before the first).
func (s *Session) Round() int { return s.round }

// T returns the current relative time.
func (s *Session) T() float64 { return s.state.T }

// Over reports whether the session has ended or its deadline has come.
func (s *Session) Over() bool { return s.status != Running || s.expired }

// Run initialises every party, runs the protocol and returns the result.
// It never panics on a party's behalf: panics are recovered and blamed. A
// Session runs once; Run again returns the same result.
func (s *Session) Run() *Result {
	if s.result != nil {
		return s.result
	}
	s.start = time.Now()
	s.initAll()
	if s.status == Running {
		s.cfg.Protocol.Run(s)
	}
	if s.status == Running {
		// The protocol stopped without a verdict: the deadline came.
		s.finish(TimedOut, -1, nil)
	}
	res := &Result{
		Status:       s.status,
		Party:        s.party,
		Err:          s.err,
		Rounds:       s.round + 1,
		Steps:        s.steps,
		T:            s.state.T,
		Elapsed:      time.Since(s.start),
		Trace:        s.trace,
		Explanations: s.expl,
	}
	if s.status == Agreement {
		res.Agreement = append([]int(nil), s.agreed...)
		res.AgreedRound = s.agreedRound
	}
	s.result = res
	return res
}

func (s *Session) initAll() {
	for i, ng := range s.negs {
		setup := &Setup{Self: i, Profile: copyProfile(s.profiles[i]), Public: s.pub.clone(), Rand: seedFor(s.cfg.Seed, i)}
		if err := s.limited(func() error { return ng.Init(setup) }); err != nil {
			s.fail(i, fmt.Errorf("init: %w", err))
			return
		}
	}
	if s.med != nil {
		t := &Trusted{Public: s.pub.clone(), Rand: seedFor(s.cfg.Seed, -1)}
		for _, p := range s.profiles {
			t.Profiles = append(t.Profiles, copyProfile(p))
		}
		if err := s.limited(func() error { return s.med.Init(t) }); err != nil {
			s.fail(MediatorParty, fmt.Errorf("init: %w", err))
		}
	}
}

// guard runs f, turning a panic into an error. Used outside the hot path.
func (s *Session) guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r}
		}
	}()
	return f()
}

// CallTimeout is the error of a call that did not return within the
// session's call limit.
type CallTimeout struct{ Limit time.Duration }

// Error implements error.
func (e *CallTimeout) Error() string {
	return fmt.Sprintf("call did not return within the limit of %v", e.Limit)
}

// limited runs f with panics recovered and, when the session has a call
// limit, on its own goroutine with a watchdog: a call still running at the
// limit is abandoned (left to finish in the background, its result
// discarded) and reported as a CallTimeout.
func (s *Session) limited(f func() error) error {
	if s.cfg.CallLimit <= 0 {
		return s.guard(f)
	}
	ch := make(chan error, 1)
	go func() { ch <- s.guard(f) }()
	t := time.NewTimer(s.cfg.CallLimit)
	defer t.Stop()
	select {
	case err := <-ch:
		return err
	case <-t.C:
		return &CallTimeout{Limit: s.cfg.CallLimit}
	}
}

// NextRound starts the next round and reports whether it may be played
// (false once the deadline is reached or the session is over).
func (s *Session) NextRound() bool {
	if s.status != Running || s.expired {
		return false
	}
	if s.rounds > 0 && s.round+1 >= s.rounds {
		s.expired = true
		return false
	}
	s.round++
	if !s.clock() {
		s.round-- // the round was not played
		return false
	}
	s.state.Round = s.round
	return true
}

// clock updates the relative time and ends the session if wall time is up.
func (s *Session) clock() bool {
	t := 0.0
	if s.rounds > 1 {
		t = float64(s.round) / float64(s.rounds-1)
	} else if s.rounds == 1 {
		t = 1
	}
	if s.limit > 0 {
		el := time.Since(s.start)
		if el >= s.limit {
			s.expired = true
			s.state.T = 1
			return false
		}
		if w := float64(el) / float64(s.limit); w > t {
			t = w
		}
	}
	if t > 1 {
		t = 1
	}
	s.state.T = t
	return true
}

func (s *Session) finish(st Status, party int, err error) {
	if s.status != Running {
		return
	}
	s.status, s.party, s.err = st, party, err
}

func (s *Session) fail(party int, err error) {
	name := "mediator"
	if party >= 0 {
		name = s.pub.Parties[party].Name
	} else {
		for _, o := range s.pub.Others {
			if o.Role == "mediator" {
				name = o.Name
			}
		}
	}
	s.finish(Failed, party, &Failure{Party: party, Name: name, Err: err})
}

// before prepares party i's state for a call; false if time is up.
func (s *Session) before(i, proposer int) (*State, time.Time, bool) {
	var t0 time.Time
	if s.status != Running || s.expired {
		return nil, t0, false
	}
	if s.timed {
		if s.limit > 0 && !s.clock() {
			return nil, t0, false
		}
		t0 = time.Now()
	}
	s.steps++
	st := &s.state
	st.Step = s.steps
	st.Self = i
	st.Proposer = proposer
	if s.hasAccepted {
		// A copy: a party that scribbles on it changes nothing.
		copy(s.acceptedView, s.accepted)
		st.Accepted = s.acceptedView
	} else {
		st.Accepted = nil
	}
	return st, t0, true
}

// after checks the call's error and duration.
func (s *Session) after(i int, t0 time.Time, err error) bool {
	if err != nil {
		s.fail(i, err)
		return false
	}
	if s.cfg.CallLimit > 0 {
		if d := time.Since(t0); d > s.cfg.CallLimit {
			s.fail(i, fmt.Errorf("call took %v, over the limit of %v", d.Round(time.Microsecond), s.cfg.CallLimit))
			return false
		}
	}
	return true
}

// Propose asks party i for an offer. It returns the offer (owned by the
// negotiator: copy it to keep it) and true, or nil and false when the
// session is over: the party ended it, failed, or time ran out.
func (s *Session) Propose(i int) ([]int, bool) {
	st, t0, ok := s.before(i, -1)
	if !ok {
		return nil, false
	}
	var o []int
	var err error
	if s.cfg.CallLimit > 0 {
		o, err = s.proposeLimited(i, st)
	} else {
		o, err = s.callPropose(i, st)
	}
	if !s.after(i, t0, err) {
		return nil, false
	}
	if o == nil {
		s.event(i, ActEnd, nil, -1, -1, "")
		s.finish(Ended, i, nil)
		return nil, false
	}
	if !s.pub.Space.Contains(o) {
		s.fail(i, parley.Errorf(parley.EINVALID, "offer %v is not an outcome of the space", o))
		return nil, false
	}
	s.event(i, ActOffer, o, -1, -1, "")
	return o, true
}

// proposeLimited is callPropose under the call limit's watchdog. (A
// separate function, so the fast path's variables stay on the stack.)
func (s *Session) proposeLimited(i int, st *State) ([]int, error) {
	var o []int
	err := s.limited(func() error {
		var e error
		o, e = s.callPropose(i, st)
		return e
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// respondLimited is callRespond under the call limit's watchdog.
func (s *Session) respondLimited(i int, st *State, offer []int) (Response, error) {
	var r Response
	err := s.limited(func() error {
		var e error
		r, e = s.callRespond(i, st, offer)
		return e
	})
	if err != nil {
		return Reject, err
	}
	return r, nil
}

func (s *Session) callPropose(i int, st *State) (o []int, err error) {
	defer func() {
		if r := recover(); r != nil {
			o, err = nil, &PanicError{Value: r}
		}
	}()
	return s.negs[i].Propose(st)
}

// Respond puts offer (proposed by party proposer, or MediatorParty) to party
// i and returns its response and true, or false when the session is over.
// An End response ends the session (and is returned with false).
func (s *Session) Respond(i int, offer []int, proposer int) (Response, bool) {
	st, t0, ok := s.before(i, proposer)
	if !ok {
		return Reject, false
	}
	var r Response
	var err error
	if s.cfg.CallLimit > 0 {
		r, err = s.respondLimited(i, st, s.view(offer))
	} else {
		r, err = s.callRespond(i, st, s.view(offer))
	}
	if !s.after(i, t0, err) {
		return Reject, false
	}
	switch r {
	case Accept:
		s.event(i, ActAccept, offer, proposer, -1, "")
	case Reject:
		s.blocking = -1
		if proposer == MediatorParty {
			if ob, isOb := s.negs[i].(Objector); isOb {
				b := -1
				if err := s.limited(func() error { b = ob.Objection(st, offer); return nil }); err != nil {
					s.fail(i, fmt.Errorf("objection: %w", err))
					return r, false
				}
				if b >= 0 && b < s.pub.Space.Issues() {
					s.blocking = b
				}
			}
		}
		s.event(i, ActReject, offer, proposer, s.blocking, "")
	case End:
		s.event(i, ActEnd, nil, proposer, -1, "")
		s.finish(Ended, i, nil)
		return End, false
	default:
		s.fail(i, parley.Errorf(parley.EINVALID, "unknown response %d", int(r)))
		return r, false
	}
	return r, true
}

func (s *Session) callRespond(i int, st *State, offer []int) (r Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = Reject, &PanicError{Value: p}
		}
	}()
	return s.negs[i].Respond(st, offer)
}

// Agree ends the session with agreement on o, reached in the current
// round.
func (s *Session) Agree(o []int) {
	if s.status != Running {
		return
	}
	copy(s.agreed, o)
	s.agreedRound = s.round
	s.finish(Agreement, -1, nil)
}

// AgreeOnAccepted ends the session with agreement on the last text every
// party accepted (reached in the round it was accepted), and reports
// whether there was one.
func (s *Session) AgreeOnAccepted() bool {
	if s.status != Running || !s.hasAccepted {
		return false
	}
	copy(s.agreed, s.accepted)
	s.agreedRound = s.acceptedRound
	s.finish(Agreement, -1, nil)
	return true
}

// MediatorPropose asks the mediator for a text; false when the session is
// over (the mediator ended it, failed, or time ran out).
func (s *Session) MediatorPropose() ([]int, bool) {
	st, t0, ok := s.before(MediatorParty, -1)
	if !ok {
		return nil, false
	}
	var text []int
	var expl string
	err := s.limited(func() error {
		var err error
		text, expl, err = s.med.Propose(st)
		return err
	})
	if !s.after(MediatorParty, t0, err) {
		return nil, false
	}
	if expl != "" {
		s.expl = append(s.expl, expl)
	}
	if text == nil {
		s.event(MediatorParty, ActEnd, nil, -1, -1, expl)
		s.finish(Ended, MediatorParty, nil)
		return nil, false
	}
	if !s.pub.Space.Contains(text) {
		s.fail(MediatorParty, parley.Errorf(parley.EINVALID, "text %v is not an outcome of the space", text))
		return nil, false
	}
	s.event(MediatorParty, ActPropose, text, -1, -1, expl)
	return text, true
}

// Vote puts the mediator's text to every party and returns their votes (the
// session's buffer: read before the next call) and true, or false when the
// session is over.
func (s *Session) Vote(text []int) ([]Vote, bool) {
	for i := 0; i < s.n; i++ {
		r, ok := s.Respond(i, text, MediatorParty)
		if !ok {
			return nil, false
		}
		b := -1
		if r == Reject {
			b = s.blocking
		}
		s.votes[i] = Vote{Response: r, Blocking: b}
	}
	return s.votes, true
}

// MediatorLearn tells the mediator the votes on its text; false when the
// session is over.
func (s *Session) MediatorLearn(text []int, votes []Vote) bool {
	if s.status != Running {
		return false
	}
	st := &s.state
	st.Self, st.Proposer = MediatorParty, -1
	if err := s.limited(func() error { return s.med.Learn(st, text, votes) }); err != nil {
		s.fail(MediatorParty, fmt.Errorf("learn: %w", err))
		return false
	}
	return true
}

// SetAccepted records text as the last text every party accepted (given to
// parties as State.Accepted).
func (s *Session) SetAccepted(text []int) {
	copy(s.accepted, text)
	s.hasAccepted = true
	s.acceptedRound = s.round
}

// Accepted returns the last text every party accepted, or nil.
func (s *Session) Accepted() []int {
	if !s.hasAccepted {
		return nil
	}
	return s.accepted
}

// Expired reports whether the deadline has come. A protocol whose rules
// settle on an earlier result at the deadline (single text: the last text all
// accepted) may still call Agree; otherwise the session is timed out.
func (s *Session) Expired() bool { return s.expired }

func (s *Session) event(i int, a Action, o []int, proposer, blocking int, expl string) {
	if s.listeners != nil {
		s.tell(i, a, o, proposer, blocking, expl)
	}
	if !s.cfg.Trace && s.cfg.Watch == nil {
		return
	}
	e := Event{Round: s.round, T: s.state.T, Party: i, Action: a, Proposer: proposer, Blocking: blocking, Explanation: expl, Utility: math.NaN()}
	if o != nil {
		e.Outcome = append([]int(nil), o...)
		if i >= 0 {
			e.Utility = s.profiles[i].Func.Utility(o)
		}
		if s.cfg.Analyst {
			e.Utilities = make([]float64, s.n)
			for j, p := range s.profiles {
				e.Utilities[j] = p.Func.Utility(o)
			}
		}
	}
	if s.cfg.Watch != nil {
		pub := e
		pub.Utility, pub.Utilities = math.NaN(), nil
		s.watch(pub)
	}
	if s.cfg.Trace {
		s.trace = append(s.trace, e)
	}
}

// tell shows an action, in its public form, to every negotiator that
// listens. The outcome is a copy in a session buffer, valid during the call.
func (s *Session) tell(i int, a Action, o []int, proposer, blocking int, expl string) {
	e := Event{Round: s.round, T: s.state.T, Party: i, Action: a, Proposer: proposer, Blocking: blocking, Explanation: expl, Utility: math.NaN()}
	for _, j := range s.listeners {
		if s.status != Running {
			return
		}
		if o != nil {
			copy(s.listenView, o)
			e.Outcome = s.listenView
		}
		if err := s.observe(j, &e); err != nil {
			s.fail(j, fmt.Errorf("observe: %w", err))
			return
		}
	}
}

func (s *Session) observe(j int, e *Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r}
		}
	}()
	s.negs[j].(Listener).Observe(e)
	return nil
}

// watch calls the watcher, dropping it if it panics.
func (s *Session) watch(e Event) {
	defer func() {
		if recover() != nil {
			s.cfg.Watch = nil
		}
	}()
	s.cfg.Watch(e)
}
