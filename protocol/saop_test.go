package protocol_test

import (
	"fmt"
	"strings"
	"testing"

	"parley/negotiation"
	"parley/negotiator"
	"parley/negotiator/negotiatortest"
	"parley/protocol"
)

// traceString writes a trace as "round party action outcome" lines.
func traceString(tr []negotiation.Event) string {
	var b strings.Builder
	for _, e := range tr {
		fmt.Fprintf(&b, "%d %d %s %v\n", e.Round, e.Party, e.Action, e.Outcome)
	}
	return b.String()
}

// TestSAOPHardlinerVsConceder checks a short run by hand. Domain: one issue
// {x, y, z}; A values x=1, y=.5, z=0, B the reverse; 4 rounds, so t = r/3.
// A (Hardliner) always aims at 1 and offers x. B (Conceder, e = 2) aims at
// 1 − √t: 1 at t=0 (offers z), .42 at t=1/3 and .18 at t=2/3 (offers y, its
// worst outcome at or above the target), 0 at t=1, where x (worth 0 to B) is
// worth its next offer, so B accepts x in round 3.
func TestSAOPHardlinerVsConceder(t *testing.T) {
	sc := negotiatortest.MustScenario(t, "tiny")
	res, err := negotiation.Run(negotiation.Config{
		Scenario:    sc,
		Protocol:    protocol.SAOP{},
		Negotiators: []negotiation.Negotiator{negotiator.Hardliner(), negotiator.Conceder()},
		Trace:       true,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `0 0 offer [0]
0 1 reject [0]
0 1 offer [2]
1 0 reject [2]
1 0 offer [0]
1 1 reject [0]
1 1 offer [1]
2 0 reject [1]
2 0 offer [0]
2 1 reject [0]
2 1 offer [1]
3 0 reject [1]
3 0 offer [0]
3 1 accept [0]
`
	if got := traceString(res.Trace); got != want {
		t.Errorf("trace:\n%s\nwant:\n%s", got, want)
	}
	if res.Status != negotiation.Agreement || fmt.Sprint(res.Agreement) != "[0]" || res.Rounds != 4 {
		t.Errorf("got %v %v in %d rounds, want agreement [0] in 4", res.Status, res.Agreement, res.Rounds)
	}
}

// TestSAOPHardlinersTimeOut: two hardliners never agree; the session times
// out after exactly the deadline's rounds.
func TestSAOPHardlinersTimeOut(t *testing.T) {
	sc := negotiatortest.MustScenario(t, "tiny")
	res, err := negotiation.Run(negotiation.Config{
		Scenario:    sc,
		Protocol:    protocol.SAOP{},
		Negotiators: []negotiation.Negotiator{negotiator.Hardliner(), negotiator.Hardliner()},
		Rounds:      7,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != negotiation.TimedOut || res.Rounds != 7 || res.Steps != 2*7*2-1 {
		t.Errorf("got %v after %d rounds, %d steps; want timed out after 7 rounds, 27 steps", res.Status, res.Rounds, res.Steps)
	}
}

// TestSAOPMultilateral: with three conceders, agreement needs both other
// parties to accept in turn, and the agreement is the last offer.
func TestSAOPMultilateral(t *testing.T) {
	sc := negotiatortest.MustScenario(t, "trilateral")
	res, err := negotiation.Run(negotiation.Config{
		Scenario:    sc,
		Protocol:    protocol.SAOP{},
		Negotiators: []negotiation.Negotiator{negotiator.Conceder(), negotiator.Conceder(), negotiator.Conceder()},
		Trace:       true,
		Seed:        3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != negotiation.Agreement {
		t.Fatalf("status %v, want agreement", res.Status)
	}
	tr := res.Trace
	last := tr[len(tr)-3:]
	if last[0].Action != negotiation.ActOffer || last[1].Action != negotiation.ActAccept || last[2].Action != negotiation.ActAccept {
		t.Fatalf("last three actions %s", traceString(last))
	}
	if last[1].Party == last[0].Party || last[2].Party == last[0].Party || last[1].Party == last[2].Party {
		t.Errorf("acceptances not by the two other parties: %s", traceString(last))
	}
	if fmt.Sprint(last[0].Outcome) != fmt.Sprint(res.Agreement) {
		t.Errorf("agreement %v is not the last offer %v", res.Agreement, last[0].Outcome)
	}
}
