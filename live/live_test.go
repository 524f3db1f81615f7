package live

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func chain(n int) []Event {
	var evs []Event
	prev := ""
	for i := 1; i <= n; i++ {
		e := Event{NegotiationID: "n", Seq: int64(i), Time: time.Unix(1700000000, int64(i)).UTC(), Type: EvOffer, Party: "A",
			Data: json.RawMessage(`{"outcome": {"x": "1"}}`)}
		e.Seal(prev)
		prev = e.Hash
		evs = append(evs, e)
	}
	return evs
}

func TestChainDetectsTampering(t *testing.T) {
	if err := Verify(LinksOf(chain(5))); err != nil {
		t.Fatalf("intact chain: %v", err)
	}
	// Whitespace in the stored JSON does not change the hash.
	evs := chain(5)
	evs[2].Data = json.RawMessage(`{ "outcome" : { "x" : "1" } }`)
	if err := Verify(LinksOf(evs)); err != nil {
		t.Fatalf("reformatted JSON: %v", err)
	}
	for name, tc := range map[string]struct {
		change func(evs []Event) []Event
		want   string
	}{
		"data":     {func(e []Event) []Event { e[2].Data = json.RawMessage(`{"outcome": {"x": "2"}}`); return e }, "event 3:"},
		"party":    {func(e []Event) []Event { e[1].Party = "B"; return e }, "event 2:"},
		"audience": {func(e []Event) []Event { e[3].To = []string{"A"}; return e }, "event 4:"},
		"time":     {func(e []Event) []Event { e[0].Time = e[0].Time.Add(time.Nanosecond); return e }, "event 1:"},
		"deleted":  {func(e []Event) []Event { return append(e[:2], e[3:]...) }, "event 3: sequence number 4"},
		"resealed": {func(e []Event) []Event { e[2].Party = "B"; e[2].Seal(e[2].Prev); return e }, "event 4: prev"},
	} {
		err := Verify(LinksOf(tc.change(chain(5))))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %q", name, err, tc.want)
		}
	}
	// A verifier without a body checks the link through its body hash.
	links := LinksOf(chain(3))
	links[1].Event = nil
	if err := Verify(links); err != nil {
		t.Fatalf("hidden body: %v", err)
	}
	links[1].BodyHash = strings.Repeat("0", 64)
	if Verify(links) == nil {
		t.Fatal("a wrong body hash passed")
	}
}

func TestVisibility(t *testing.T) {
	pub := Event{}
	crit := Event{To: []string{"A", ToMediators}}
	inv := Event{To: []string{ToConvener}}
	prefs := Event{To: []string{"A"}}
	for _, c := range []struct {
		e     Event
		role  Role
		party string
		want  bool
	}{
		{pub, Observer, "", true}, {pub, Participant, "B", true},
		{crit, Participant, "A", true}, {crit, Participant, "B", false}, {crit, Mediator, "M", true}, {crit, Observer, "A", false}, {crit, Convener, "", false},
		{inv, Convener, "", true}, {inv, Mediator, "M", false}, {inv, Participant, "A", false},
		{prefs, Participant, "A", true}, {prefs, Mediator, "M", false}, {prefs, Observer, "A", false}, {prefs, Convener, "", false},
	} {
		if got := c.e.VisibleTo(c.role, c.party); got != c.want {
			t.Errorf("event to %v, %s %q: visible %v, want %v", c.e.To, c.role, c.party, got, c.want)
		}
	}
}

func TestSecrets(t *testing.T) {
	s1, h1, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	s2, _, _ := NewSecret()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s1, "prl_"))
	if err != nil || len(raw)*8 < 128 {
		t.Fatalf("secret %q carries %d bits, want at least 128", s1, len(raw)*8)
	}
	if s1 == s2 {
		t.Fatal("two secrets are equal")
	}
	tok := Token{Hash: h1}
	if !tok.Matches(s1) || tok.Matches(s2) || tok.Matches("") {
		t.Fatal("Matches accepts the wrong secret or refuses the right one")
	}
	if strings.Contains(string(h1), s1) {
		t.Fatal("the hash holds the secret")
	}
}
