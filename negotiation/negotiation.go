// Package negotiation is Parley's negotiation engine: a Session runs a
// Protocol over a scenario with one Negotiator per participant (and a
// Mediator where the protocol has one), enforces deadlines in rounds and/or
// wall time and a per-call time limit, recovers panics, and records the
// outcome as an agreement, a time-out, an end by one party, or a failure
// with the party blamed.
//
// # Confidentiality by construction
//
// A Negotiator is given a Setup: its own utility.Profile and a Public view
// (issues, party names, deadline, protocol) — nothing else. During the
// session it sees State values (round, relative time, who proposed), the
// outcomes put to it and, if it is a Listener, every public action. No type
// a negotiator receives holds another party's preferences, reservation value
// or discount (a test walks the types to prove it). Only a Mediator is given
// a Trusted value with every participant's profile; that is the broker's
// role. Observers get the public actions through Config.Watch.
//
// Parties get copies — of their profile, of the public view, of every offer
// and text — so none can change what another sees or agrees to.
//
// # Time
//
// Relative time t ∈ [0, 1] is the larger of the round fraction r/(R−1)
// (round r of R, counted from 0, so the first round has t = 0 and the last
// t = 1) and the wall-time fraction elapsed/T. A session whose deadline is in
// rounds only is deterministic for a given seed.
package negotiation

import (
	"fmt"
	"math/rand/v2"
	"time"

	"parley"
	"parley/scenario"
	"parley/space"
	"parley/utility"
)

// Response is a party's answer to an outcome put to it.
type Response int

// Responses.
const (
	Reject Response = iota // no; in alternating protocols the party then proposes
	Accept                 // yes
	End                    // walk away: the session ends without agreement
)

// String names the response.
func (r Response) String() string {
	switch r {
	case Reject:
		return "reject"
	case Accept:
		return "accept"
	case End:
		return "end"
	}
	return fmt.Sprintf("response(%d)", int(r))
}

// PartyInfo is the public description of one party: what any party may know
// about another.
type PartyInfo struct {
	Name        string
	Role        scenario.Role
	Description string
}

// Public is the information every party may see: what is negotiated, by
// whom, under which protocol and deadline. It holds no preferences.
type Public struct {
	// Scenario is the scenario's name.
	Scenario string
	// Issues are the issues negotiated, in outcome order (copies).
	Issues []scenario.Issue
	// Space is the outcome space; outcomes are value indices per issue.
	Space *space.Space
	// Parties are the negotiating parties (the scenario's participants), in
	// session order: party index i in State and Result refers to Parties[i].
	Parties []PartyInfo
	// Others are the scenario's other parties (mediators and observers).
	Others []PartyInfo
	// Protocol is the name of the protocol run.
	Protocol string
	// Rounds is the deadline in rounds (0 for none).
	Rounds int
	// Time is the deadline in wall time (0 for none).
	Time time.Duration
}

// Setup is everything a negotiator is given when a session starts: its own
// private profile and the public view. It holds no other party's
// preferences.
type Setup struct {
	// Self is the negotiator's party index (see Public.Parties).
	Self int
	// Profile is the negotiator's own utility function, reservation value and
	// discount factor: private to it. It is a copy; changing it changes
	// nothing in the session.
	Profile *utility.Profile
	// Public is the public view of the session.
	Public *Public
	// Rand is the negotiator's own random source, seeded from the session's
	// seed and the party index: use it (and nothing else) for randomness.
	Rand *rand.Rand
}

// Trusted is what a mediator is given: the public view and every
// participant's profile. Only the mediator (broker) role receives it.
type Trusted struct {
	Public *Public
	// Profiles are the participants' profiles, in party order (copies).
	Profiles []*utility.Profile
	// Rand is the mediator's own random source.
	Rand *rand.Rand
}

// State is the public state of the session at one call. The engine reuses
// it: read it during the call, do not keep it.
type State struct {
	// Round is the current round, counted from 0.
	Round int
	// Step counts the calls made to parties so far in the session.
	Step int
	// T is the relative time in [0, 1] (see the package documentation).
	T float64
	// Self is the party index of the party called (MediatorParty for the
	// mediator).
	Self int
	// Proposer is the party index of whoever proposed the outcome being
	// responded to: MediatorParty for a mediator's text, -1 when proposing.
	Proposer int
	// Accepted is the last text every party accepted, in mediated
	// protocols; nil when there is none.
	Accepted []int
}

// Negotiator is a party's strategy. The engine calls Init once per session,
// then Propose and Respond as the protocol asks. A Negotiator value serves
// one session at a time.
type Negotiator interface {
	// Init starts a session.
	Init(s *Setup) error
	// Propose returns the party's offer. The engine copies it before the
	// next call, so the negotiator may reuse the slice. A nil offer ends the
	// session without agreement.
	Propose(st *State) ([]int, error)
	// Respond answers an outcome put to the party: an offer of another party
	// or a mediator's text. offer is the engine's: read it, do not keep it
	// or change it.
	Respond(st *State, offer []int) (Response, error)
}

// Objector is implemented by negotiators that, after rejecting a mediator's
// text, can say which issue blocks them. The broker uses it to narrow its
// search; the issue index is public, the reason is not.
type Objector interface {
	// Objection returns the index of the issue that most blocks the party
	// in text, or -1.
	Objection(st *State, text []int) int
}

// Listener is implemented by negotiators that want to see every public
// action of the session as it happens — every offer, vote, end and
// mediator's text, by any party — not only the outcomes put to them. The
// event carries no utility (Utility is NaN, Utilities nil). It is the
// engine's, reused: read it during the call, do not keep it or its Outcome.
type Listener interface {
	Observe(e *Event)
}

// Vote is one party's answer to a mediator's text.
type Vote struct {
	Response Response
	// Blocking is the issue the party said blocks it, or -1.
	Blocking int
}

// Mediator proposes texts in mediated protocols (single text, broker).
type Mediator interface {
	// Init starts a session.
	Init(t *Trusted) error
	// Propose returns the next text and a short public explanation of it (may
	// be empty). A nil text ends the session without agreement.
	Propose(st *State) (text []int, explanation string, err error)
	// Learn tells the mediator the votes on the text it proposed, in party
	// order.
	Learn(st *State, text []int, votes []Vote) error
}

// Protocol runs a session's rounds by calling the Session's methods.
type Protocol interface {
	// Name is the protocol's name, e.g. "saop".
	Name() string
	// Mediated reports whether the protocol needs a Mediator.
	Mediated() bool
	// Run plays the session until Session.Over; it must stop when a Session
	// method reports false.
	Run(s *Session)
}

// Status is how a session ended.
type Status int

// Statuses.
const (
	Running   Status = iota // not over yet
	Agreement               // every party accepted an outcome
	TimedOut                // the deadline came first
	Ended                   // a party (or the mediator) walked away
	Failed                  // a party broke the rules, errored, panicked or overran its call limit
)

// String names the status.
func (s Status) String() string {
	switch s {
	case Running:
		return "running"
	case Agreement:
		return "agreement"
	case TimedOut:
		return "timed out"
	case Ended:
		return "ended"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// MarshalText writes the status name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MediatorParty is the party index used for the mediator in events, results
// and State.Proposer.
const MediatorParty = -2

// Config is a session to run.
type Config struct {
	// Scenario is the negotiation; it must be valid.
	Scenario *scenario.Scenario
	// Protocol runs the rounds.
	Protocol Protocol
	// Negotiators are one per participant, in the scenario's participant
	// order.
	Negotiators []Negotiator
	// Mediator is required by mediated protocols and ignored otherwise.
	Mediator Mediator
	// Profiles are the participants' compiled profiles, in participant
	// order; nil compiles them from the scenario.
	Profiles []*utility.Profile
	// Rounds and Time are the deadline; whichever comes first ends the
	// session. Zero values fall back to the scenario's deadline; at least one
	// must be set.
	Rounds int
	Time   time.Duration
	// CallLimit bounds each call to a negotiator or mediator, Init
	// included (0: none). A call that overruns it fails the session, blaming
	// its party. With a limit each call runs on its own goroutine under a
	// watchdog, so even a call that never returns cannot stall the session;
	// Go cannot kill it, so it is abandoned and finishes (or not) in the
	// background, its result discarded.
	CallLimit time.Duration
	// Seed seeds every random source of the session.
	Seed uint64
	// Trace records every action in Result.Trace.
	Trace bool
	// Analyst adds every participant's utility to each trace event.
	Analyst bool
	// Watch, if set, is called with every action as it happens, in its
	// public form (no utilities): what observers may see. It runs on the
	// session's goroutine; a panic in it is recovered and stops the
	// watching.
	Watch func(Event)
}

// Action is what happened in one trace event.
type Action string

// Actions.
const (
	ActOffer   Action = "offer"   // a party proposed an outcome
	ActAccept  Action = "accept"  // a party accepted the outcome put to it
	ActReject  Action = "reject"  // a party rejected it
	ActEnd     Action = "end"     // a party walked away
	ActPropose Action = "propose" // the mediator proposed a text
)

// Event is one action in the trace.
type Event struct {
	Round  int     `json:"round"`
	T      float64 `json:"t"`
	Party  int     `json:"party"` // MediatorParty for the mediator
	Action Action  `json:"action"`
	// Outcome is the outcome offered, accepted or rejected (nil for end).
	Outcome []int `json:"outcome,omitempty"`
	// Proposer proposed the outcome responded to.
	Proposer int `json:"proposer"`
	// Utility is the acting party's utility of Outcome (NaN for the
	// mediator or without an outcome).
	Utility float64 `json:"-"`
	// Utilities are every participant's utilities (Config.Analyst only).
	Utilities []float64 `json:"utilities,omitempty"`
	// Blocking is the issue a rejecting party said blocks it, or -1.
	Blocking int `json:"blocking"`
	// Explanation is the mediator's public explanation of a text.
	Explanation string `json:"explanation,omitempty"`
}

// Result is a finished session.
type Result struct {
	Status Status
	// Agreement is the outcome agreed (Status Agreement only).
	Agreement []int
	// Party is who ended the session (Ended) or is blamed (Failed);
	// MediatorParty for the mediator; -1 for the other statuses.
	Party int
	// Err is the error, panic or violation that failed the session.
	Err error
	// Rounds is the number of rounds played.
	Rounds int
	// AgreedRound is the round (counted from 0) in which the agreement was
	// reached: the last round, except in single text, where the session
	// runs on after a text is accepted.
	AgreedRound int
	// Steps is the number of calls made to parties and mediator.
	Steps int
	// T is the relative time when the session ended.
	T float64
	// Elapsed is the wall time of the session.
	Elapsed time.Duration
	// Trace is every action (Config.Trace only).
	Trace []Event
	// Explanations are the mediator's explanations, in order.
	Explanations []string
}

// Failure is the error of a failed session: which party is to blame and why.
type Failure struct {
	Party int    // MediatorParty for the mediator
	Name  string // the party's name
	Err   error
}

// Error implements error.
func (f *Failure) Error() string { return fmt.Sprintf("party %q: %v", f.Name, f.Err) }

// Unwrap returns the cause.
func (f *Failure) Unwrap() error { return f.Err }

// PanicError is a recovered panic of a negotiator or mediator.
type PanicError struct{ Value any }

// Error implements error.
func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v", p.Value) }

// Run is New followed by Session.Run.
func Run(cfg Config) (*Result, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return s.Run(), nil
}

// seedFor derives party i's random source from the session seed.
func seedFor(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^uint64(i+2)))
}

// copyProfile returns a copy, so a party that changes its profile changes
// nothing in the session.
func copyProfile(p *utility.Profile) *utility.Profile {
	c := *p
	return &c
}

// deadline resolves the config's deadline against the scenario's.
func deadline(cfg *Config) (int, time.Duration, error) {
	r, d := cfg.Rounds, cfg.Time
	if r == 0 && d == 0 && cfg.Scenario.Deadline != nil {
		r = cfg.Scenario.Deadline.Rounds
		d = time.Duration(cfg.Scenario.Deadline.Seconds * float64(time.Second))
	}
	if r < 0 || d < 0 {
		return 0, 0, parley.Errorf(parley.EINVALID, "deadline must not be negative (rounds %d, time %v)", r, d)
	}
	if r == 0 && d == 0 {
		return 0, 0, parley.Errorf(parley.EINVALID, "no deadline: give rounds or time (the scenario sets none)")
	}
	return r, d, nil
}
