package negotiation_test

import (
	"errors"
	"testing"

	"parley/negotiation"
	"parley/negotiator"
	"parley/negotiator/negotiatortest"
	"parley/protocol"
)

// badMediator misbehaves in one way.
type badMediator struct {
	panicInit, panicPropose bool
	text                    []int
	learnErr                error
}

func (m *badMediator) Init(*negotiation.Trusted) error {
	if m.panicInit {
		panic("init")
	}
	return nil
}

func (m *badMediator) Propose(*negotiation.State) ([]int, string, error) {
	if m.panicPropose {
		panic("propose")
	}
	return m.text, "because", nil
}

func (m *badMediator) Learn(*negotiation.State, []int, []negotiation.Vote) error { return m.learnErr }

// TestMediatorFaults: a mediator's panics, invalid texts and errors fail
// the session blaming the mediator; a nil text ends it, by the mediator.
func TestMediatorFaults(t *testing.T) {
	cases := []struct {
		name   string
		m      *badMediator
		status negotiation.Status
	}{
		{"panic in init", &badMediator{panicInit: true}, negotiation.Failed},
		{"panic in propose", &badMediator{panicPropose: true}, negotiation.Failed},
		{"text outside the space", &badMediator{text: []int{7}}, negotiation.Failed},
		{"error in learn", &badMediator{text: []int{0}, learnErr: errors.New("lost")}, negotiation.Failed},
		{"nil text", &badMediator{}, negotiation.Ended},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := negotiation.Run(negotiation.Config{
				Scenario: negotiatortest.MustScenario(t, "tiny"), Protocol: protocol.SingleText{}, Mediator: c.m,
				Negotiators: []negotiation.Negotiator{negotiator.Hardliner(), negotiator.Hardliner()}, Trace: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != c.status || res.Party != negotiation.MediatorParty {
				t.Errorf("got %v party %d (%v), want %v by the mediator", res.Status, res.Party, res.Err, c.status)
			}
			if c.status == negotiation.Failed {
				var f *negotiation.Failure
				if !errors.As(res.Err, &f) || f.Party != negotiation.MediatorParty || f.Name != "mediator" {
					t.Errorf("error %v does not blame the mediator", res.Err)
				}
			}
		})
	}
}

func TestStatusNames(t *testing.T) {
	for st, want := range map[negotiation.Status]string{
		negotiation.Running: "running", negotiation.Agreement: "agreement", negotiation.TimedOut: "timed out",
		negotiation.Ended: "ended", negotiation.Failed: "failed", negotiation.Status(9): "status(9)",
	} {
		if st.String() != want {
			t.Errorf("%d: %q, want %q", int(st), st.String(), want)
		}
		if b, _ := st.MarshalText(); string(b) != want {
			t.Errorf("%d: MarshalText %q", int(st), b)
		}
	}
	for r, want := range map[negotiation.Response]string{negotiation.Accept: "accept", negotiation.Reject: "reject", negotiation.End: "end", 7: "response(7)"} {
		if r.String() != want {
			t.Errorf("%d: %q", int(r), r.String())
		}
	}
}
