// Package negotiator is Parley's library of negotiation strategies, one file
// per strategy: the time-dependent family (Boulware, Linear, Conceder,
// Hardliner), random, tit-for-tat, aspiration, MiCRO, a HardHeaded-like
// frequency-model agent, AgentK, and voters for mediated protocols
// (threshold, truthful, hill-climber, annealer). Every strategy implements
// negotiation.Negotiator and sees only its own profile and the public view.
// docs/negotiators.md gives formulas and sources.
package negotiator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"parley"
	"parley/negotiation"
	"parley/utility"
)

// constructors maps each strategy name to a constructor.
var constructors = map[string]func() negotiation.Negotiator{
	"boulware":    func() negotiation.Negotiator { return Boulware() },
	"linear":      func() negotiation.Negotiator { return Linear() },
	"conceder":    func() negotiation.Negotiator { return Conceder() },
	"hardliner":   func() negotiation.Negotiator { return Hardliner() },
	"random":      func() negotiation.Negotiator { return &Random{} },
	"titfortat":   func() negotiation.Negotiator { return &TitForTat{} },
	"aspiration":  func() negotiation.Negotiator { return &Aspiration{} },
	"micro":       func() negotiation.Negotiator { return &MiCRO{} },
	"hardheaded":  func() negotiation.Negotiator { return &FrequencyModel{} },
	"agentk":      func() negotiation.Negotiator { return &AgentK{} },
	"threshold":   func() negotiation.Negotiator { return &Threshold{} },
	"truthful":    func() negotiation.Negotiator { return &Truthful{} },
	"hillclimber": func() negotiation.Negotiator { return &HillClimber{} },
	"annealer":    func() negotiation.Negotiator { return &Annealer{} },
}

// Names lists the strategies New knows, sorted.
func Names() []string {
	var ns []string
	for n := range constructors {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// New returns a fresh negotiator of the named strategy. A name may carry
// parameters in parentheses, separated by spaces or semicolons:
// "boulware(k=0.1)", "timedependent(e=0.5)", "aspiration(beta=2)",
// "random(p=0.3)", "hardheaded(e=0.05; window=40)", "threshold(e=0.5)",
// "annealer(t0=0.2)" (see the strategies' fields).
func New(name string) (negotiation.Negotiator, error) {
	base, args, hasArgs := strings.Cut(strings.TrimSpace(name), "(")
	base = strings.ToLower(strings.TrimSpace(base))
	if base == "timedependent" {
		base = "linear"
	}
	f, ok := constructors[base]
	if !ok {
		return nil, parley.Errorf(parley.EINVALID, "unknown negotiator %q (known: %s, timedependent(e=…))", name, strings.Join(Names(), ", "))
	}
	ng := f()
	if !hasArgs {
		return ng, nil
	}
	args, closed := strings.CutSuffix(strings.TrimSpace(args), ")")
	if !closed {
		return nil, parley.Errorf(parley.EINVALID, "negotiator %q: missing closing parenthesis", name)
	}
	for _, kv := range strings.FieldsFunc(args, func(r rune) bool { return r == ';' || r == ' ' }) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, parley.Errorf(parley.EINVALID, "negotiator %q: parameter %q is not key=value", name, kv)
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, parley.Errorf(parley.EINVALID, "negotiator %q: parameter %s: %q is not a number", name, k, v)
		}
		if err := setParam(ng, strings.ToLower(k), x); err != nil {
			return nil, fmt.Errorf("negotiator %q: %w", name, err)
		}
	}
	return ng, nil
}

// setParam sets one parameter of a strategy.
func setParam(ng negotiation.Negotiator, k string, x float64) error {
	bad := func() error {
		return parley.Errorf(parley.EINVALID, "parameter %s=%v is not valid for this strategy", k, x)
	}
	nonNeg := x >= 0
	switch a := ng.(type) {
	case *TimeDependent:
		switch {
		case k == "e" && nonNeg:
			a.E = x
		case k == "k" && nonNeg && x <= 1:
			a.K = x
		default:
			return bad()
		}
	case *Random:
		if k != "p" || !nonNeg || x > 1 {
			return bad()
		}
		a.AcceptProb = x
	case *Aspiration:
		if k != "beta" || x == 0 {
			return bad()
		}
		a.Beta = x
	case *FrequencyModel:
		switch {
		case k == "e" && x > 0:
			a.E = x
		case k == "window" && x >= 1 && x == math.Trunc(x):
			a.Window = int(x)
		default:
			return bad()
		}
	case *Threshold:
		if k != "e" || x <= 0 {
			return bad()
		}
		a.E = x
	case *Annealer:
		if k != "t0" || x <= 0 {
			return bad()
		}
		a.T0 = x
	default:
		return bad()
	}
	return nil
}

// base is what most strategies keep from Setup.
type base struct {
	self  int
	prof  *utility.Profile
	pub   *negotiation.Public
	rng   *rand.Rand
	bids  *Bids
	hi    float64 // best own utility
	floor float64 // max(reservation, worst own utility)
}

func (b *base) init(s *negotiation.Setup, ordered bool) error {
	if s == nil || s.Profile == nil || s.Public == nil {
		return parley.Errorf(parley.EINVALID, "negotiator setup is incomplete")
	}
	b.self, b.prof, b.pub, b.rng = s.Self, s.Profile, s.Public, s.Rand
	if b.rng == nil {
		b.rng = rand.New(rand.NewPCG(0, uint64(s.Self)))
	}
	lo, hi := s.Profile.Func.Range()
	b.hi, b.floor = hi, lo
	if s.Profile.HasReservation && s.Profile.Reservation > lo {
		b.floor = math.Min(s.Profile.Reservation, hi)
	}
	if ordered {
		bids, err := Ordered(s.Public.Space, s.Profile.Func)
		if err != nil {
			return fmt.Errorf("negotiator for %q: %w", s.Profile.Name, err)
		}
		b.bids = bids
	}
	return nil
}

// u returns the party's own utility of o.
func (b *base) u(o []int) float64 { return b.prof.Func.Utility(o) }

// rational reports whether utility u is at least the reservation value.
func (b *base) rational(u float64) bool { return !b.prof.HasReservation || u >= b.prof.Reservation }

// acNext is the AC_next acceptance rule: accept an offer worth at least the
// own next offer (and the reservation value).
func (b *base) acNext(offer []int, next float64) negotiation.Response {
	if u := b.u(offer); u >= next && b.rational(u) {
		return negotiation.Accept
	}
	return negotiation.Reject
}

// objection names the issue on which text costs the party most, for
// additive utilities: the issue whose value is furthest below its best.
func (b *base) objection(text []int) int {
	a, ok := b.prof.Func.(*utility.Additive)
	if !ok {
		return -1
	}
	best, worst := -1, 0.0
	for i, v := range text {
		top := math.Inf(-1)
		for _, x := range a.Values[i] {
			top = math.Max(top, x)
		}
		if loss := top - a.Values[i][v]; loss > worst {
			best, worst = i, loss
		}
	}
	return best
}
