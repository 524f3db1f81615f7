package protocol_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"parley/analysis"
	"parley/negotiation"
	"parley/negotiator"
	"parley/negotiator/negotiatortest"
	"parley/protocol"
	"parley/scenario"
	"parley/utility"
)

// randomScenario draws a scenario of 1–3 categorical issues with 2–4 values
// and 2–4 participants with linear preferences and, for most, a
// reservation value.
func randomScenario(t *rapid.T) *scenario.Scenario {
	sc := &scenario.Scenario{Name: "random", Deadline: &scenario.Deadline{Rounds: 30}}
	ni := rapid.IntRange(1, 3).Draw(t, "issues")
	for i := 0; i < ni; i++ {
		nv := rapid.IntRange(2, 4).Draw(t, "values")
		is := scenario.Issue{Name: fmt.Sprintf("i%d", i), Type: scenario.Categorical}
		for v := 0; v < nv; v++ {
			is.Values = append(is.Values, fmt.Sprintf("v%d", v))
		}
		sc.Issues = append(sc.Issues, is)
	}
	np := rapid.IntRange(2, 4).Draw(t, "parties")
	for p := 0; p < np; p++ {
		lin := &scenario.Linear{Issues: map[string]scenario.LinearIssue{}}
		for _, is := range sc.Issues {
			li := scenario.LinearIssue{Weight: rapid.Float64Range(0, 1).Draw(t, "w"), Values: map[string]float64{}}
			for _, v := range is.Values {
				li.Values[v] = rapid.Float64Range(0, 1).Draw(t, "u")
			}
			lin.Issues[is.Name] = li
		}
		party := scenario.Party{Name: fmt.Sprintf("P%d", p), Role: scenario.Participant, Preferences: &scenario.Preferences{Linear: lin}}
		if rapid.IntRange(0, 4).Draw(t, "hasres") > 0 {
			r := rapid.Float64Range(0, 1.5).Draw(t, "res")
			party.Reservation = &r
		}
		sc.Parties = append(sc.Parties, party)
	}
	sc.Parties = append(sc.Parties, scenario.Party{Name: "Broker", Role: scenario.Mediator})
	if err := sc.Validate(); err != nil {
		t.Fatalf("generated scenario invalid: %v", err)
	}
	return sc
}

// fataler is what runBroker needs of testing.T and rapid.T.
type fataler interface{ Fatal(args ...any) }

func runBroker(t fataler, sc *scenario.Scenario, voter string, rule protocol.Rule) *negotiation.Result {
	var negs []negotiation.Negotiator
	for range sc.Participants() {
		n, err := negotiator.New(voter)
		if err != nil {
			t.Fatal(err)
		}
		negs = append(negs, n)
	}
	res, err := negotiation.Run(negotiation.Config{
		Scenario: sc, Protocol: protocol.SingleText{Broker: true}, Mediator: &protocol.Broker{Rule: rule},
		Negotiators: negs, Trace: true, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestBrokerProperties: over random scenarios and every rule, the broker
// never proposes an outcome below some participant's reservation value;
// with truthful voters, and with threshold voters by the deadline, it
// reaches an agreement exactly when the zone of agreement is not empty.
func TestBrokerProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := randomScenario(t)
		rule := rapid.SampledFrom(protocol.Rules()).Draw(t, "rule")
		voter := rapid.SampledFrom([]string{"truthful", "threshold"}).Draw(t, "voter")
		an, err := analysis.Analyze(sc, analysis.Options{})
		if err != nil {
			t.Fatal(err)
		}
		profiles, err := utility.Participants(sc)
		if err != nil {
			t.Fatal(err)
		}
		res := runBroker(t, sc, voter, rule)
		for _, e := range res.Trace {
			if e.Action != negotiation.ActPropose {
				continue
			}
			for i, p := range profiles {
				if p.HasReservation && p.Func.Utility(e.Outcome) < p.Reservation {
					t.Fatalf("round %d: proposal %v gives %s %v, below its reservation %v", e.Round, e.Outcome, p.Name, p.Func.Utility(e.Outcome), p.Reservation)
				}
				_ = i
			}
		}
		if an.Rational > 0 {
			if res.Status != negotiation.Agreement {
				t.Fatalf("%d rational outcomes but %v (%v)", an.Rational, res.Status, res.Err)
			}
			if voter == "truthful" && res.Rounds != 1 {
				t.Fatalf("truthful voters took %d rounds, want 1", res.Rounds)
			}
		} else if res.Status != negotiation.Ended || res.Party != negotiation.MediatorParty {
			t.Fatalf("no rational outcome but %v by %d", res.Status, res.Party)
		}
	})
}

// TestBrokerFirstProposalIsFairPoint: the broker's first package is a Nash
// point of the analysis (and likewise for the other rules' points).
func TestBrokerFirstProposalIsFairPoint(t *testing.T) {
	sc := negotiatortest.MustScenario(t, "trilateral")
	an, err := analysis.Analyze(sc, analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for rule, pts := range map[protocol.Rule][]analysis.Point{protocol.Nash: an.Nash, protocol.MaxWelfare: an.MaxWelfare, protocol.Egalitarian: an.Egalitarian} {
		res := runBroker(t, sc, "threshold", rule)
		first := res.Trace[0].Outcome
		ok := false
		for _, p := range pts {
			if slices.Equal(p.Outcome, first) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s: first proposal %v is not among the analysis points %v", rule, first, pts)
		}
	}
}

// TestBrokerExplanationsRevealNoNumbers: doubling one participant's weights
// and reservation changes none of its choices (or the Nash rule's), so if
// the explanations carried any of its private numbers they would change.
// They must be identical, and never print a reservation value.
func TestBrokerExplanationsRevealNoNumbers(t *testing.T) {
	sc := negotiatortest.MustScenario(t, "trilateral")
	base := runBroker(t, sc, "threshold", protocol.Nash)
	if base.Status != negotiation.Agreement || len(base.Explanations) < 2 {
		t.Fatalf("want a run with several proposals, got %v after %d", base.Status, len(base.Explanations))
	}
	for pi := range sc.Participants() {
		sc2 := negotiatortest.MustScenario(t, "trilateral")
		p := &sc2.Parties[sc2.Participants()[pi]]
		for name, li := range p.Preferences.Linear.Issues {
			li.Weight *= 2
			p.Preferences.Linear.Issues[name] = li
		}
		r := *p.Reservation * 2
		p.Reservation = &r
		scaled := runBroker(t, sc2, "threshold", protocol.Nash)
		if !slices.Equal(base.Explanations, scaled.Explanations) {
			t.Errorf("scaling %s's numbers changed the explanations", p.Name)
		}
	}
	for _, e := range base.Explanations {
		for _, p := range sc.Parties {
			if p.Reservation != nil && strings.Contains(e, fmt.Sprint(*p.Reservation)) {
				t.Errorf("explanation shows %s's reservation %v: %s", p.Name, *p.Reservation, e)
			}
		}
	}
}

func TestBrokerUnknownRule(t *testing.T) {
	sc := negotiatortest.MustScenario(t, "trilateral")
	res, err := negotiation.Run(negotiation.Config{
		Scenario: sc, Protocol: protocol.SingleText{Broker: true}, Mediator: &protocol.Broker{Rule: "coin"},
		Negotiators: []negotiation.Negotiator{&negotiator.Truthful{}, &negotiator.Truthful{}, &negotiator.Truthful{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != negotiation.Failed || res.Party != negotiation.MediatorParty {
		t.Errorf("unknown rule: %v by %d, want failed blaming the mediator", res.Status, res.Party)
	}
}

// TestBrokerNarrows: after a package is turned down, the next one gives
// every party that turned it down strictly more — unless no package can, in
// which case the broker says it returns to the fairest package.
func TestBrokerNarrows(t *testing.T) {
	sc := negotiatortest.MustScenario(t, "trilateral")
	res, err := negotiation.Run(negotiation.Config{
		Scenario: sc, Protocol: protocol.SingleText{Broker: true}, Mediator: &protocol.Broker{},
		Negotiators: []negotiation.Negotiator{&negotiator.Threshold{}, &negotiator.Threshold{E: 0.3}, &negotiator.Truthful{}},
		Trace:       true, Analyst: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	type proposal struct {
		us       []float64
		rejected []int
		expl     string
	}
	var ps []proposal
	for _, e := range res.Trace {
		switch e.Action {
		case negotiation.ActPropose:
			ps = append(ps, proposal{us: e.Utilities, expl: e.Explanation})
		case negotiation.ActReject:
			ps[len(ps)-1].rejected = append(ps[len(ps)-1].rejected, e.Party)
		}
	}
	if len(ps) < 3 {
		t.Fatalf("only %d proposals; the test needs a longer run", len(ps))
	}
	narrowed := 0
	for k := 1; k < len(ps); k++ {
		if strings.Contains(ps[k].expl, "returns to the fairest") {
			continue
		}
		for _, i := range ps[k-1].rejected {
			if ps[k].us[i] <= ps[k-1].us[i] {
				t.Errorf("proposal %d gives party %d %v, no more than the %v it turned down", k+1, i, ps[k].us[i], ps[k-1].us[i])
			}
		}
		narrowed++
	}
	if narrowed == 0 {
		t.Error("the broker never narrowed its search")
	}
	if res.Status != negotiation.Agreement {
		t.Errorf("status %v", res.Status)
	}
}
