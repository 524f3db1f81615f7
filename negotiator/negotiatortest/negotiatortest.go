// Package negotiatortest is the conformance suite every negotiator must pass
// under every protocol: offers lie in the outcome space, no party accepts
// below its reservation value, the deadline is never exceeded, the same seed
// gives the same run, and a panicking partner fails the session cleanly
// (blamed, the session consistent). Call Conformance from a test with a
// constructor of the negotiator under test.
package negotiatortest

import (
	"embed"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"parley/negotiation"
	"parley/protocol"
	"parley/scenario"
)

//go:embed testdata/*.yaml
var fixtures embed.FS

// Fixtures lists the names of the built-in scenarios.
func Fixtures() []string { return []string{"tiny", "bilateral", "trilateral", "nonlinear"} }

// Scenario returns a built-in scenario: "tiny" (one issue, three values, two
// opposed parties, 4 rounds), "bilateral" (buyer and seller, 10×10×10,
// reservations and a discount, 100 rounds), "trilateral" (three
// participants, a mediator and an observer, 200 rounds) or "nonlinear"
// (constraint boxes against a spatial ideal point, 60 rounds).
func Scenario(name string) (*scenario.Scenario, error) {
	data, err := fixtures.ReadFile("testdata/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("fixture %q: %w", name, err)
	}
	sc, err := scenario.Parse(data, name+".yaml")
	if err != nil {
		return nil, fmt.Errorf("fixture %q: %w", name, err)
	}
	return sc, nil
}

// MustScenario is Scenario for tests: it fails t on error.
func MustScenario(t testing.TB, name string) *scenario.Scenario {
	t.Helper()
	sc, err := Scenario(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// Panicker is a negotiator that panics at its Nth call to Propose or Respond
// (counting from 1) and otherwise proposes its first outcome and rejects.
type Panicker struct {
	At    int
	calls int
	o     []int
}

// Init implements negotiation.Negotiator.
func (p *Panicker) Init(s *negotiation.Setup) error {
	p.calls, p.o = 0, make([]int, s.Public.Space.Issues())
	return nil
}

func (p *Panicker) tick() {
	p.calls++
	if p.calls == p.At {
		panic("negotiatortest: deliberate panic")
	}
}

// Propose implements negotiation.Negotiator.
func (p *Panicker) Propose(*negotiation.State) ([]int, error) { p.tick(); return p.o, nil }

// Respond implements negotiation.Negotiator.
func (p *Panicker) Respond(*negotiation.State, []int) (negotiation.Response, error) {
	p.tick()
	return negotiation.Reject, nil
}

// Options tune Conformance.
type Options struct {
	// Partner builds the other parties' negotiators; nil uses the
	// negotiator under test for every party (self-play) only.
	Partner func() negotiation.Negotiator
	// Protocols to test; nil means every protocol of protocol.Names.
	Protocols []string
	// Seeds to run; nil means 1 and 2.
	Seeds []uint64
}

// Conformance runs the suite on the negotiator built by make.
func Conformance(t *testing.T, make func() negotiation.Negotiator, opts Options) {
	t.Helper()
	protos := opts.Protocols
	if protos == nil {
		protos = protocol.Names()
	}
	seeds := opts.Seeds
	if seeds == nil {
		seeds = []uint64{1, 2}
	}
	for _, pname := range protos {
		for _, fx := range Fixtures() {
			sc := MustScenario(t, fx)
			n := len(sc.Participants())
			t.Run(pname+"/"+fx, func(t *testing.T) {
				for _, seed := range seeds {
					// Self-play, then the tested negotiator as party 0 with
					// partners, then as the last party.
					lineups := [][]negotiation.Negotiator{fill(n, -1, make, make)}
					if opts.Partner != nil {
						lineups = append(lineups, fill(n, 0, make, opts.Partner), fill(n, n-1, make, opts.Partner))
					}
					for li, lineup := range lineups {
						res := run(t, sc, pname, lineup, seed, 0)
						check(t, sc, res, fmt.Sprintf("seed %d lineup %d", seed, li))
						// Same seed, same run: fresh negotiators.
						again := lineups[li]
						if li == 0 {
							again = fill(n, -1, make, make)
						} else if li == 1 {
							again = fill(n, 0, make, opts.Partner)
						} else {
							again = fill(n, n-1, make, opts.Partner)
						}
						res2 := run(t, sc, pname, again, seed, 0)
						if d := diff(res, res2); d != "" {
							t.Errorf("seed %d lineup %d: same seed, different run: %s", seed, li, d)
						}
					}
				}
				// A wall-time deadline is kept too: the session ends within
				// the deadline plus one call's slack, at t ≤ 1.
				if fx == "bilateral" {
					p, med, err := protocol.ByName(pname)
					if err != nil {
						t.Fatal(err)
					}
					const limit = 20 * time.Millisecond
					negs := fill(n, -1, make, make)
					if opts.Partner != nil {
						negs = fill(n, 0, make, opts.Partner)
					}
					res, err := negotiation.Run(negotiation.Config{Scenario: sc, Protocol: p, Mediator: med, Negotiators: negs, Time: limit})
					if err != nil {
						t.Fatal(err)
					}
					if res.Status == negotiation.Failed {
						t.Errorf("wall-time deadline: session failed: %v", res.Err)
					}
					// Generous slack: the suite runs in parallel on busy
					// machines; an engine ignoring the deadline would run
					// its rounds (none set) forever.
					if res.Elapsed > limit+time.Second || res.T > 1 {
						t.Errorf("wall-time deadline %v: ran %v, ended at t=%v", limit, res.Elapsed, res.T)
					}
				}
				// A panicking partner fails the session cleanly.
				for _, at := range []int{1, 2, 5} {
					lineup := fill(n, -1, make, make)
					victim := n - 1
					pk := &Panicker{At: at}
					lineup[victim] = pk
					res := run(t, sc, pname, lineup, 7, 0)
					if pk.calls < at && res.Status != negotiation.Failed {
						// The session ended before the panicking call.
						continue
					}
					if res.Status != negotiation.Failed || res.Party != victim {
						t.Errorf("panicker at call %d: status %v party %d (err %v), want failed blaming %d", at, res.Status, res.Party, res.Err, victim)
						continue
					}
					var pe *negotiation.PanicError
					if !errors.As(res.Err, &pe) {
						t.Errorf("panicker at call %d: error %v is not a PanicError", at, res.Err)
					}
					if res.Agreement != nil {
						t.Errorf("panicker at call %d: failed session has an agreement", at)
					}
				}
			})
		}
	}
}

func fill(n, at int, tested, partner func() negotiation.Negotiator) []negotiation.Negotiator {
	l := make([]negotiation.Negotiator, n)
	for i := range l {
		if at < 0 || i == at {
			l[i] = tested()
		} else {
			l[i] = partner()
		}
	}
	return l
}

func run(t *testing.T, sc *scenario.Scenario, pname string, negs []negotiation.Negotiator, seed uint64, rounds int) *negotiation.Result {
	t.Helper()
	p, med, err := protocol.ByName(pname)
	if err != nil {
		t.Fatal(err)
	}
	res, err := negotiation.Run(negotiation.Config{
		Scenario: sc, Protocol: p, Mediator: med, Negotiators: negs,
		Seed: seed, Rounds: rounds, Trace: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// check verifies the invariants of one finished run.
func check(t *testing.T, sc *scenario.Scenario, res *negotiation.Result, where string) {
	t.Helper()
	if res.Status == negotiation.Failed {
		t.Errorf("%s: session failed: party %d: %v", where, res.Party, res.Err)
		return
	}
	parts := sc.Participants()
	rounds := sc.Deadline.Rounds
	if res.Rounds > rounds {
		t.Errorf("%s: %d rounds played, deadline %d", where, res.Rounds, rounds)
	}
	if res.T < 0 || res.T > 1 {
		t.Errorf("%s: relative time %v outside [0, 1]", where, res.T)
	}
	cards := make([]int, len(sc.Issues))
	for i := range sc.Issues {
		cards[i] = sc.Issues[i].Cardinality()
	}
	inSpace := func(o []int) bool {
		if len(o) != len(cards) {
			return false
		}
		for i, v := range o {
			if v < 0 || v >= cards[i] {
				return false
			}
		}
		return true
	}
	for _, e := range res.Trace {
		if e.Round >= rounds {
			t.Errorf("%s: action in round %d, deadline %d", where, e.Round, rounds)
		}
		if e.T < 0 || e.T > 1 {
			t.Errorf("%s: action at relative time %v", where, e.T)
		}
		if e.Outcome != nil && !inSpace(e.Outcome) {
			t.Errorf("%s: %s of %v, not an outcome", where, e.Action, e.Outcome)
		}
		if e.Action == negotiation.ActAccept {
			p := sc.Parties[parts[e.Party]]
			if p.Reservation != nil && e.Utility < *p.Reservation-1e-12 {
				t.Errorf("%s: %s accepted %v worth %v, below its reservation %v", where, p.Name, e.Outcome, e.Utility, *p.Reservation)
			}
		}
	}
	if res.Status == negotiation.Agreement {
		if !inSpace(res.Agreement) {
			t.Errorf("%s: agreement %v is not an outcome", where, res.Agreement)
		}
	} else if res.Agreement != nil {
		t.Errorf("%s: status %v with an agreement", where, res.Status)
	}
}

// diff compares two runs action by action.
func diff(a, b *negotiation.Result) string {
	if a.Status != b.Status || a.Rounds != b.Rounds || a.Steps != b.Steps || fmt.Sprint(a.Agreement) != fmt.Sprint(b.Agreement) {
		return fmt.Sprintf("%v %v in %d rounds vs %v %v in %d rounds", a.Status, a.Agreement, a.Rounds, b.Status, b.Agreement, b.Rounds)
	}
	if len(a.Trace) != len(b.Trace) {
		return fmt.Sprintf("%d vs %d actions", len(a.Trace), len(b.Trace))
	}
	for i := range a.Trace {
		x, y := a.Trace[i], b.Trace[i]
		same := x.Round == y.Round && x.Party == y.Party && x.Action == y.Action &&
			fmt.Sprint(x.Outcome) == fmt.Sprint(y.Outcome) && x.Explanation == y.Explanation &&
			(x.Utility == y.Utility || (math.IsNaN(x.Utility) && math.IsNaN(y.Utility)))
		if !same {
			return fmt.Sprintf("action %d: %+v vs %+v", i, x, y)
		}
	}
	return ""
}
