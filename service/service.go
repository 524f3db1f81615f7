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
	"context"
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
	tokens sync.Map // string(hash) -> *live.Token
	// replies holds every idempotent reply of the last ReplyWindow, so that
	// a request is checked for a replay without reading the store.
	replies sync.Map // replyKey -> *live.Reply
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
	// Now is the clock; nil means time.Now.
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
	rs, err := st.Replies(ctx, s.now().Add(-ReplyWindow))
	if err != nil {
		return nil, fmt.Errorf("load idempotent replies: %w", err)
	}
	for i := range rs {
		s.replies.Store(replyKey(rs[i].TokenHash, rs[i].Key), &rs[i])
	}
	go s.prune()
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

// replay rebuilds a negotiation's state from its stored events.
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
	return state, nil
}

// ReplyWindow is how long an idempotency key is remembered: a retry after
// it is a new request.
const ReplyWindow = 24 * time.Hour

func replyKey(hash []byte, key string) string { return string(hash) + "\x00" + key }

// prune forgets replies older than ReplyWindow, every ten minutes.
func (s *Service) prune() {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			cut := s.now().Add(-ReplyWindow)
			s.replies.Range(func(k, v any) bool {
				if v.(*live.Reply).Created.Before(cut) {
					s.replies.Delete(k)
				}
				return true
			})
		}
	}
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
// EUNAUTHORIZED error.
func (s *Service) Authenticate(ctx context.Context, secret string) (*live.Token, error) {
	if secret == "" {
		return nil, parley.Errorf(parley.EUNAUTHORIZED, "missing token: send Authorization: Bearer <token>")
	}
	h := live.HashSecret(secret)
	if v, ok := s.tokens.Load(string(h)); ok {
		t := v.(*live.Token)
		if t.Matches(secret) {
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
	s.tokens.Store(string(h), t)
	return t, nil
}

// Idem identifies an idempotent request and renders its reply.
type Idem struct {
	TokenHash []byte
	Key       string
	// Render turns the result into the HTTP status and body stored as the
	// reply.
	Render func(events []live.Event) (int, []byte)
}

// Replayed returns the stored reply of an idempotent request, or nil. Every
// reply of the last ReplyWindow is in memory, so this reads nothing.
func (s *Service) Replayed(ctx context.Context, idem *Idem) (*live.Reply, error) {
	if idem == nil || idem.Key == "" {
		return nil, nil
	}
	if r, ok := s.replies.Load(replyKey(idem.TokenHash, idem.Key)); ok {
		return r.(*live.Reply), nil
	}
	return nil, nil
}

// storedReply reads a reply from the store, for a commit refused because
// another request with the same key won the race.
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
	return r, nil
}

// CreateRequest is a new negotiation.
type CreateRequest struct {
	Title    string
	Protocol string
	Rule     string
	Duration time.Duration
	Scenario *scenario.Scenario
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

// Create sets up a negotiation and issues the convener's token.
func (s *Service) Create(ctx context.Context, req CreateRequest, idem *Idem) (*Created, error) {
	if r, err := s.Replayed(ctx, idem); err != nil || r != nil {
		return &Created{Reply: r}, err
	}
	if !slices.Contains(live.Protocols(), req.Protocol) {
		return nil, parley.Errorf(parley.EINVALID, "protocol: %q is not one of %v", req.Protocol, live.Protocols())
	}
	if req.Rule != "" && !slices.Contains(protocol.Rules(), protocol.Rule(req.Rule)) {
		return nil, parley.Errorf(parley.EINVALID, "rule: %q is not one of %v", req.Rule, protocol.Rules())
	}
	if req.Duration <= 0 || req.Duration > MaxDuration {
		return nil, parley.Errorf(parley.EINVALID, "duration: must be positive and at most %s, got %s", MaxDuration, req.Duration)
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
	n := &live.Negotiation{ID: id, Title: title, Protocol: req.Protocol, Rule: req.Rule, Duration: req.Duration, Scenario: &sc, Created: now}
	state, err := live.NewState(n)
	if err != nil {
		return nil, parley.Errorf(parley.EINVALID, "scenario: %v", err)
	}
	var parties []live.PartyInfo
	for _, p := range sc.Parties {
		parties = append(parties, live.PartyInfo{Name: p.Name, Role: p.Role, Description: p.Description})
	}
	evs := []live.Event{
		eventOf(n.ID, now, live.EvCreated, live.CreatedData{Title: title, Protocol: n.Protocol, Rule: n.Rule, Duration: n.Duration.String(), Scenario: sc.Name, Issues: sc.Issues, Parties: parties}),
		eventOf(n.ID, now, live.EvInvited, live.InvitedData{Role: live.Convener}, live.ToConvener),
	}
	prev := ""
	for i := range evs {
		evs[i].Seq = int64(i + 1)
		evs[i].Seal(prev)
		prev = evs[i].Hash
	}
	tok := live.Token{Hash: hash, NegotiationID: id, Role: live.Convener, Created: now}
	b := &live.Batch{Negotiation: n, Tokens: []live.Token{tok}, Events: evs, Reply: s.reply(idem, evs, now)}
	if err := s.store.Commit(ctx, b); err != nil {
		if r, rerr := s.storedReply(ctx, idem); rerr == nil && r != nil {
			s.replies.Store(replyKey(r.TokenHash, r.Key), r)
			return &Created{Reply: r}, nil
		}
		return nil, fmt.Errorf("create negotiation: %w", err)
	}
	if b.Reply != nil {
		s.replies.Store(replyKey(b.Reply.TokenHash, b.Reply.Key), b.Reply)
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

func (s *Service) reply(idem *Idem, evs []live.Event, now time.Time) *live.Reply {
	if idem == nil || idem.Key == "" || idem.Render == nil {
		return nil
	}
	status, body := idem.Render(evs)
	return &live.Reply{TokenHash: idem.TokenHash, Key: idem.Key, Status: status, Body: body, Created: now}
}

// eventOf builds an unsealed event.
func eventOf(id string, now time.Time, typ string, data any, to ...string) live.Event {
	b, err := jsonMarshal(data)
	if err != nil {
		panic(err)
	}
	return live.Event{NegotiationID: id, Time: now, Type: typ, To: to, Data: b}
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
	a.Role, a.Party = tok.Role, tok.Party
	if a.Type == live.EvSuggestion {
		sugg, err := s.suggest(e)
		if err != nil {
			return nil, err
		}
		a.Suggestion = sugg
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, err := s.Replayed(ctx, idem); err != nil || r != nil {
		return &Result{Reply: r}, err
	}
	for attempt := 1; ; attempt++ {
		before := e.st.Seq
		res, err := s.act(ctx, e, tok, a, idem)
		if err == nil || !s.shared || attempt == maxAttempts || parley.ErrorCode(err) != parley.ECONFLICT {
			return res, err // (a commit that may have happened is not retried)
		}
		// Another replica may have acted first (a refusal on a stale
		// state, a commit refused for its sequence number): perhaps with
		// this very request, retried through it.
		if r, rerr := s.storedReply(ctx, idem); rerr == nil && r != nil {
			s.replies.Store(replyKey(r.TokenHash, r.Key), r)
			return &Result{Reply: r}, nil
		}
		if _, cerr := s.catchUp(ctx, e); cerr != nil || e.st.Seq == before {
			return res, err // nothing new: the refusal stands
		}
		s.Retries.Add(1)
	}
}

// act decides and commits an action on a locked entry, once.
func (s *Service) act(ctx context.Context, e *entry, tok *live.Token, a live.Action, idem *Idem) (*Result, error) {
	now := s.now().UTC()
	evs, err := e.st.Decide(now, a)
	if err != nil {
		if parley.ErrorCode(err) == parley.ECONFLICT && e.st.Phase == live.Running && !now.Before(e.st.Deadline) {
			// The deadline passed and its timer has not fired yet: fire it.
			if terr := s.commit(ctx, e, e.st.Timeout(now), nil); terr != nil && !s.lostRace(terr) {
				s.log.Error("timeout", "negotiation", e.st.N.ID, "err", terr)
			}
		}
		return nil, err
	}
	res := &Result{}
	var tokens []live.Token
	if a.Type == live.EvInvited {
		secret, hash, err := live.NewSecret()
		if err != nil {
			return nil, err
		}
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
	b.Reply = s.reply(idem, b.Events, now)
	if err := s.store.Commit(ctx, b); err != nil {
		// The write may or may not have happened (a timeout after the
		// commit), or another replica wrote first: read the store to stay
		// in step.
		s.resync(context.WithoutCancel(ctx), e)
		return fmt.Errorf("store events: %w", err)
	}
	if b.Reply != nil {
		s.replies.Store(replyKey(b.Reply.TokenHash, b.Reply.Key), b.Reply)
	}
	for i := range b.Events {
		if err := e.st.Apply(&b.Events[i]); err != nil {
			return err
		}
	}
	s.Actions.Add(int64(len(b.Events)))
	s.Commits.Add(1)
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

// schedule arms the deadline timer of a running negotiation (entry locked).
func (s *Service) schedule(id string, e *entry) {
	if e.st.Phase != live.Running || s.closed.Load() {
		return
	}
	if e.timer != nil {
		e.timer.Stop()
	}
	d := e.st.Deadline.Sub(s.now())
	if d < 0 {
		d = 0
	}
	e.timer = time.AfterFunc(d, func() { s.fire(id) })
}

// fire times out a negotiation whose deadline has come.
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
		s.schedule(id, e) // the clock ran slow: try again
		return
	}
	for attempt := 1; ; attempt++ {
		err := s.commit(context.Background(), e, e.st.Timeout(now), nil)
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
			return s.commit(ctx, e, st.Timeout(s.now()), nil)
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
		ev := eventOf(st.N.ID, now, live.EvEnd, live.EndData{Reason: expl})
		ev.Party = name
		return s.commit(ctx, e, []live.Event{ev}, nil)
	}
	if err := s.commit(ctx, e, []live.Event{st.TextEvent(now, name, text, expl)}, nil); err != nil {
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
