package live

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// randomTime draws times in and out of RFC 3339's years, in UTC and in
// zones with odd offsets.
func randomTime(t *rapid.T) time.Time {
	tm := time.Unix(0, rapid.Int64().Draw(t, "ns"))
	switch rapid.IntRange(0, 4).Draw(t, "when") {
	case 1:
		tm = time.Date(rapid.IntRange(-2, 10001).Draw(t, "year"), 1, 2, 3, 4, 5, rapid.IntRange(0, 999999999).Draw(t, "nsec"), time.UTC)
	case 2:
		tm = tm.In(time.FixedZone("odd", rapid.IntRange(-100000, 100000).Draw(t, "offset")))
	case 3:
		tm = time.Time{}
	}
	return tm
}

// TestAppendJSONSame: AppendJSON appends what json.Marshal gives, and its
// error; Body is what it was.
func TestAppendJSONSame(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := randomEvent(t)
		e.Time = randomTime(t)
		// Mostly the plain strings of real events, for the path without
		// reflection.
		plain := rapid.SampledFrom([]string{"", "n1", "offer", "Buyer", "@convener", "0123abcdef", "a b", "~!#$%'()*+,-./:;=?@[]^_`{|}"})
		str := func(s, label string) string {
			if rapid.IntRange(0, 9).Draw(t, label) < 8 {
				return plain.Draw(t, label)
			}
			return s
		}
		e.NegotiationID, e.Type, e.Party = str(e.NegotiationID, "n"), str(e.Type, "type"), str(e.Party, "party")
		for i := range e.To {
			e.To[i] = str(e.To[i], "to")
		}
		e.Prev = str(rapid.SampledFrom([]string{"<", "é", "\x7f"}).Draw(t, "prev"), "prev")
		e.Hash = str(rapid.SampledFrom([]string{"\"", "\n", "\\"}).Draw(t, "hash"), "hash")
		prefix := []byte(rapid.SampledFrom([]string{"", `{"events":[`}).Draw(t, "prefix"))
		want, werr := json.Marshal(&e)
		got, gerr := e.AppendJSON(bytes.Clone(prefix))
		if (gerr != nil) != (werr != nil) {
			t.Fatalf("%+v: error %v, want %v", e, gerr, werr)
		}
		if werr == nil {
			want = append(bytes.Clone(prefix), want...)
		} else {
			want = prefix
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%+v:\ngot  %s\nwant %s", e, got, want)
		}
	})
}

// TestOfferDataSame: OfferData's encoding is json.Marshal's.
func TestOfferDataSame(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		str := rapid.OneOf(rapid.SampledFrom([]string{"", "price", "low", "nationwide for all", "a-b_c", "1.5", "<", "é", "\"", "\u2028"}), rapid.String())
		d := OfferData{Round: rapid.IntRange(-2, 3).Draw(t, "round"), Version: rapid.IntRange(-1, 1<<40).Draw(t, "version")}
		if rapid.Bool().Draw(t, "comment") {
			d.Comment = str.Draw(t, "comment")
		}
		switch rapid.IntRange(0, 2).Draw(t, "outcome") {
		case 1:
			d.Outcome = map[string]string{}
		case 2:
			d.Outcome = rapid.MapOfN(str, str, 1, 5).Draw(t, "outcome")
		}
		if rapid.IntRange(0, 4).Draw(t, "acceptances") == 0 {
			d.Acceptances = []Acceptance{{Party: str.Draw(t, "party"), At: randomTime(t)}}
		}
		got, gerr := d.marshal()
		want, werr := json.Marshal(d)
		if !bytes.Equal(got, want) || (gerr == nil) != (werr == nil) {
			t.Fatalf("%+v:\ngot  %s, %v\nwant %s, %v", d, got, gerr, want, werr)
		}
	})
}

// TestAppendSSESame: AppendSSE appends the message the SSE stream wrote
// before it existed, fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n") of the
// sequence number, the type and json.Marshal's encoding, and on an encoding
// error json.Marshal's error and nothing.
func TestAppendSSESame(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := randomEvent(t)
		e.Time = randomTime(t)
		if rapid.Bool().Draw(t, "plain") { // the path without reflection
			e.NegotiationID, e.Type, e.Party, e.To = "n1", "offer", "Buyer", nil
			e.Data = json.RawMessage(`{"outcome":{"price":"low"},"round":1}`)
		}
		prefix := []byte(rapid.SampledFrom([]string{"", "id: 1\nevent: offer\ndata: {}\n\n"}).Draw(t, "prefix"))
		got, gerr := e.AppendSSE(bytes.Clone(prefix))
		j, werr := json.Marshal(&e)
		want := prefix
		if werr == nil {
			want = fmt.Appendf(bytes.Clone(prefix), "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, j)
		}
		if (gerr != nil) != (werr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("%+v:\ngot  %q, %v\nwant %q, %v", e, got, gerr, want, werr)
		}
	})
}
