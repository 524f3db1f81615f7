package protocol_test

import (
	"fmt"
	"slices"
	"testing"

	"parley/negotiation"
	"parley/negotiator"
	"parley/negotiator/negotiatortest"
	"parley/protocol"
)

// TestAMOPHardlinerVsConceder: in AMOP both post an offer each round, then
// vote. The Conceder's offers are z, y, y and, at t = 1, x; in round 4 it
// accepts A's offer x, the first offer on the table, before its own.
func TestAMOPHardlinerVsConceder(t *testing.T) {
	res, err := negotiation.Run(negotiation.Config{
		Scenario: negotiatortest.MustScenario(t, "tiny"), Protocol: protocol.AMOP{},
		Negotiators: []negotiation.Negotiator{negotiator.Hardliner(), negotiator.Conceder()}, Trace: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	var bOffers []string
	for _, e := range res.Trace {
		if e.Party == 1 && e.Action == negotiation.ActOffer {
			bOffers = append(bOffers, fmt.Sprint(e.Outcome))
		}
	}
	if want := []string{"[2]", "[1]", "[1]", "[0]"}; !slices.Equal(bOffers, want) {
		t.Errorf("conceder offered %v, want %v", bOffers, want)
	}
	last := res.Trace[len(res.Trace)-1]
	if res.Status != negotiation.Agreement || fmt.Sprint(res.Agreement) != "[0]" || res.Rounds != 4 ||
		last.Party != 1 || last.Action != negotiation.ActAccept || last.Proposer != 0 {
		t.Errorf("got %v %v in %d rounds, last action %+v", res.Status, res.Agreement, res.Rounds, last)
	}
}

// TestSingleTextAgreementIsLastAcceptedText: with the random-flip mediator
// and hill-climbing voters the session runs to the deadline and the
// agreement is the last text every party accepted; accepted texts never get
// worse for any hill-climber.
func TestSingleTextAgreementIsLastAcceptedText(t *testing.T) {
	sc := negotiatortest.MustScenario(t, "trilateral")
	res, err := negotiation.Run(negotiation.Config{
		Scenario: sc, Protocol: protocol.SingleText{}, Mediator: &protocol.RandomFlip{},
		Negotiators: []negotiation.Negotiator{&negotiator.HillClimber{}, &negotiator.HillClimber{}, &negotiator.HillClimber{}},
		Trace:       true, Seed: 5, Analyst: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rounds != sc.Deadline.Rounds {
		t.Errorf("ran %d rounds, want all %d", res.Rounds, sc.Deadline.Rounds)
	}
	var lastAccepted []int
	lastRound := -1
	var prevUs []float64
	for i := 0; i < len(res.Trace); {
		text := res.Trace[i]
		if text.Action != negotiation.ActPropose {
			t.Fatalf("event %d: %s, want a proposal", i, text.Action)
		}
		all := true
		for j := 1; j <= 3; j++ {
			if res.Trace[i+j].Action != negotiation.ActAccept {
				all = false
			}
		}
		if all {
			lastAccepted, lastRound = text.Outcome, text.Round
			for p, u := range text.Utilities {
				if prevUs != nil && u < prevUs[p] {
					t.Errorf("round %d: accepted text worse for party %d", text.Round, p)
				}
			}
			prevUs = text.Utilities
		}
		i += 4
	}
	if lastAccepted == nil {
		if res.Status != negotiation.TimedOut {
			t.Errorf("no text accepted but %v", res.Status)
		}
		return
	}
	if res.Status != negotiation.Agreement || !slices.Equal(res.Agreement, lastAccepted) || res.AgreedRound != lastRound {
		t.Errorf("got %v %v in round %d, want agreement on the last accepted text %v of round %d", res.Status, res.Agreement, res.AgreedRound, lastAccepted, lastRound)
	}
}

func TestByName(t *testing.T) {
	for _, n := range protocol.Names() {
		p, m, err := protocol.ByName(n)
		if err != nil || p.Name() != n || p.Mediated() != (m != nil) {
			t.Errorf("%s: %v %v %v", n, p, m, err)
		}
	}
	if _, _, err := protocol.ByName("telepathy"); err == nil {
		t.Error("unknown protocol accepted")
	}
}
