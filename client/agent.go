package client

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"parley"
	httpapi "parley/http"
	"parley/live"
	"parley/negotiation"
	"parley/scenario"
	"parley/space"
	"parley/utility"
)

// Agent plays a negotiation.Negotiator in a live negotiation over the API,
// exactly as a person with a participant token would: it sees the public
// record and its own preferences, and acts when the protocol asks.
type Agent struct {
	// Client acts with the participant's token.
	Client *Client
	// Negotiator is the strategy.
	Negotiator negotiation.Negotiator
	// Seed seeds the negotiator's random source (with the party's name).
	Seed uint64
	// Log receives what the agent does; nil discards it.
	Log *slog.Logger

	id    string
	party string
	view  *httpapi.View
	sc    *scenario.Scenario // public issues plus the agent's own party
	order []string
	self  int
	start time.Time
	end   time.Time

	// SAOP.
	turn     int
	round    int
	offer    []int
	proposer int
	// Text protocols: the last version answered, and the current text.
	answered int
	version  int
	text     []int
	state    negotiation.State
	// acting is false while the agent folds the past events.
	acting bool
	over   bool
	// lastAct is when the agent last acted (see Negotiation.Pace).
	lastAct time.Time
}

// pace waits until a thousandth of the negotiation's duration has passed
// since the agent's last action, so that agents negotiating with agents do
// not flood the server.
func (a *Agent) pace(ctx context.Context) error {
	wait := a.lastAct.Add(a.end.Sub(a.start) / 1000).Sub(time.Now())
	if wait > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	a.lastAct = time.Now()
	return nil
}

// Run joins the negotiation of the client's token and plays it until it is
// over; it returns the final view.
func (a *Agent) Run(ctx context.Context) (*httpapi.View, error) {
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	me, err := a.Client.Me(ctx)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	if me.Role != live.Participant {
		return nil, parley.Errorf(parley.EINVALID, "agent: the token is a %s's; an agent needs a participant's", me.Role)
	}
	a.id, a.party = me.Negotiation, me.Party
	// Fold the past without acting, then act once on the present, then
	// follow the stream: an agent that restarts does not replay its moves.
	past, err := a.Client.Events(ctx, a.id, 0)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	var last int64
	for _, ev := range past {
		if _, err := a.handle(ctx, ev); err != nil {
			return nil, err
		}
		last = ev.Seq
	}
	a.acting = true
	if !a.over {
		if err := a.saopTurn(ctx); err != nil {
			return nil, err
		}
		if a.text != nil {
			if err := a.answer(ctx, a.version, a.text); err != nil {
				return nil, err
			}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var final *httpapi.View
	if a.over {
		return a.Client.Negotiation(ctx, a.id)
	}
	err = a.Client.Stream(ctx, a.id, last, func(ev live.Event) error {
		over, err := a.handle(ctx, ev)
		if err != nil {
			return err
		}
		if over {
			v, err := a.Client.Negotiation(ctx, a.id)
			if err != nil {
				return err
			}
			final = v
			return ErrStop
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return final, nil
}

// handle reacts to one event; it reports whether the negotiation is over.
func (a *Agent) handle(ctx context.Context, ev live.Event) (bool, error) {
	switch ev.Type {
	case live.EvStarted:
		var d live.StartedData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return false, fmt.Errorf("agent: started event: %w", err)
		}
		if err := a.init(ctx, ev.Time, d); err != nil {
			return false, err
		}
		return false, a.saopTurn(ctx)
	case live.EvOffer:
		o, err := a.outcome(ev.Data)
		if err != nil {
			return false, err
		}
		a.offer, a.proposer = o, slices.Index(a.order, ev.Party)
		a.advance()
		return false, a.saopTurn(ctx)
	case live.EvTurnExpired:
		// A participant's turn passed unused: the turn moves on, the offer
		// stands.
		if a.order != nil {
			a.advance()
		}
		return false, a.saopTurn(ctx)
	case live.EvAccept:
		if a.view != nil && a.view.Protocol == live.SAOP {
			a.advance()
			return false, a.saopTurn(ctx)
		}
		if ev.Party == a.party {
			a.answered = max(a.answered, a.version)
		}
	case live.EvCritique:
		if ev.Party == a.party {
			a.answered = max(a.answered, a.version)
		}
	case live.EvText:
		var d live.OfferData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return false, fmt.Errorf("agent: text event: %w", err)
		}
		o, err := space.Parse(a.sc, d.Outcome)
		if err != nil {
			return false, fmt.Errorf("agent: text event: %w", err)
		}
		a.version, a.text = d.Version, o
		return false, a.answer(ctx, d.Version, o)
	case live.EvAgreement, live.EvTimeout, live.EvEnd, live.EvStopped:
		a.over = true
		return true, nil
	}
	return false, nil
}

// init builds the negotiator's setup from the view once the negotiation
// starts.
func (a *Agent) init(ctx context.Context, started time.Time, d live.StartedData) error {
	v, err := a.Client.Negotiation(ctx, a.id)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if v.Private == nil || v.Private.Preferences == nil {
		return parley.Errorf(parley.ECONFLICT, "agent: %s has no preferences in this negotiation", a.party)
	}
	a.view, a.order, a.start, a.end = v, d.Order, started, d.Deadline
	a.sc = &scenario.Scenario{Name: v.Scenario, Issues: v.Issues, Parties: []scenario.Party{*v.Private}}
	prof, err := utility.Compile(a.sc, 0)
	if err != nil {
		return fmt.Errorf("agent: own preferences: %w", err)
	}
	sp, err := space.Of(a.sc)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	a.self = slices.Index(a.order, a.party)
	pub := &negotiation.Public{Scenario: v.Scenario, Issues: v.Issues, Space: sp, Protocol: v.Protocol, Time: d.Deadline.Sub(started)}
	for _, name := range a.order {
		pub.Parties = append(pub.Parties, negotiation.PartyInfo{Name: name, Role: scenario.Participant})
	}
	h := fnv.New64a()
	h.Write([]byte(a.party))
	setup := &negotiation.Setup{Self: a.self, Profile: prof, Public: pub, Rand: rand.New(rand.NewPCG(a.Seed, h.Sum64()))}
	if err := a.Negotiator.Init(setup); err != nil {
		return fmt.Errorf("agent: init negotiator: %w", err)
	}
	a.Log.Info("agent joined", "negotiation", a.id, "party", a.party, "protocol", v.Protocol)
	return nil
}

func (a *Agent) outcome(data json.RawMessage) ([]int, error) {
	var d live.OfferData
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("agent: event data: %w", err)
	}
	if a.sc == nil {
		return nil, parley.Errorf(parley.ECONFLICT, "agent: offer before the start")
	}
	o, err := space.Parse(a.sc, d.Outcome)
	if err != nil {
		return nil, fmt.Errorf("agent: event outcome: %w", err)
	}
	return o, nil
}

func (a *Agent) advance() {
	a.turn++
	if a.turn%len(a.order) == 0 {
		a.round++
	}
}

// stateNow fills the negotiator's public state.
func (a *Agent) stateNow(proposer int) *negotiation.State {
	t := 0.0
	if total := a.end.Sub(a.start); total > 0 {
		t = min(1, max(0, float64(time.Since(a.start))/float64(total)))
	}
	a.state = negotiation.State{Round: a.round, Step: a.turn, T: t, Self: a.self, Proposer: proposer}
	return &a.state
}

// saopTurn acts when it is the agent's turn under SAOP.
func (a *Agent) saopTurn(ctx context.Context) error {
	if !a.acting || a.over || a.view == nil || a.view.Protocol != live.SAOP || a.order[a.turn%len(a.order)] != a.party {
		return nil
	}
	if err := a.pace(ctx); err != nil {
		return err
	}
	if a.offer != nil && a.proposer != a.self {
		r, err := a.Negotiator.Respond(a.stateNow(a.proposer), a.offer)
		if err != nil {
			return fmt.Errorf("agent: respond: %w", err)
		}
		switch r {
		case negotiation.Accept:
			_, err := a.Client.Accept(ctx, a.id, 0)
			return a.tolerate(err)
		case negotiation.End:
			_, err := a.Client.End(ctx, a.id, "")
			return a.tolerate(err)
		}
	}
	o, err := a.Negotiator.Propose(a.stateNow(-1))
	if err != nil {
		return fmt.Errorf("agent: propose: %w", err)
	}
	if o == nil {
		_, err := a.Client.End(ctx, a.id, "")
		return a.tolerate(err)
	}
	_, err = a.Client.Offer(ctx, a.id, space.Labels(a.sc, o))
	return a.tolerate(err)
}

// answer accepts or critiques a text version.
func (a *Agent) answer(ctx context.Context, version int, text []int) error {
	if !a.acting || a.over || a.sc == nil || version <= a.answered {
		return nil
	}
	a.answered = version
	if err := a.pace(ctx); err != nil {
		return err
	}
	st := a.stateNow(negotiation.MediatorParty)
	r, err := a.Negotiator.Respond(st, text)
	if err != nil {
		return fmt.Errorf("agent: respond: %w", err)
	}
	switch r {
	case negotiation.Accept:
		_, err := a.Client.Accept(ctx, a.id, version)
		return a.tolerate(err)
	case negotiation.End:
		_, err := a.Client.End(ctx, a.id, "")
		return a.tolerate(err)
	}
	issue := -1
	if ob, ok := a.Negotiator.(negotiation.Objector); ok {
		issue = ob.Objection(st, text)
	}
	if issue < 0 {
		issue = a.worstIssue(text)
	}
	_, err = a.Client.Critique(ctx, a.id, version, []string{a.sc.Issues[issue].Name}, "")
	return a.tolerate(err)
}

// worstIssue is the issue whose best change would gain the agent most.
func (a *Agent) worstIssue(text []int) int {
	prof, _ := utility.Compile(a.sc, 0)
	base := prof.Func.Utility(text)
	best, bestGain := 0, -1.0
	o := slices.Clone(text)
	for i := range a.sc.Issues {
		for v := 0; v < a.sc.Issues[i].Cardinality(); v++ {
			o[i] = v
			if g := prof.Func.Utility(o) - base; g > bestGain {
				best, bestGain = i, g
			}
		}
		o[i] = text[i]
	}
	return best
}

// tolerate ignores refusals caused by races the agent cannot avoid (the
// negotiation ended or the deadline passed meanwhile): the stream tells
// what happened next.
func (a *Agent) tolerate(err error) error {
	if parley.ErrorCode(err) == parley.ECONFLICT {
		a.Log.Info("agent action refused", "party", a.party, "err", err)
		return nil
	}
	return err
}
