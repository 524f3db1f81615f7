package live

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"

	"pgregory.net/rapid"

	"parley/scenario"
)

// randomIssue draws a categorical, integer or real issue, with duplicate
// values and real grids finer than float64 now and then.
func randomIssue(t *rapid.T, name string) scenario.Issue {
	is := scenario.Issue{Name: name}
	switch rapid.IntRange(0, 2).Draw(t, "type") {
	case 0:
		is.Type = scenario.Categorical
		is.Values = rapid.SliceOfN(rapid.SampledFrom([]string{"a", "b", "low", "<&>", "é", "\u2028", "1", "x y"}), 1, 5).Draw(t, "values")
	case 1:
		is.Type = scenario.Integer
		lo := float64(rapid.IntRange(-5, 5).Draw(t, "min"))
		hi := lo + float64(rapid.IntRange(0, 5).Draw(t, "span"))
		is.Min, is.Max = &lo, &hi
	default:
		is.Type = scenario.Real
		lo := rapid.SampledFrom([]float64{0, -1, 0.1, 1, 1e-300}).Draw(t, "min")
		hi := lo + rapid.SampledFrom([]float64{0, 1, 0.3, 1e-15, math.SmallestNonzeroFloat64}).Draw(t, "span")
		is.Min, is.Max = &lo, &hi
		is.Steps = rapid.IntRange(0, 20).Draw(t, "steps")
	}
	return is
}

// TestDecidedOffer: an offer Apply takes from Decide's parse leaves the state
// as parsing the event's data does.
func TestDecidedOffer(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := &scenario.Scenario{Name: "random"}
		for i := range rapid.IntRange(1, 3).Draw(t, "issues") {
			sc.Issues = append(sc.Issues, randomIssue(t, fmt.Sprintf("i%d", i)))
		}
		sc.Parties = []scenario.Party{{Name: "A", Role: scenario.Participant}, {Name: "B", Role: scenario.Participant}}
		n := &Negotiation{ID: "n", Protocol: SAOP, Duration: time.Hour, Scenario: sc}
		decider, err := NewState(n)
		if err != nil {
			t.Skip(err)
		}
		folder, _ := NewState(n)
		now := time.Unix(1700000000, 0)
		apply := func(evs []Event) {
			for i := range evs {
				evs[i].Seq = decider.Seq + 1
				evs[i].Seal(decider.Hash)
				folded := evs[i]
				if err := decider.Apply(&evs[i]); err != nil {
					t.Fatal(err)
				}
				if err := folder.Apply(&folded); err != nil {
					t.Fatal(err)
				}
			}
		}
		created, err := decider.event(now, EvCreated, "", CreatedData{Title: "random"})
		if err != nil {
			t.Fatal(err)
		}
		apply([]Event{created})
		evs, err := decider.Decide(now, Action{Type: EvStarted, Role: Convener})
		if err != nil {
			t.Fatal(err)
		}
		apply(evs)
		for range rapid.IntRange(1, 4).Draw(t, "offers") {
			outcome := map[string]string{}
			for i := range sc.Issues {
				is := &sc.Issues[i]
				label := is.Label(rapid.IntRange(0, is.Cardinality()-1).Draw(t, "value"))
				if is.Numeric() {
					x, _ := strconv.ParseFloat(label, 64)
					label = rapid.SampledFrom([]string{label, strconv.FormatFloat(x, 'e', -1, 64), strconv.FormatFloat(x, 'f', 20, 64), label + "0", "+" + label}).Draw(t, "spelling")
				}
				outcome[is.Name] = label
			}
			evs, err := decider.Decide(now, Action{Type: EvOffer, Role: Participant, Party: decider.TurnParty(), Outcome: outcome})
			if err != nil {
				continue // a spelling the issue does not take
			}
			apply(evs)
			if !reflect.DeepEqual(decider.Offer, folder.Offer) {
				t.Fatalf("offer %v: decided %v, parsed %v", outcome, decider.Offer, folder.Offer)
			}
		}
		if !reflect.DeepEqual(decider, folder) {
			t.Fatalf("states differ:\n%+v\n%+v", decider, folder)
		}
	})
}
