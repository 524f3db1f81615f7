// Package service runs live negotiations on top of a store.Store: it
// authenticates tokens, serialises the actions on each negotiation, seals
// and stores the events they cause (with the idempotent reply, atomically),
// folds them into the in-memory state, fans them out to subscribers, fires
// wall-clock deadlines (also those that passed while the server was down)
// and plays the automatic broker. On a store that several servers share
// (a store.Notifier: PostgreSQL) it runs as one replica among several:
// replicas.go.
package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"parley"
	"parley/live"
	"parley/negotiation"
	"parley/protocol"
	"parley/scenario"
	"parley/store"
	"parley/utility"
)

// Service runs the live negotiations of one store.
type Service struct {
	store store.Store
	log   *slog.Logger
	// Now is the clock (tests may replace it before Open returns).
	now func() time.Time

	mu     sync.Mutex
	negs   map[string]*entry
	tokens sync.Map // [sha256.Size]byte (the hash) -> *live.Token
	// revoked indexes the revoked invitations of every negotiation's state,
	// so that Authenticate refuses their tokens without locking a
	// negotiation.
	revoked sync.Map // revocation -> struct{}
	closed  atomic.Bool
	stop    chan struct{}
	// shared is set when other servers may write to the store (it is a
	// store.Notifier): the in-memory states are then caches (replicas.go).
	shared bool
	rep    replicas

	// Counters for /metrics.
	Actions     atomic.Int64 // events stored
	Commits     atomic.Int64 // batches stored
	Subscribers atomic.Int64 // live subscriptions
	Dropped     atomic.Int64 // subscriptions dropped for falling behind
	CaughtUp    atomic.Int64 // events applied from the store, not from this server's commits (another replica's)
	Retries     atomic.Int64 // decisions taken again after another replica wrote first
}

// entry is one negotiation's in-memory state.
type entry struct {
	mu    sync.Mutex
	st    *live.State
	timer *time.Timer
	subs  map[*Subscription]struct{}
	// broker is the automatic broker, in step with the first brokerAt
	// versions (it proposed them and learned the votes of all but the
	// last).
	broker   *protocol.Broker
	brokerAt int
	// standby drafts the broker's next text if the replica that should
	// have did not (shared store only).
	standby *time.Timer
}

// Options configure Open.
type Options struct {
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Its times must lie within
	// the range of live.CheckTime (1677-09-21 to 2262-04-11): they date
	// events, tokens and replies, which the event hash and the stores hold
	// in Unix nanoseconds. Deadlines are its times plus durations of at
	// most MaxDuration.
	Now func() time.Time
}

// Open loads every negotiation of st, replays its events, schedules its
// deadline and fires the deadlines that passed while no server ran.
func Open(ctx context.Context, st store.Store, opt Options) (*Service, error) {
	s := &Service{store: st, log: opt.Logger, now: opt.Now, negs: map[string]*entry{}, stop: make(chan struct{})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	_, s.shared = st.(store.Notifier)
	ns, err := st.Negotiations(ctx)
	if err != nil {
		return nil, fmt.Errorf("load negotiations: %w", err)
	}
	for _, n := range ns {
		e := &entry{subs: map[*Subscription]struct{}{}}
		state, err := s.replay(ctx, n)
		if err != nil {
			return nil, err
		}
		e.st = state
		s.negs[n.ID] = e
	}
	for id, e := range s.negs {
		e.mu.Lock()
		// A turn that expired while no server ran expires now.
		if err := s.expireTurn(ctx, e, s.now()); err != nil && !s.lostRace(err) {
			s.log.Error("turn expiry", "negotiation", id, "err", err)
		}
		s.schedule(id, e)
		err := s.followUp(ctx, e)
		e.mu.Unlock()
		if err != nil {
			s.log.Error("resume negotiation", "negotiation", id, "err", err)
		}
	}
	if n, ok := st.(store.Notifier); ok {
		s.listen(n)
	}
	s.log.Info("service opened", "negotiations", len(ns), "shared", s.shared)
	return s, nil
}

// replay rebuilds a negotiation's state from its stored events (and indexes
// its revoked invitations).
func (s *Service) replay(ctx context.Context, n *live.Negotiation) (*live.State, error) {
	state, err := live.NewState(n)
	if err != nil {
		return nil, err
	}
	evs, err := s.store.Events(ctx, n.ID, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", n.ID, err)
	}
	for i := range evs {
		if err := state.Apply(&evs[i]); err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
	}
	s.noteRevoked(state)
	return state, nil
}

// revocation is the key of a revoked invitation.
type revocation struct{ negotiation, invitation string }

// noteRevoked indexes the revoked invitations of st.
func (s *Service) noteRevoked(st *live.State) {
	for id, inv := range st.Invitations {
		if inv.Revoked {
			s.revoked.Store(revocation{st.N.ID, id}, struct{}{})
		}
	}
}

// Revoked reports whether tok's invitation was revoked.
func (s *Service) Revoked(tok *live.Token) bool {
	_, ok := s.revoked.Load(revocation{tok.NegotiationID, tok.InvitationID()})
	return ok
}

// Close stops the deadline timers. The store stays open.
func (s *Service) Close() {
	if s.closed.Swap(true) {
		return
	}
	close(s.stop)
	s.stopListening()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.negs {
		e.mu.Lock()
		if e.timer != nil {
			e.timer.Stop()
		}
		if e.standby != nil {
			e.standby.Stop()
		}
		for sub := range e.subs {
			sub.close()
		}
		e.mu.Unlock()
	}
}

// Store returns the service's store.
func (s *Service) Store() store.Store { return s.store }

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.now() }

// Authenticate returns the token whose secret is given, or an
// EUNAUTHORIZED error for a missing, unknown or revoked token.
func (s *Service) Authenticate(ctx context.Context, secret string) (*live.Token, error) {
	if secret == "" {
		return nil, parley.Errorf(parley.EUNAUTHORIZED, "missing token: send Authorization: Bearer <token>")
	}
	h := live.HashSecret(secret)
	key := [sha256.Size]byte(h)
	if v, ok := s.tokens.Load(key); ok {
		t := v.(*live.Token)
		if subtle.ConstantTimeCompare(h, t.Hash) == 1 { // t.Matches(secret)
			if s.Revoked(t) {
				return nil, errRevoked()
			}
			return t, nil
		}
	}
	t, err := s.store.Token(ctx, h)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil, parley.Errorf(parley.EUNAUTHORIZED, "unknown token")
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if !t.Matches(secret) {
		return nil, parley.Errorf(parley.EUNAUTHORIZED, "unknown token")
	}
	t.Invitation = live.InvitationID(t.Hash)
	s.tokens.Store(key, t)
	if s.Revoked(t) {
		return nil, errRevoked()
	}
	return t, nil
}

func errRevoked() error {
	return parley.Errorf(parley.EUNAUTHORIZED, "revoked token: the convener revoked this invitation")
}

// Idem identifies an idempotent request and renders its reply.
type Idem struct {
	TokenHash []byte
	Key       string
	// Fingerprint is the request's live.Fingerprint: a stored reply with
	// another fingerprint answers a different request, and the key's reuse
	// is refused (EKEYREUSED).
	Fingerprint []byte
	// Render turns the result into the HTTP status and body stored as the
	// reply; an error (a body that cannot be encoded) fails the request,
	// and nothing is stored.
	Render func(events []live.Event) (int, []byte, error)
}

// sameRequest returns r if it answers the request idem identifies, else an
// EKEYREUSED error. Replies stored without a fingerprint match any request.
func sameRequest(idem *Idem, r *live.Reply) (*live.Reply, error) {
	if len(r.Fingerprint) > 0 && len(idem.Fingerprint) > 0 && !bytes.Equal(r.Fingerprint, idem.Fingerprint) {
		return nil, parley.Errorf(parley.EKEYREUSED, "Idempotency-Key: %q was already used for a different request (method, path or body); use a new key for a new request", idem.Key)
	}
	return r, nil
}

// Replays are found on the way out, not on the way in: a request is decided
// as if new, and only when it is refused (not your turn any more, the
// deadline passed, its commit refused because its key is already stored)
// does storedReply look its key up in the store. A retry of a request that
// was done is always refused one of these ways, since the store keeps every
// reply's key for as long as the database lives; a new request (the common
// case) costs no lookup, and the server holds no reply in memory.

// storedReply reads the stored reply of an idempotent request that was
// refused, or nil; an EKEYREUSED error when the key's reply answers a
// different request.
func (s *Service) storedReply(ctx context.Context, idem *Idem) (*live.Reply, error) {
	if idem == nil || idem.Key == "" {
		return nil, nil
	}
	r, err := s.store.Reply(ctx, idem.TokenHash, idem.Key)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("idempotency lookup: %w", err)
	}
	return sameRequest(idem, r)
}

// CreateRequest is a new negotiation.
type CreateRequest struct {
	Title    string
	Protocol string
	Rule     string
	Duration time.Duration
	// TurnLimit is the SAOP per-turn time limit (0: none).
	TurnLimit time.Duration
	Scenario  *scenario.Scenario
}

// MaxDuration bounds a negotiation's duration.
const MaxDuration = 366 * 24 * time.Hour

// Created is the result of Create.
type Created struct {
	Negotiation *live.Negotiation
	State       *live.State
	// Secret is the convener's token: shown once, stored only as a hash.
	Secret string
	Events []live.Event
	Reply  *live.Reply // set when the request was a replay
}

// Create sets up a negotiation and issues the convener's token; a retry of
// a create that was done returns its stored reply (Created.Reply).
func (s *Service) Create(ctx context.Context, req CreateRequest, idem *Idem) (*Created, error) {
	c, err := s.create(ctx, req, idem)
	if err == nil {
		return c, nil
	}
	r, rerr := s.storedReply(ctx, idem)
	switch {
	case rerr == nil && r != nil:
		return &Created{Reply: r}, nil
	case parley.ErrorCode(rerr) == parley.EKEYREUSED:
		return nil, rerr // the key answered another request
	}
	return nil, err
}

func (s *Service) create(ctx context.Context, req CreateRequest, idem *Idem) (*Created, error) {
	if !slices.Contains(live.Protocols(), req.Protocol) {
		return nil, parley.Errorf(parley.EINVALID, "protocol: %q is not one of %v", req.Protocol, live.Protocols())
	}
	if req.Rule != "" && !slices.Contains(protocol.Rules(), protocol.Rule(req.Rule)) {
		return nil, parley.Errorf(parley.EINVALID, "rule: %q is not one of %v", req.Rule, protocol.Rules())
	}
	if req.Duration <= 0 || req.Duration > MaxDuration {
		return nil, parley.Errorf(parley.EINVALID, "duration: must be positive and at most %s, got %s", MaxDuration, req.Duration)
	}
	if req.TurnLimit < 0 || req.TurnLimit > req.Duration {
		return nil, parley.Errorf(parley.EINVALID, "turn_limit: must be positive and at most the duration (%s), got %s", req.Duration, req.TurnLimit)
	}
	if req.TurnLimit > 0 && req.Protocol != live.SAOP {
		return nil, parley.Errorf(parley.EINVALID, "turn_limit: only %s negotiations take turns; this one runs %s", live.SAOP, req.Protocol)
	}
	if req.Scenario == nil {
		return nil, parley.Errorf(parley.EINVALID, "scenario: missing")
	}
	if err := req.Scenario.Validate(); err != nil {
		return nil, parley.Errorf(parley.EINVALID, "scenario: %v", err)
	}
	if req.Protocol == live.Broker {
		sp, err := liveSpace(req.Scenario)
		if err != nil {
			return nil, err
		}
		if sp > protocol.MaxBrokerOutcomes {
			return nil, parley.Errorf(parley.EUNSUPPORTED, "scenario: the broker handles at most %d outcomes, this space has %d", protocol.MaxBrokerOutcomes, sp)
		}
	}
	id, err := live.NewID()
	if err != nil {
		return nil, err
	}
	secret, hash, err := live.NewSecret()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	title := req.Title
	if title == "" {
		title = req.Scenario.Name
	}
	sc := *req.Scenario
	sc.File = ""
	n := &live.Negotiation{ID: id, Title: title, Protocol: req.Protocol, Rule: req.Rule, Duration: req.Duration, TurnLimit: req.TurnLimit, Scenario: &sc, Created: now}
	state, err := live.NewState(n)
	if err != nil {
		return nil, parley.Errorf(parley.EINVALID, "scenario: %v", err)
	}
	var parties []live.PartyInfo
	for _, p := range sc.Parties {
		parties = append(parties, live.PartyInfo{Name: p.Name, Role: p.Role, Description: p.Description})
	}
	cd := live.CreatedData{Title: title, Protocol: n.Protocol, Rule: n.Rule, Duration: n.Duration.String(), Scenario: sc.Name, Issues: sc.Issues, Parties: parties}
	if n.TurnLimit > 0 {
		cd.TurnLimit = n.TurnLimit.String()
	}
	createdEv, err := eventOf(n.ID, now, live.EvCreated, cd)
	if err != nil {
		return nil, fmt.Errorf("create negotiation: %w", err)
	}
	invitedEv, err := eventOf(n.ID, now, live.EvInvited, live.InvitedData{Role: live.Convener, ID: live.InvitationID(hash)}, live.ToConvener)
	if err != nil {
		return nil, fmt.Errorf("create negotiation: %w", err)
	}
	evs := []live.Event{createdEv, invitedEv}
	prev := ""
	for i := range evs {
		evs[i].Seq = int64(i + 1)
		evs[i].Seal(prev)
		prev = evs[i].Hash
	}
	tok := live.Token{Hash: hash, NegotiationID: id, Role: live.Convener, Created: now}
	reply, err := s.reply(idem, evs, now)
	if err != nil {
		return nil, fmt.Errorf("create negotiation: %w", err)
	}
	b := &live.Batch{Negotiation: n, Tokens: []live.Token{tok}, Events: evs, Reply: reply}
	if err := s.store.Commit(ctx, b); err != nil {
		return nil, fmt.Errorf("create negotiation: %w", err)
	}
	for i := range evs {
		if err := state.Apply(&evs[i]); err != nil {
			return nil, err
		}
	}
	s.Actions.Add(int64(len(evs)))
	s.Commits.Add(1)
	s.mu.Lock()
	if s.negs[id] == nil { // on a shared store, its notice may have loaded it
		s.negs[id] = &entry{st: state, subs: map[*Subscription]struct{}{}}
	}
	s.mu.Unlock()
	s.log.Info("negotiation created", "negotiation", id, "protocol", n.Protocol, "scenario", sc.Name)
	return &Created{Negotiation: n, State: state, Secret: secret, Events: evs}, nil
}

func liveSpace(sc *scenario.Scenario) (int64, error) {
	size := int64(1)
	for i := range sc.Issues {
		size *= int64(sc.Issues[i].Cardinality())
		if size > 1<<40 {
			return size, nil
		}
	}
	return size, nil
}

// reply renders the reply of an idempotent request, to store with its
// events; nil for other requests.
func (s *Service) reply(idem *Idem, evs []live.Event, now time.Time) (*live.Reply, error) {
	if idem == nil || idem.Key == "" || idem.Render == nil {
		return nil, nil
	}
	status, body, err := idem.Render(evs)
	if err != nil {
		return nil, fmt.Errorf("render the reply of idempotency key %q: %w", idem.Key, err)
	}
	return &live.Reply{TokenHash: idem.TokenHash, Key: idem.Key, Status: status, Body: body, Fingerprint: idem.Fingerprint, Created: now}, nil
}

// eventOf builds an unsealed event, or fails when data cannot be encoded.
func eventOf(id string, now time.Time, typ string, data any, to ...string) (live.Event, error) {
	b, err := jsonMarshal(data)
	if err != nil {
		return live.Event{}, fmt.Errorf("%s event: encode %T: %w", typ, data, err)
	}
	return live.Event{NegotiationID: id, Time: now, Type: typ, To: to, Data: b}, nil
}

func (s *Service) entry(id string) (*entry, error) {
	s.mu.Lock()
	e := s.negs[id]
	s.mu.Unlock()
	if e == nil {
		if s.shared {
			return s.load(id) // created through another replica
		}
		return nil, parley.Errorf(parley.ENOTFOUND, "no negotiation %q", id)
	}
	return e, nil
}

// Authorize checks that tok belongs to negotiation id.
func Authorize(tok *live.Token, id string) error {
	if tok == nil {
		return parley.Errorf(parley.EUNAUTHORIZED, "missing token")
	}
	if tok.NegotiationID != id {
		return parley.Errorf(parley.EFORBIDDEN, "this token belongs to another negotiation")
	}
	return nil
}

// State calls f with the negotiation's state, locked. f must not keep it.
func (s *Service) State(id string, f func(st *live.State)) error {
	e, err := s.entry(id)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s.shared {
		s.freshen(e)
	}
	f(e.st)
	return nil
}

// Result is the outcome of Act.
type Result struct {
	// Events are the events stored, in order (the caller filters them).
	Events []live.Event
	// Secret is a new invitation's token (EvInvited only).
	Secret string
	// Reply is the stored reply when the request was a replay.
	Reply *live.Reply
}

// Act performs an action of token tok on its negotiation: checks it, stores
// its events (and the idempotent reply) atomically, applies and publishes
// them. On error nothing is stored and the state is unchanged.
func (s *Service) Act(ctx context.Context, tok *live.Token, a live.Action, idem *Idem) (*Result, error) {
	e, err := s.entry(tok.NegotiationID)
	if err != nil {
		return nil, err
	}
	a.Role, a.Party, a.Self = tok.Role, tok.Party, tok.InvitationID()
	if a.Type == live.EvSuggestion {
		sugg, err := s.suggest(e)
		if err != nil {
			return nil, err
		}
		a.Suggestion = sugg
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for attempt := 1; ; attempt++ {
		before := e.st.Seq
		res, err := s.act(ctx, e, tok, a, idem)
		if err == nil {
			return res, nil
		}
		// A refusal may be that of a retry: of a request done before (by
		// this server or, on a shared store, another replica).
		r, rerr := s.storedReply(ctx, idem)
		if rerr == nil && r != nil {
			return &Result{Reply: r}, nil
		}
		if parley.ErrorCode(rerr) == parley.EKEYREUSED {
			return nil, rerr // the key answered another request
		}
		if !s.shared || attempt == maxAttempts || parley.ErrorCode(err) != parley.ECONFLICT {
			return res, err // (a commit that may have happened is not retried)
		}
		// Another replica may have acted first (a refusal on a stale
		// state, a commit refused for its sequence number).
		if _, cerr := s.catchUp(ctx, e); cerr != nil || e.st.Seq == before {
			return res, err // nothing new: the refusal stands
		}
		s.Retries.Add(1)
	}
}

// act decides and commits an action on a locked entry, once.
func (s *Service) act(ctx context.Context, e *entry, tok *live.Token, a live.Action, idem *Idem) (*Result, error) {
	now := s.now().UTC()
	// A turn that has expired and whose timer has not fired yet expires
	// first: the action is decided on the turn it falls in.
	if err := s.expireTurn(ctx, e, now); err != nil {
		return nil, err
	}
	var secret string
	var hash []byte
	if a.Type == live.EvInvited {
		var err error
		if secret, hash, err = live.NewSecret(); err != nil {
			return nil, err
		}
		a.Invite.ID = live.InvitationID(hash)
	}
	evs, err := e.st.Decide(now, a)
	if err != nil {
		if parley.ErrorCode(err) == parley.ECONFLICT && e.st.Phase == live.Running && !now.Before(e.st.Deadline) {
			// The deadline passed and its timer has not fired yet: fire it.
			if terr := s.timeout(ctx, e, now); terr != nil && !s.lostRace(terr) {
				s.log.Error("timeout", "negotiation", e.st.N.ID, "err", terr)
			}
		}
		return nil, err
	}
	res := &Result{}
	var tokens []live.Token
	if a.Type == live.EvInvited {
		res.Secret = secret
		tokens = append(tokens, live.Token{Hash: hash, NegotiationID: tok.NegotiationID, Role: a.Invite.Role, Party: a.Invite.Party, Created: now})
	}
	b := &live.Batch{Tokens: tokens, Events: evs}
	if err := s.commitBatch(ctx, e, b, idem, now); err != nil {
		return nil, err
	}
	res.Events = b.Events
	if err := s.followUp(ctx, e); err != nil {
		s.log.Error("follow-up", "negotiation", e.st.N.ID, "err", err)
	}
	return res, nil
}

// commit stores, applies and publishes evs on a locked entry.
func (s *Service) commit(ctx context.Context, e *entry, evs []live.Event, idem *Idem) error {
	if len(evs) == 0 {
		return nil
	}
	return s.commitBatch(ctx, e, &live.Batch{Events: evs}, idem, s.now().UTC())
}

func (s *Service) commitBatch(ctx context.Context, e *entry, b *live.Batch, idem *Idem, now time.Time) error {
	prev, seq := e.st.Hash, e.st.Seq
	for i := range b.Events {
		seq++
		b.Events[i].Seq = seq
		b.Events[i].Seal(prev)
		prev = b.Events[i].Hash
	}
	reply, err := s.reply(idem, b.Events, now)
	if err != nil {
		return err
	}
	b.Reply = reply
	if err := s.store.Commit(ctx, b); err != nil {
		// The write may or may not have happened (a timeout after the
		// commit), or another replica wrote first: read the store to stay
		// in step.
		s.resync(context.WithoutCancel(ctx), e)
		return fmt.Errorf("store events: %w", err)
	}
	for i := range b.Events {
		if err := e.st.Apply(&b.Events[i]); err != nil {
			return err
		}
	}
	s.Actions.Add(int64(len(b.Events)))
	s.Commits.Add(1)
	s.noteEvents(e, b.Events) // before publishing: a revocation is in force once heard of
	s.publish(e, b.Events)
	logged := s.log.Enabled(ctx, slog.LevelInfo)
	for i := range b.Events {
		ev := &b.Events[i]
		if logged {
			s.log.Info("event", "negotiation", ev.NegotiationID, "seq", ev.Seq, "type", ev.Type, "party", ev.Party)
		}
		if ev.Type == live.EvStarted {
			s.schedule(ev.NegotiationID, e)
		}
		if e.st.Phase.Over() && e.timer != nil {
			e.timer.Stop()
		}
	}
	return nil
}

// noteEvents does what events just applied to a locked entry's state call
// for besides publishing them: it re-arms the timer at the new SAOP turn's
// end, and for a revocation indexes it and ends the revoked token's live
// streams. Every path that applies events (commits, catching up) calls it.
func (s *Service) noteEvents(e *entry, evs []live.Event) {
	if len(evs) > 0 && !e.st.TurnDeadline().IsZero() {
		s.schedule(e.st.N.ID, e)
	}
	for i := range evs {
		if evs[i].Type != live.EvRevoked {
			continue
		}
		s.noteRevoked(e.st)
		var d live.RevokedData
		if json.Unmarshal(evs[i].Data, &d) != nil {
			continue
		}
		for sub := range e.subs {
			if sub.invitation == d.ID {
				delete(e.subs, sub)
				sub.close()
			}
		}
	}
}

// expireTurn records the expiry of the current SAOP turn if it is due at
// now (entry locked).
func (s *Service) expireTurn(ctx context.Context, e *entry, now time.Time) error {
	evs, err := e.st.TurnExpiry(now.UTC())
	if err == nil {
		err = s.commit(ctx, e, evs, nil)
	}
	if err != nil {
		return fmt.Errorf("turn expiry: %w", err)
	}
	return nil
}

// timeout records the deadline passing if it has at now (entry locked).
func (s *Service) timeout(ctx context.Context, e *entry, now time.Time) error {
	evs, err := e.st.Timeout(now)
	if err != nil {
		return fmt.Errorf("timeout: %w", err)
	}
	return s.commit(ctx, e, evs, nil)
}

// schedule arms the timer of a running negotiation (entry locked): at its
// deadline, or at the end of the current SAOP turn when that comes first.
func (s *Service) schedule(id string, e *entry) {
	if e.st.Phase != live.Running || s.closed.Load() {
		return
	}
	if e.timer != nil {
		e.timer.Stop()
	}
	at := e.st.Deadline
	if td := e.st.TurnDeadline(); !td.IsZero() && td.Before(at) {
		at = td
	}
	d := at.Sub(s.now())
	if d < 0 {
		d = 0
	}
	e.timer = time.AfterFunc(d, func() { s.fire(id) })
}

// fire times out a negotiation whose deadline has come, or expires its
// SAOP turn.
func (s *Service) fire(id string) {
	if s.closed.Load() {
		return
	}
	e, err := s.entry(id)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := s.now()
	if e.st.Phase == live.Running && now.Before(e.st.Deadline) {
		if err := s.expireTurn(context.Background(), e, now); err != nil && !s.lostRace(err) {
			s.log.Error("turn expiry", "negotiation", id, "err", err)
			e.timer = time.AfterFunc(time.Second, func() { s.fire(id) })
			return
		}
		s.schedule(id, e) // the next turn, or the clock ran slow: try again
		return
	}
	for attempt := 1; ; attempt++ {
		err := s.timeout(context.Background(), e, now)
		if err == nil {
			return
		}
		if s.lostRace(err) && attempt < maxAttempts {
			s.Retries.Add(1)
			continue // another replica wrote first (perhaps the time-out): caught up, look again
		}
		s.log.Error("deadline", "negotiation", id, "err", err)
		e.timer = time.AfterFunc(time.Second, func() { s.fire(id) })
		return
	}
}

// followUp plays the automatic broker on a locked entry: it drafts the
// first text after the start and the next one once every participant has
// answered the current text without agreement. On a shared store, when
// another replica wrote first, it looks again at the caught-up state.
func (s *Service) followUp(ctx context.Context, e *entry) error {
	for attempt := 1; ; attempt++ {
		err := s.followUpOnce(ctx, e)
		if err == nil || !s.lostRace(err) || attempt == maxAttempts {
			return err
		}
		s.Retries.Add(1)
	}
}

func (s *Service) followUpOnce(ctx context.Context, e *entry) error {
	st := e.st
	if st.N.Protocol != live.Broker || st.Phase != live.Running || !s.now().Before(st.Deadline) {
		if st.Phase == live.Running && !s.now().Before(st.Deadline) {
			return s.timeout(ctx, e, s.now())
		}
		return nil
	}
	if st.Current() != nil && !st.VotesComplete() {
		return nil
	}
	if cur := st.Current(); cur != nil {
		if wait := cur.At.Add(st.N.Pace()).Sub(s.now()); wait > 0 {
			// Too soon after the last text: draft the next one later.
			id := st.N.ID
			time.AfterFunc(wait, func() {
				if s.closed.Load() {
					return
				}
				e.mu.Lock()
				defer e.mu.Unlock()
				if err := s.followUp(context.Background(), e); err != nil {
					s.log.Error("broker", "negotiation", id, "err", err)
				}
			})
			return nil
		}
	}
	n := len(st.Versions)
	b := e.broker
	if b == nil || e.brokerAt != n {
		var err error
		if b, err = s.brokerFor(st, true); err != nil {
			return err
		}
	} else if n > 0 {
		if err := learnVersion(b, st, &st.Versions[n-1]); err != nil {
			return err
		}
	}
	e.broker, e.brokerAt = nil, 0
	text, expl, err := b.Propose(nil)
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	now := s.now().UTC()
	name := st.N.MediatorName()
	if text == nil {
		ev, err := eventOf(st.N.ID, now, live.EvEnd, live.EndData{Reason: expl})
		if err != nil {
			return fmt.Errorf("broker: %w", err)
		}
		ev.Party = name
		return s.commit(ctx, e, []live.Event{ev}, nil)
	}
	ev, err := st.TextEvent(now, name, text, expl)
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if err := s.commit(ctx, e, []live.Event{ev}, nil); err != nil {
		return err
	}
	e.broker, e.brokerAt = b, n+1
	return nil
}

// brokerFor builds a broker over the state's participants and replays the
// texts and votes so far, so that its next Propose continues the
// negotiation (the broker is deterministic). proposing says whether the
// broker drafted the texts itself (Broker protocol) or only advises.
func (s *Service) brokerFor(st *live.State, proposing bool) (*protocol.Broker, error) {
	sc := st.Scenario()
	var profiles []*utility.Profile
	var infos []negotiation.PartyInfo
	for _, name := range st.Order {
		pi := slices.IndexFunc(sc.Parties, func(p scenario.Party) bool { return p.Name == name })
		if sc.Parties[pi].Preferences == nil {
			return nil, parley.Errorf(parley.ECONFLICT, "the broker needs every participant's preferences; %s has entered none", name)
		}
		p, err := utility.Compile(sc, pi)
		if err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
		profiles = append(profiles, p)
		infos = append(infos, negotiation.PartyInfo{Name: name, Role: scenario.Participant})
	}
	pub := &negotiation.Public{Scenario: sc.Name, Issues: sc.Issues, Space: st.Space(), Parties: infos, Protocol: "broker"}
	b := &protocol.Broker{Rule: protocol.Rule(st.N.Rule)}
	if err := b.Init(&negotiation.Trusted{Public: pub, Profiles: profiles, Rand: rand.New(rand.NewPCG(1, 2))}); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	for _, v := range st.Versions {
		if proposing {
			if _, _, err := b.Propose(nil); err != nil {
				return nil, fmt.Errorf("broker replay: %w", err)
			}
		}
		if len(v.Votes) == 0 {
			continue
		}
		if err := learnVersion(b, st, &v); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// learnVersion tells the broker the votes on one version: critiques are
// rejections naming their first issue; missing votes count as acceptances.
func learnVersion(b *protocol.Broker, st *live.State, v *live.Version) error {
	votes := make([]negotiation.Vote, len(st.Order))
	for i := range votes {
		votes[i] = negotiation.Vote{Response: negotiation.Accept, Blocking: -1}
	}
	for _, vt := range v.Votes {
		i := slices.Index(st.Order, vt.Party)
		if i < 0 || vt.Accept {
			continue
		}
		votes[i] = negotiation.Vote{Response: negotiation.Reject, Blocking: -1}
		if len(vt.Blocking) > 0 {
			votes[i].Blocking = vt.Blocking[0]
		}
	}
	if err := b.Learn(nil, v.Outcome, votes); err != nil {
		return fmt.Errorf("broker: learn: %w", err)
	}
	return nil
}

// suggest asks the broker for the next text to suggest to a human mediator.
func (s *Service) suggest(e *entry) (*live.OfferData, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.st
	if st.Phase != live.Running {
		return nil, parley.Errorf(parley.ECONFLICT, "suggestions are given while the negotiation runs (it is %s)", st.Phase)
	}
	b, err := s.brokerFor(st, false)
	if err != nil {
		return nil, err
	}
	text, expl, err := b.Propose(nil)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	if text == nil {
		return &live.OfferData{Comment: expl}, nil
	}
	return &live.OfferData{Outcome: labels(st, text), Comment: expl}, nil
}

// Events returns the events of a negotiation after seq that a token may see.
func (s *Service) Events(ctx context.Context, tok *live.Token, after int64, limit int) ([]live.Event, error) {
	evs, err := s.store.Events(ctx, tok.NegotiationID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	out := evs[:0]
	for _, ev := range evs {
		if ev.VisibleTo(tok.Role, tok.Party) {
			out = append(out, ev)
		}
	}
	return out, nil
}

// Links returns a negotiation's audit chain as a token may see it: every
// link, with the body of the events it may see.
func (s *Service) Links(ctx context.Context, tok *live.Token) ([]live.Link, error) {
	evs, err := s.store.Events(ctx, tok.NegotiationID, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	links := live.LinksOf(evs)
	for i := range links {
		if !evs[i].VisibleTo(tok.Role, tok.Party) {
			links[i].Event = nil
		}
	}
	return links, nil
}

// Negotiations returns the IDs of every negotiation, sorted.
func (s *Service) Negotiations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id := range s.negs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Phases counts the negotiations in each phase.
func (s *Service) Phases() map[live.Phase]int {
	s.mu.Lock()
	es := make([]*entry, 0, len(s.negs))
	for _, e := range s.negs {
		es = append(es, e)
	}
	s.mu.Unlock()
	out := map[live.Phase]int{}
	for _, e := range es {
		e.mu.Lock()
		out[e.st.Phase]++
		e.mu.Unlock()
	}
	return out
}
