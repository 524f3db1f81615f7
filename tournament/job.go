package tournament

import (
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"parley/analysis"
	"parley/negotiation"
	"parley/protocol"
)

// Statuses of a Record.
const (
	StatusAgreement = "agreement" // every party accepted an outcome
	StatusTimedOut  = "timedout"  // the deadline came first
	StatusEnded     = "ended"     // a party walked away
	StatusFailed    = "failed"    // a competitor errored, panicked, broke the rules or overran a time limit
	StatusError     = "error"     // the negotiation could not be set up
)

// Record is the result of one negotiation: one row of results.csv.
type Record struct {
	Index      int64
	Key        string
	Scenario   string
	Repetition int
	Seed       uint64
	// Status is one of the Status constants.
	Status string
	// Outcome is the agreement's index in the outcome space, or -1.
	Outcome int64
	// Rounds is the number of rounds started; T the relative time at the end.
	Rounds int
	T      float64
	// Blame names who ended (ended) or broke (failed) the negotiation: a
	// competitor, "mediator", or empty.
	Blame string
	// Error is the error of a failed negotiation.
	Error string
	// Welfare is the sum of the utilities.
	Welfare float64
	// Pareto and Nash are the distances from the utilities to the nearest
	// Pareto-frontier point and Nash point; NaN when the scenario could not
	// be analysed or no outcome is rational for everyone.
	Pareto, Nash float64
	// Competitors, Utilities and Advantages are per role. Utility is that of
	// the agreement (undiscounted), or the role's disagreement value
	// max(reservation, worst) without one; advantage is (u − d)/(best − d).
	Competitors []string
	Utilities   []float64
	Advantages  []float64
}

// Run runs one negotiation of the plan. It is a pure function of the
// plan's configuration and the job's key (when the deadline is in rounds
// only and no time limit is hit): any process with the same configuration
// gets the same Record. It never panics on a competitor's behalf: panics,
// errors and time-outs are recorded in the Record.
func (p *Plan) Run(j Job) Record {
	e, cfg := j.entry, p.Config
	rec := Record{
		Index: j.Index, Key: j.KeyString, Scenario: e.ID, Repetition: j.Key.Repetition, Seed: j.Seed,
		Outcome: -1, Pareto: math.NaN(), Nash: math.NaN(),
		Competitors: j.Key.Competitors,
	}
	var current atomic.Int32
	current.Store(-1)
	sess, err := p.session(j, false, &current)
	if err != nil {
		return errorRecord(rec, e, err)
	}
	var res *negotiation.Result
	if cfg.Timeout <= 0 {
		res = sess.Run()
	} else {
		done := make(chan *negotiation.Result, 1)
		go func() { done <- sess.Run() }()
		timer := time.NewTimer(cfg.Timeout)
		select {
		case res = <-done:
			timer.Stop()
		case <-timer.C:
			// The session goroutine cannot be stopped; it is abandoned and
			// its result discarded.
			res = &negotiation.Result{Status: negotiation.Failed, Party: -1,
				Err: fmt.Errorf("negotiation abandoned after the %v timeout", cfg.Timeout)}
			if c := current.Load(); c >= 0 {
				res.Party = int(c)
				res.Err = fmt.Errorf("negotiation abandoned after the %v timeout: a call to %q did not return", cfg.Timeout, rec.Competitors[c])
			}
		}
	}
	return fill(rec, e, res)
}

// Trace runs one negotiation of the plan with its trace on, for figures and
// inspection; it returns the scenario entry and the engine's result.
func (p *Plan) Trace(j Job) (*Entry, *negotiation.Result, error) {
	sess, err := p.session(j, true, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("replay %s: %w", j.KeyString, err)
	}
	return j.entry, sess.Run(), nil
}

// session sets up the job's negotiation. With current set, each
// competitor's calls record its role there (for blaming on timeout).
func (p *Plan) session(j Job, trace bool, current *atomic.Int32) (*negotiation.Session, error) {
	e, cfg := j.entry, p.Config
	negs := make([]negotiation.Negotiator, e.Roles())
	for r, c := range j.assign {
		ng, err := cfg.Competitors[c].New()
		if err != nil {
			return nil, fmt.Errorf("competitor %q: %w", cfg.Competitors[c].Name, err)
		}
		if cfg.Timeout > 0 && current != nil {
			ng = watch(ng, int32(r), current)
		}
		negs[r] = ng
	}
	proto, med, err := protocol.ByName(cfg.Protocol)
	if err != nil {
		return nil, err
	}
	if br, ok := med.(*protocol.Broker); ok && cfg.Rule != "" {
		br.Rule = protocol.Rule(strings.ToLower(cfg.Rule))
	}
	rounds := cfg.Rounds
	if rounds == 0 && cfg.Time == 0 && e.Scenario.Deadline == nil {
		rounds = 100
	}
	sess, err := negotiation.New(negotiation.Config{
		Scenario: e.Scenario, Protocol: proto, Mediator: med, Negotiators: negs, Profiles: e.Profiles,
		Rounds: rounds, Time: cfg.Time, CallLimit: cfg.CallLimit, Seed: j.Seed, Trace: trace,
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// RunCommand returns the `parley run` command line that runs the job alone
// with the same seed, hence the same result (for strategies of package
// negotiator; "" when a competitor uses a strategy added with Register).
func (p *Plan) RunCommand(j Job) string {
	cfg := p.Config
	agents := make([]string, len(j.assign))
	for r, c := range j.assign {
		registry.RLock()
		_, registered := registry.m[strings.ToLower(cfg.Competitors[c].Strategy)]
		registry.RUnlock()
		spec, err := cfg.Competitors[c].Spec()
		if registered || err != nil {
			return ""
		}
		agents[r] = spec
	}
	args := []string{"parley", "run", j.entry.Path, "--protocol", cfg.Protocol, "--agents", strings.Join(agents, ",")}
	if cfg.Rule != "" {
		args = append(args, "--rule", cfg.Rule)
	}
	if cfg.Rounds > 0 {
		args = append(args, "--rounds", fmt.Sprint(cfg.Rounds))
	}
	if cfg.Time > 0 {
		args = append(args, "--time", cfg.Time.String())
	}
	if cfg.CallLimit > 0 {
		args = append(args, "--call-limit", cfg.CallLimit.String())
	}
	args = append(args, "--seed", fmt.Sprint(j.Seed))
	for i, a := range args {
		if strings.ContainsAny(a, " '\"$()*?;&|<>[]{}\\`!#~") {
			args[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(args, " ")
}

// errorRecord records a negotiation that could not be set up.
func errorRecord(rec Record, e *Entry, err error) Record {
	rec.Status, rec.Error = StatusError, oneLine(err.Error())
	return fill(rec, e, nil)
}

// fill computes utilities, advantages, welfare and distances from the
// session's result (nil when there was no session).
func fill(rec Record, e *Entry, res *negotiation.Result) Record {
	n := e.Roles()
	rec.Utilities, rec.Advantages = make([]float64, n), make([]float64, n)
	agreed := false
	if res != nil {
		rec.Rounds, rec.T = res.Rounds, res.T
		switch res.Status {
		case negotiation.Agreement:
			rec.Status, agreed = StatusAgreement, true
			rec.Outcome = e.Space.Index(res.Agreement)
		case negotiation.TimedOut:
			rec.Status = StatusTimedOut
		case negotiation.Ended:
			rec.Status = StatusEnded
		default:
			rec.Status = StatusFailed
		}
		if res.Status == negotiation.Ended || res.Status == negotiation.Failed {
			switch {
			case res.Party >= 0 && res.Party < n:
				rec.Blame = rec.Competitors[res.Party]
			case res.Party == negotiation.MediatorParty:
				rec.Blame = "mediator"
			}
		}
		if res.Err != nil {
			rec.Error = oneLine(res.Err.Error())
		}
	}
	for r, pr := range e.Profiles {
		u := e.Disagreement[r]
		if agreed {
			u = pr.Func.Utility(res.Agreement)
		}
		rec.Utilities[r] = u
		if e.Best[r] > e.Disagreement[r] {
			rec.Advantages[r] = (u - e.Disagreement[r]) / (e.Best[r] - e.Disagreement[r])
		}
		rec.Welfare += u
	}
	if a := e.Analysis; a != nil && len(a.Pareto) > 0 {
		rec.Pareto, rec.Nash = nearest(rec.Utilities, a.Pareto), nearest(rec.Utilities, a.Nash)
	}
	return rec
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// nearest returns the Euclidean distance from u to the closest point.
func nearest(u []float64, pts []analysis.Point) float64 {
	best := math.Inf(1)
	for _, p := range pts {
		s := 0.0
		for i, x := range p.Utilities {
			s += (x - u[i]) * (x - u[i])
		}
		best = math.Min(best, s)
	}
	return math.Sqrt(best)
}

// watched records which role's call is running, so a negotiation abandoned
// on timeout can blame it.
type watched struct {
	negotiation.Negotiator
	role    int32
	current *atomic.Int32
}

// Init implements negotiation.Negotiator.
func (w *watched) Init(s *negotiation.Setup) error {
	w.current.Store(w.role)
	return w.Negotiator.Init(s)
}

// Propose implements negotiation.Negotiator.
func (w *watched) Propose(st *negotiation.State) ([]int, error) {
	w.current.Store(w.role)
	return w.Negotiator.Propose(st)
}

// Respond implements negotiation.Negotiator.
func (w *watched) Respond(st *negotiation.State, offer []int) (negotiation.Response, error) {
	w.current.Store(w.role)
	return w.Negotiator.Respond(st, offer)
}

// watchedObjector keeps the Objector interface of the negotiator watched.
type watchedObjector struct {
	*watched
	obj negotiation.Objector
}

// Objection implements negotiation.Objector.
func (w watchedObjector) Objection(st *negotiation.State, text []int) int {
	w.current.Store(w.role)
	return w.obj.Objection(st, text)
}

func watch(ng negotiation.Negotiator, role int32, current *atomic.Int32) negotiation.Negotiator {
	w := &watched{Negotiator: ng, role: role, current: current}
	if o, ok := ng.(negotiation.Objector); ok {
		return watchedObjector{w, o}
	}
	return w
}
