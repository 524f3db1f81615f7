package live

import (
	"strings"
	"testing"
	"time"

	"parley"
	"parley/scenario"
)

// threeParty is a negotiation of three participants over one issue.
func threeParty(t *testing.T) *State {
	t.Helper()
	sc, err := scenario.Parse([]byte(`name: three
issues: [{name: x, type: categorical, values: [a, b, c]}]
parties:
  - {name: A, role: participant, preferences: {linear: {issues: {x: {weight: 1, values: {a: 1, b: 0.5, c: 0}}}}}}
  - {name: B, role: participant, preferences: {linear: {issues: {x: {weight: 1, values: {a: 0, b: 1, c: 0.5}}}}}}
  - {name: C, role: participant, preferences: {linear: {issues: {x: {weight: 1, values: {a: 0.5, b: 0, c: 1}}}}}}
`), "three.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewState(&Negotiation{ID: "n", Protocol: SAOP, Duration: time.Hour, Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// do decides and applies an action, failing the test on refusal.
func do(t *testing.T, st *State, now time.Time, a Action) []Event {
	t.Helper()
	evs, err := st.Decide(now, a)
	if err != nil {
		t.Fatalf("%s by %s: %v", a.Type, a.Party, err)
	}
	for i := range evs {
		evs[i].Seq = st.Seq + 1
		evs[i].Seal(st.Hash)
		if err := st.Apply(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return evs
}

// created applies the creation event, which the service writes itself.
func created(t *testing.T, st *State, now time.Time) {
	e, err := st.event(now, EvCreated, "", CreatedData{Title: "three"})
	if err != nil {
		t.Fatal(err)
	}
	e.Seq = 1
	e.Seal("")
	if err := st.Apply(&e); err != nil {
		t.Fatal(err)
	}
}

func TestSAOPNeedsEveryOtherAcceptance(t *testing.T) {
	st := threeParty(t)
	now := time.Unix(1700000000, 0)
	created(t, st, now)
	do(t, st, now, Action{Type: EvStarted, Role: Convener})
	do(t, st, now, Action{Type: EvOffer, Role: Participant, Party: "A", Outcome: map[string]string{"x": "b"}})
	// B accepts: one of the two others; no agreement yet.
	if evs := do(t, st, now, Action{Type: EvAccept, Role: Participant, Party: "B"}); len(evs) != 1 {
		t.Fatalf("B's acceptance gave %d events, want 1", len(evs))
	}
	// C makes a counter-offer: the acceptances start over.
	do(t, st, now, Action{Type: EvOffer, Role: Participant, Party: "C", Outcome: map[string]string{"x": "c"}})
	do(t, st, now, Action{Type: EvAccept, Role: Participant, Party: "A"})
	if st.Phase != Running {
		t.Fatalf("phase %s after one of two acceptances", st.Phase)
	}
	// Out of turn, refused without change.
	seq := st.Seq
	if _, err := st.Decide(now, Action{Type: EvAccept, Role: Participant, Party: "C"}); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Fatalf("C accepting its own offer out of turn: %v", err)
	}
	evs := do(t, st, now.Add(time.Second), Action{Type: EvAccept, Role: Participant, Party: "B"})
	if len(evs) != 2 || evs[1].Type != EvAgreement || st.Phase != Agreed || st.Agreement[0] != 2 {
		t.Fatalf("after both others accepted C's offer: %+v, phase %s", evs, st.Phase)
	}
	if len(st.Acceptances) != 3 || st.Acceptances[0].Party != "C" || st.Acceptances[2].Party != "B" {
		t.Fatalf("acceptances %+v, want C, A, B", st.Acceptances)
	}
	if st.Seq != seq+2 {
		t.Fatalf("seq %d, want %d", st.Seq, seq+2)
	}
	// After the deadline nothing is accepted.
	st2 := threeParty(t)
	created(t, st2, now)
	do(t, st2, now, Action{Type: EvStarted, Role: Convener})
	if _, err := st2.Decide(now.Add(2*time.Hour), Action{Type: EvOffer, Role: Participant, Party: "A", Outcome: map[string]string{"x": "a"}}); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Fatalf("offer after the deadline: %v", err)
	}
	if evs, err := st2.Timeout(now.Add(2 * time.Hour)); err != nil || len(evs) != 1 || evs[0].Type != EvTimeout {
		t.Fatalf("timeout events %+v, %v", evs, err)
	}
}

// TestDecideEncodeError: an action whose event data cannot be encoded (a
// time beyond the year 9999) is refused with an error, not a panic, and
// changes nothing.
func TestDecideEncodeError(t *testing.T) {
	late := time.Date(9999, 12, 31, 23, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		a    Action
	}{
		// The deadline, an hour after the start, falls in the year 10000.
		{"start", Action{Type: EvStarted, Role: Convener}},
		{"suggestion", Action{Type: EvSuggestion, Role: Mediator, Suggestion: &OfferData{Acceptances: []Acceptance{{Party: "A", At: late.Add(time.Hour)}}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := threeParty(t)
			created(t, st, late)
			seq, hash, phase := st.Seq, st.Hash, st.Phase
			var evs []Event
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("Decide panicked: %v", p)
					}
				}()
				evs, err = st.Decide(late, c.a)
			}()
			if err == nil || !strings.Contains(err.Error(), "year outside of range") || evs != nil {
				t.Fatalf("Decide: %+v, %v; want no events and the encoding error", evs, err)
			}
			if parley.ErrorCode(err) != parley.EINTERNAL {
				t.Errorf("error code %q, want %q", parley.ErrorCode(err), parley.EINTERNAL)
			}
			if st.Seq != seq || st.Hash != hash || st.Phase != phase {
				t.Fatalf("state changed: seq %d, phase %s; want %d, %s", st.Seq, st.Phase, seq, phase)
			}
		})
	}
	// The smallest case: data that no encoder takes.
	st := threeParty(t)
	if _, err := st.event(late, EvStopped, "", make(chan int)); err == nil {
		t.Fatal("event of a channel: no error")
	}
}
