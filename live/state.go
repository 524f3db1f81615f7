package live

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"parley"
	"parley/scenario"
	"parley/space"
)

// Event types.
const (
	EvCreated     = "created"     // the negotiation was set up (public data only)
	EvInvited     = "invited"     // a token was issued (convener only)
	EvPreferences = "preferences" // a participant entered its own preferences (that participant only)
	EvStarted     = "started"     // the convener started it; the deadline runs
	EvStopped     = "stopped"     // the convener stopped it
	EvOffer       = "offer"       // SAOP: a participant offered an outcome
	EvAccept      = "accept"      // a participant accepted the standing offer or text
	EvEnd         = "end"         // a participant walked away
	EvText        = "text"        // the mediator (or broker) issued a text version
	EvCritique    = "critique"    // a participant critiqued a text (mediators and itself only)
	EvSuggestion  = "suggestion"  // the broker suggested a text to the mediator (mediators only)
	EvAgreement   = "agreement"   // every participant accepted: the deal
	EvTimeout     = "timeout"     // the deadline passed
	// EvTurnExpired: under SAOP with a turn limit, the party whose turn it
	// was did not act in time; the turn passes to the next participant.
	EvTurnExpired = "turn-expired"
	// EvRevoked: the convener revoked an invitation (convener only); its
	// token is refused from then on.
	EvRevoked = "revoked"
)

// Phase is where a negotiation is in its life.
type Phase string

// Phases.
const (
	Setup     Phase = "setup"     // created, not started
	Running   Phase = "running"   // started, actions accepted until the deadline
	Agreed    Phase = "agreement" // ended in agreement
	TimedOut  Phase = "timed_out" // the deadline passed
	Ended     Phase = "ended"     // a participant walked away
	Stopped   Phase = "stopped"   // the convener stopped it
	phaseNone Phase = ""
)

// Over reports whether the phase is final.
func (p Phase) Over() bool { return p != Setup && p != Running && p != phaseNone }

// CreatedData is the payload of EvCreated: the public setup.
type CreatedData struct {
	Title    string `json:"title"`
	Protocol string `json:"protocol"`
	Rule     string `json:"rule,omitempty"`
	Duration string `json:"duration"`
	// TurnLimit is the SAOP per-turn time limit ("" for none).
	TurnLimit string           `json:"turn_limit,omitempty"`
	Scenario  string           `json:"scenario"`
	Issues    []scenario.Issue `json:"issues"`
	Parties   []PartyInfo      `json:"parties"`
}

// PartyInfo is a party's public description.
type PartyInfo struct {
	Name        string        `json:"name"`
	Role        scenario.Role `json:"role"`
	Description string        `json:"description,omitempty"`
}

// InvitedData is the payload of EvInvited.
type InvitedData struct {
	Role  Role   `json:"role"`
	Party string `json:"party,omitempty"`
	// ID is the invitation's public identifier (see InvitationID); the
	// convener names it to revoke the invitation. Events stored before
	// invitations had identifiers lack it.
	ID string `json:"id,omitempty"`
}

// RevokedData is the payload of EvRevoked.
type RevokedData struct {
	// ID is the invitation revoked.
	ID    string `json:"id"`
	Role  Role   `json:"role"`
	Party string `json:"party,omitempty"`
	// Reason is the convener's comment, if any.
	Reason string `json:"reason,omitempty"`
}

// TurnExpiredData is the payload of EvTurnExpired.
type TurnExpiredData struct {
	// Party is the participant whose turn expired.
	Party string `json:"party"`
	// Round is the round the turn belonged to.
	Round int `json:"round"`
	// Deadline is when the turn expired.
	Deadline time.Time `json:"deadline"`
}

// Invitation is an invitation as the negotiation's log records it.
type Invitation struct {
	ID    string
	Role  Role
	Party string
	// First marks the convener's invitation issued at the creation: it
	// cannot be revoked, so that a negotiation always has a convener.
	First bool
	// Revoked says the convener revoked it.
	Revoked bool
}

// PreferencesData is the payload of EvPreferences: confidential.
type PreferencesData struct {
	Preferences *scenario.Preferences `json:"preferences"`
	Reservation *float64              `json:"reservation,omitempty"`
}

// StartedData is the payload of EvStarted.
type StartedData struct {
	Deadline time.Time `json:"deadline"`
	Order    []string  `json:"order"`
}

// OfferData is the payload of EvOffer and EvAccept under SAOP, and of
// EvText, EvAccept, EvSuggestion and EvAgreement in text protocols.
type OfferData struct {
	Outcome map[string]string `json:"outcome,omitempty"`
	Round   int               `json:"round,omitempty"`
	Version int               `json:"version,omitempty"`
	Comment string            `json:"comment,omitempty"`
	// Acceptances record who accepted the agreement when (EvAgreement).
	Acceptances []Acceptance `json:"acceptances,omitempty"`
}

// Acceptance is one participant's acceptance of an agreement.
type Acceptance struct {
	Party string    `json:"party"`
	At    time.Time `json:"at"`
}

// CritiqueData is the payload of EvCritique.
type CritiqueData struct {
	Version  int      `json:"version"`
	Blocking []string `json:"blocking"`
	Comment  string   `json:"comment,omitempty"`
}

// EndData is the payload of EvEnd, EvStopped and EvTimeout.
type EndData struct {
	Reason string `json:"reason,omitempty"`
}

// Vote is a participant's answer to a text version.
type Vote struct {
	Party    string
	Accept   bool
	Blocking []int
	At       time.Time
}

// Version is one text of a single-text negotiation with its votes.
type Version struct {
	Number  int
	Outcome []int
	Comment string
	By      string
	At      time.Time
	Votes   []Vote // in the order cast
}

// State is a negotiation's state: the fold of its events.
type State struct {
	N *Negotiation
	// Phase is where the negotiation is.
	Phase Phase
	// Seq and Hash are those of the last event applied.
	Seq  int64
	Hash string
	// Deadline is when a running negotiation times out.
	Deadline time.Time
	// Prefs are the preferences participants entered themselves.
	Prefs map[string]PreferencesData
	// Order is the participants' turn order.
	Order []string
	// Invitations are the invitations with an identifier, by identifier.
	Invitations map[string]*Invitation
	// invitations are the same in the order issued.
	invitations []*Invitation

	// SAOP.
	Turn     int   // index in Order of the party to act
	Round    int   // completed turns around the table
	Offer    []int // the standing offer, nil if none
	Proposer string
	Accepts  []Acceptance // acceptances of the standing offer
	// TurnStart is when the current SAOP turn began: the start, the last
	// offer or acceptance, or the last turn expiry.
	TurnStart time.Time
	// Expired is the last turn expiry, until the next offer or acceptance
	// (to tell a late participant why it is refused).
	Expired *TurnExpiredData

	// Text protocols.
	Versions []Version

	// Agreement is the deal, when Phase is Agreed.
	Agreement []int
	// Acceptances are who accepted the deal when.
	Acceptances []Acceptance

	offerAt time.Time
	space   *space.Space
	// decided is the last offer Decide built: its data and the outcome
	// parsed from the request. Apply takes the outcome from here rather
	// than parsing the data again when it folds that very offer; the
	// outcome is the data's (it came from issue values by name, as the
	// data's labels would).
	decided struct {
		data    []byte
		outcome []int
	}
}

// NewState returns the state of a negotiation before any event.
func NewState(n *Negotiation) (*State, error) {
	sp, err := space.Of(n.Scenario)
	if err != nil {
		return nil, fmt.Errorf("negotiation %s: %w", n.ID, err)
	}
	return &State{N: n, Prefs: map[string]PreferencesData{}, Order: n.Participants(), Invitations: map[string]*Invitation{}, space: sp}, nil
}

// InvitationList returns the invitations with an identifier in the order
// issued (shared: do not change them).
func (s *State) InvitationList() []*Invitation { return s.invitations }

// Space returns the outcome space.
func (s *State) Space() *space.Space { return s.space }

// Current returns the current text version, or nil.
func (s *State) Current() *Version {
	if len(s.Versions) == 0 {
		return nil
	}
	return &s.Versions[len(s.Versions)-1]
}

// TurnParty returns the participant whose turn it is under SAOP.
func (s *State) TurnParty() string {
	if len(s.Order) == 0 {
		return ""
	}
	return s.Order[s.Turn%len(s.Order)]
}

// HasPreferences reports whether participant p has preferences, from the
// scenario or entered.
func (s *State) HasPreferences(p string) bool {
	if _, ok := s.Prefs[p]; ok {
		return true
	}
	pt := s.N.Party(p)
	return pt != nil && pt.Preferences != nil
}

// PartyScenario returns the scenario party p as the server knows it: the
// scenario's, with entered preferences and reservation in place of the
// file's. It is a copy.
func (s *State) PartyScenario(p string) *scenario.Party {
	pt := s.N.Party(p)
	if pt == nil {
		return nil
	}
	cp := *pt
	if d, ok := s.Prefs[p]; ok {
		cp.Preferences = d.Preferences
		cp.Reservation = d.Reservation
	}
	return &cp
}

// Scenario returns the scenario with every participant's entered
// preferences in place (a shallow copy: do not change it).
func (s *State) Scenario() *scenario.Scenario {
	sc := *s.N.Scenario
	sc.Parties = slices.Clone(sc.Parties)
	for i := range sc.Parties {
		if d, ok := s.Prefs[sc.Parties[i].Name]; ok {
			sc.Parties[i].Preferences = d.Preferences
			sc.Parties[i].Reservation = d.Reservation
		}
	}
	return &sc
}

// Apply folds one stored event into the state. Events must come in order.
func (s *State) Apply(e *Event) error {
	if e.Seq != s.Seq+1 {
		return parley.Errorf(parley.EINTERNAL, "negotiation %s: event %d applied after %d", s.N.ID, e.Seq, s.Seq)
	}
	if err := s.apply(e); err != nil {
		return fmt.Errorf("negotiation %s: event %d (%s): %w", s.N.ID, e.Seq, e.Type, err)
	}
	s.Seq, s.Hash = e.Seq, e.Hash
	return nil
}

func (s *State) apply(e *Event) error {
	switch e.Type {
	case EvCreated:
		s.Phase = Setup
	case EvInvited:
		var d InvitedData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return err
		}
		if d.ID != "" {
			inv := &Invitation{ID: d.ID, Role: d.Role, Party: d.Party, First: e.Seq == 2 && d.Role == Convener}
			s.Invitations[d.ID] = inv
			s.invitations = append(s.invitations, inv)
		}
	case EvRevoked:
		var d RevokedData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return err
		}
		inv := s.Invitations[d.ID]
		if inv == nil {
			return fmt.Errorf("revoked: no invitation %q", d.ID)
		}
		inv.Revoked = true
	case EvTurnExpired:
		var d TurnExpiredData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return err
		}
		s.Accepts, s.Expired = nil, &d
		s.advance()
		s.TurnStart = e.Time
	case EvPreferences:
		var d PreferencesData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return err
		}
		s.Prefs[e.Party] = d
	case EvStarted:
		var d StartedData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return err
		}
		s.Phase, s.Deadline, s.Order, s.TurnStart = Running, d.Deadline, d.Order, e.Time
	case EvStopped:
		s.Phase = Stopped
	case EvTimeout:
		s.Phase = TimedOut
	case EvEnd:
		s.Phase = Ended
	case EvOffer:
		o := s.decided.outcome
		if o == nil || !bytes.Equal(e.Data, s.decided.data) {
			var err error
			if o, _, err = s.outcomeOf(e.Data); err != nil {
				return err
			}
		}
		s.decided.data, s.decided.outcome = nil, nil
		s.Offer, s.Proposer, s.Accepts, s.offerAt, s.Expired = o, e.Party, nil, e.Time, nil
		s.advance()
		s.TurnStart = e.Time
	case EvAccept:
		if s.N.Protocol == SAOP {
			s.Accepts, s.Expired = append(s.Accepts, Acceptance{Party: e.Party, At: e.Time}), nil
			s.advance()
			s.TurnStart = e.Time
			return nil
		}
		v := s.Current()
		if v == nil {
			return fmt.Errorf("accept without a text")
		}
		v.Votes = append(v.Votes, Vote{Party: e.Party, Accept: true, At: e.Time})
	case EvCritique:
		var d CritiqueData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return err
		}
		v := s.Current()
		if v == nil {
			return fmt.Errorf("critique without a text")
		}
		var bl []int
		for _, name := range d.Blocking {
			if i := s.N.Scenario.IssueIndex(name); i >= 0 {
				bl = append(bl, i)
			}
		}
		v.Votes = append(v.Votes, Vote{Party: e.Party, Blocking: bl, At: e.Time})
	case EvText:
		o, d, err := s.outcomeOf(e.Data)
		if err != nil {
			return err
		}
		s.Versions = append(s.Versions, Version{Number: d.Version, Outcome: o, Comment: d.Comment, By: e.Party, At: e.Time})
	case EvSuggestion:
	case EvAgreement:
		o, d, err := s.outcomeOf(e.Data)
		if err != nil {
			return err
		}
		s.Phase, s.Agreement, s.Acceptances = Agreed, o, d.Acceptances
	default:
		return fmt.Errorf("unknown event type %q", e.Type)
	}
	return nil
}

// advance passes the SAOP turn to the next participant.
func (s *State) advance() {
	s.Turn++
	if s.Turn%len(s.Order) == 0 {
		s.Round++
	}
}

func (s *State) outcomeOf(data json.RawMessage) ([]int, *OfferData, error) {
	var d OfferData
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, nil, err
	}
	if d.Outcome == nil {
		return nil, &d, nil
	}
	o, err := space.Parse(s.N.Scenario, d.Outcome)
	if err != nil {
		return nil, nil, err
	}
	return o, &d, nil
}

// Action is a request to change a negotiation, checked by Decide.
type Action struct {
	// Type is the event type requested: EvInvited, EvPreferences, EvStarted,
	// EvStopped, EvOffer, EvAccept, EvEnd, EvText, EvCritique,
	// EvSuggestion.
	Type string
	// Role and Party are the caller's.
	Role  Role
	Party string
	// Outcome is the outcome offered or drafted, by issue name.
	Outcome map[string]string
	// Version is the text version answered (0: the current one).
	Version int
	// Blocking are the issues a critique names.
	Blocking []string
	// Comment is a critique's or text's comment.
	Comment string
	// Invite is the role and party of an invitation.
	Invite InvitedData
	// Preferences are a participant's own preferences.
	Preferences *PreferencesData
	// Suggestion is the broker's suggested text and explanation.
	Suggestion *OfferData
	// Invitation is the identifier of the invitation to revoke (EvRevoked).
	Invitation string
	// Self is the identifier of the caller's own invitation (see
	// InvitationID), set by the service.
	Self string
}

func invalid(format string, args ...any) error {
	return parley.Errorf(parley.EINVALID, format, args...)
}

func conflict(format string, args ...any) error {
	return parley.Errorf(parley.ECONFLICT, format, args...)
}

func forbidden(format string, args ...any) error {
	return parley.Errorf(parley.EFORBIDDEN, format, args...)
}

// event builds an unsealed event with data marshalled, or fails when data
// cannot be encoded (a time beyond the year 9999, say).
func (s *State) event(now time.Time, typ, party string, data any, to ...string) (Event, error) {
	var b []byte
	var err error
	if d, ok := data.(OfferData); ok {
		b, err = d.marshal()
	} else {
		b, err = json.Marshal(data)
	}
	if err != nil {
		return Event{}, fmt.Errorf("%s event: encode %T: %w", typ, data, err)
	}
	return Event{NegotiationID: s.N.ID, Time: now.UTC(), Type: typ, Party: party, To: to, Data: b}, nil
}

// one returns the single event ev, or err.
func one(ev Event, err error) ([]Event, error) {
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}

// Decide checks action a at time now and returns the events it causes, or
// an error (EINVALID, ECONFLICT, EFORBIDDEN) and no events. It does not
// change the state (it only remembers an offer's parsed outcome for Apply):
// apply the events once stored.
func (s *State) Decide(now time.Time, a Action) ([]Event, error) {
	need := func(role Role) error {
		if a.Role != role {
			return forbidden("a %s token cannot do %q; it needs the %v role", a.Role, a.Type, []Role{role})
		}
		return nil
	}
	running := func() error {
		switch {
		case s.Phase == Setup:
			return conflict("the negotiation has not started")
		case s.Phase.Over():
			return conflict("the negotiation is over (%s)", s.Phase)
		case !now.Before(s.Deadline):
			return conflict("the deadline (%s) has passed", s.Deadline.Format(time.RFC3339))
		}
		return nil
	}
	switch a.Type {
	case EvInvited:
		if err := need(Convener); err != nil {
			return nil, err
		}
		if s.Phase.Over() {
			return nil, conflict("the negotiation is over (%s)", s.Phase)
		}
		if err := s.checkInvite(a.Invite); err != nil {
			return nil, err
		}
		if _, dup := s.Invitations[a.Invite.ID]; dup && a.Invite.ID != "" {
			return nil, conflict("invitation %s already exists", a.Invite.ID)
		}
		return one(s.event(now, EvInvited, "", a.Invite, ToConvener))
	case EvRevoked:
		if err := need(Convener); err != nil {
			return nil, err
		}
		inv := s.Invitations[a.Invitation]
		switch {
		case a.Invitation == "" || inv == nil:
			return nil, parley.Errorf(parley.ENOTFOUND, "invitation: no invitation %q in this negotiation", a.Invitation)
		case inv.Revoked:
			return nil, conflict("invitation: %s is already revoked", a.Invitation)
		case inv.First:
			return nil, forbidden("invitation: %s is the convener's token issued at the creation; it cannot be revoked", a.Invitation)
		case a.Invitation == a.Self:
			return nil, forbidden("invitation: %s is your own token; another convener may revoke it", a.Invitation)
		}
		return one(s.event(now, EvRevoked, "", RevokedData{ID: inv.ID, Role: inv.Role, Party: inv.Party, Reason: a.Comment}, ToConvener))
	case EvPreferences:
		if err := need(Participant); err != nil {
			return nil, err
		}
		if s.Phase != Setup {
			return nil, conflict("preferences can be entered only before the start")
		}
		if a.Preferences == nil || a.Preferences.Preferences == nil {
			return nil, invalid("preferences: missing")
		}
		sc := s.Scenario()
		sc.Parties = slices.Clone(sc.Parties)
		for i := range sc.Parties {
			if sc.Parties[i].Name == a.Party {
				sc.Parties[i].Preferences = a.Preferences.Preferences
				sc.Parties[i].Reservation = a.Preferences.Reservation
			}
		}
		if err := sc.Validate(); err != nil {
			return nil, invalid("preferences: %v", err)
		}
		return one(s.event(now, EvPreferences, a.Party, a.Preferences, a.Party))
	case EvStarted:
		if err := need(Convener); err != nil {
			return nil, err
		}
		if s.Phase != Setup {
			return nil, conflict("the negotiation has already started (%s)", s.Phase)
		}
		if s.N.Protocol == Broker {
			var miss []string
			for _, p := range s.Order {
				if !s.HasPreferences(p) {
					miss = append(miss, p)
				}
			}
			if len(miss) > 0 {
				return nil, conflict("the broker needs every participant's preferences; missing: %v", miss)
			}
		}
		return one(s.event(now, EvStarted, "", StartedData{Deadline: now.UTC().Add(s.N.Duration), Order: s.Order}))
	case EvStopped:
		if err := need(Convener); err != nil {
			return nil, err
		}
		if s.Phase.Over() {
			return nil, conflict("the negotiation is over (%s)", s.Phase)
		}
		return one(s.event(now, EvStopped, "", EndData{Reason: a.Comment}))
	case EvEnd:
		if err := need(Participant); err != nil {
			return nil, err
		}
		if err := running(); err != nil {
			return nil, err
		}
		return one(s.event(now, EvEnd, a.Party, EndData{Reason: a.Comment}))
	case EvOffer:
		if err := need(Participant); err != nil {
			return nil, err
		}
		if err := s.protocol(SAOP); err != nil {
			return nil, err
		}
		if err := running(); err != nil {
			return nil, err
		}
		if err := s.myTurn(a.Party); err != nil {
			return nil, err
		}
		if err := s.turnLeft(now); err != nil {
			return nil, err
		}
		o, err := s.parseOutcome(a.Outcome)
		if err != nil {
			return nil, err
		}
		ev, err := s.event(now, EvOffer, a.Party, OfferData{Outcome: space.Labels(s.N.Scenario, o), Round: s.Round})
		if err != nil {
			return nil, err
		}
		s.decided.data, s.decided.outcome = ev.Data, o
		return []Event{ev}, nil
	case EvAccept:
		if err := need(Participant); err != nil {
			return nil, err
		}
		if err := running(); err != nil {
			return nil, err
		}
		if s.N.Protocol == SAOP {
			return s.acceptOffer(now, a)
		}
		return s.vote(now, a, true)
	case EvCritique:
		if err := need(Participant); err != nil {
			return nil, err
		}
		if err := running(); err != nil {
			return nil, err
		}
		if s.N.Protocol == SAOP {
			return nil, conflict("critiques belong to text protocols; this negotiation runs %s", s.N.Protocol)
		}
		return s.vote(now, a, false)
	case EvText:
		if err := need(Mediator); err != nil {
			return nil, err
		}
		if err := s.protocol(SingleText); err != nil {
			return nil, err
		}
		if err := running(); err != nil {
			return nil, err
		}
		o, err := s.parseOutcome(a.Outcome)
		if err != nil {
			return nil, err
		}
		return one(s.TextEvent(now, a.Party, o, a.Comment))
	case EvSuggestion:
		if err := need(Mediator); err != nil {
			return nil, err
		}
		if s.Phase.Over() {
			return nil, conflict("the negotiation is over (%s)", s.Phase)
		}
		if a.Suggestion == nil {
			return nil, invalid("suggestion: missing")
		}
		return one(s.event(now, EvSuggestion, "", a.Suggestion, ToMediators))
	}
	return nil, invalid("unknown action %q", a.Type)
}

// TextEvent returns the event of a new text version by party.
func (s *State) TextEvent(now time.Time, party string, o []int, comment string) (Event, error) {
	return s.event(now, EvText, party, OfferData{Outcome: space.Labels(s.N.Scenario, o), Version: len(s.Versions) + 1, Comment: comment})
}

// Pace is the shortest time between two texts of the automatic broker (and
// between two actions of an automated agent): a thousandth of the
// negotiation's duration, so that machines negotiating with machines make
// at most about a thousand rounds whatever the deadline.
func (n *Negotiation) Pace() time.Duration { return n.Duration / 1000 }

// Timeout returns the event of the deadline passing, or nil when the
// negotiation is not running or the deadline is still ahead.
func (s *State) Timeout(now time.Time) ([]Event, error) {
	if s.Phase != Running || now.Before(s.Deadline) {
		return nil, nil
	}
	return one(s.event(now, EvTimeout, "", EndData{Reason: "the deadline passed"}))
}

// TurnDeadline returns when the current SAOP turn expires, or the zero
// time when the negotiation has no turn limit or is not running.
func (s *State) TurnDeadline() time.Time {
	if s.N.TurnLimit <= 0 || s.N.Protocol != SAOP || s.Phase != Running {
		return time.Time{}
	}
	return s.TurnStart.Add(s.N.TurnLimit)
}

// TurnExpiry returns the event of the current SAOP turn expiring, or nil
// when there is no turn limit, the turn has time left, or the negotiation's
// own deadline has passed (Timeout ends it instead). The next turn starts
// at now, the time of the event: a party does not lose its turn to the
// server being down.
func (s *State) TurnExpiry(now time.Time) ([]Event, error) {
	td := s.TurnDeadline()
	if td.IsZero() || now.Before(td) || !now.Before(s.Deadline) {
		return nil, nil
	}
	return one(s.event(now, EvTurnExpired, "", TurnExpiredData{Party: s.TurnParty(), Round: s.Round, Deadline: td.UTC()}))
}

// turnLeft refuses an action on a SAOP turn that has expired.
func (s *State) turnLeft(now time.Time) error {
	if td := s.TurnDeadline(); !td.IsZero() && !now.Before(td) {
		return conflict("the turn of %s expired at %s", s.TurnParty(), td.UTC().Format(time.RFC3339))
	}
	return nil
}

func (s *State) protocol(p string) error {
	if s.N.Protocol != p {
		return conflict("this negotiation runs %s, not %s", s.N.Protocol, p)
	}
	return nil
}

func (s *State) myTurn(party string) error {
	t := s.TurnParty()
	switch {
	case t == party:
		return nil
	case s.Expired != nil && s.Expired.Party == party:
		return conflict("your turn expired at %s; it is %s's turn", s.Expired.Deadline.UTC().Format(time.RFC3339), t)
	}
	return conflict("not your turn: it is %s's turn", t)
}

func (s *State) parseOutcome(m map[string]string) ([]int, error) {
	if m == nil {
		return nil, invalid("outcome: missing")
	}
	o, err := space.Parse(s.N.Scenario, m)
	if err != nil {
		return nil, invalid("outcome: %s", message(err))
	}
	return o, nil
}

func (s *State) checkInvite(in InvitedData) error {
	if !in.Role.Valid() {
		return invalid("role: %q is not one of convener, participant, mediator, observer", in.Role)
	}
	if in.Role == Convener {
		if in.Party != "" {
			return invalid("party: a convener acts for no party")
		}
		return nil
	}
	if in.Role == Observer && in.Party == "" {
		return nil
	}
	pt := s.N.Party(in.Party)
	if pt == nil {
		return invalid("party: no party named %q", in.Party)
	}
	want := map[Role]scenario.Role{Participant: scenario.Participant, Mediator: scenario.Mediator, Observer: scenario.Observer}[in.Role]
	if pt.Role != want {
		return invalid("party: %q is a %s, not a %s", in.Party, pt.Role, want)
	}
	if in.Role == Mediator && s.N.Protocol == Broker {
		return conflict("role: the automatic broker mediates this negotiation; invite a mediator only to singletext negotiations")
	}
	return nil
}

// acceptOffer decides a SAOP accept.
func (s *State) acceptOffer(now time.Time, a Action) ([]Event, error) {
	if err := s.myTurn(a.Party); err != nil {
		return nil, err
	}
	if err := s.turnLeft(now); err != nil {
		return nil, err
	}
	if s.Offer == nil {
		return nil, conflict("there is no offer to accept")
	}
	if s.Proposer == a.Party {
		// Reachable only when the others' turns expired: the turn came
		// back to the proposer with its own offer standing.
		return nil, conflict("the standing offer is your own; make a new one")
	}
	labels := space.Labels(s.N.Scenario, s.Offer)
	evs, err := one(s.event(now, EvAccept, a.Party, OfferData{Outcome: labels, Round: s.Round}))
	if err != nil {
		return nil, err
	}
	if len(s.Accepts)+1 == len(s.Order)-1 {
		acc := append([]Acceptance{{Party: s.Proposer, At: s.offerTime()}}, s.Accepts...)
		acc = append(acc, Acceptance{Party: a.Party, At: now.UTC()})
		ag, err := s.event(now, EvAgreement, "", OfferData{Outcome: labels, Round: s.Round, Acceptances: acc})
		if err != nil {
			return nil, err
		}
		evs = append(evs, ag)
	}
	return evs, nil
}

// offerTime is when the standing offer was made: its proposer's acceptance.
func (s *State) offerTime() time.Time { return s.offerAt }

// vote decides an accept or critique of a text version.
func (s *State) vote(now time.Time, a Action, accept bool) ([]Event, error) {
	v := s.Current()
	if v == nil {
		return nil, conflict("there is no text to answer yet")
	}
	if a.Version != 0 && a.Version != v.Number {
		return nil, conflict("version: %d is not the current text (version %d)", a.Version, v.Number)
	}
	for _, vt := range v.Votes {
		if vt.Party == a.Party {
			return nil, conflict("you have already answered version %d", v.Number)
		}
	}
	if accept {
		evs, err := one(s.event(now, EvAccept, a.Party, OfferData{Outcome: space.Labels(s.N.Scenario, v.Outcome), Version: v.Number}))
		if err != nil {
			return nil, err
		}
		accepted := 1
		var acc []Acceptance
		for _, vt := range v.Votes {
			if vt.Accept {
				accepted++
				acc = append(acc, Acceptance{Party: vt.Party, At: vt.At})
			}
		}
		if accepted == len(s.Order) {
			acc = append(acc, Acceptance{Party: a.Party, At: now.UTC()})
			ag, err := s.event(now, EvAgreement, "", OfferData{Outcome: space.Labels(s.N.Scenario, v.Outcome), Version: v.Number, Acceptances: acc})
			if err != nil {
				return nil, err
			}
			evs = append(evs, ag)
		}
		return evs, nil
	}
	if len(a.Blocking) == 0 {
		return nil, invalid("blocking: name at least one issue that blocks the text")
	}
	for _, name := range a.Blocking {
		if s.N.Scenario.IssueIndex(name) < 0 {
			return nil, invalid("blocking: no issue named %q", name)
		}
	}
	return one(s.event(now, EvCritique, a.Party, CritiqueData{Version: v.Number, Blocking: a.Blocking, Comment: a.Comment}, a.Party, ToMediators))
}

// VotesComplete reports whether every participant has answered the current
// text version.
func (s *State) VotesComplete() bool {
	v := s.Current()
	return v != nil && len(v.Votes) == len(s.Order)
}

// message returns the user-facing message of err: the Message of a
// *parley.Error, else err's text.
func message(err error) string {
	var e *parley.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
