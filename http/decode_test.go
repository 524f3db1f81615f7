package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"parley"
	"parley/live"
)

// decodeActionBefore is DecodeAction as it was before it decoded the body
// with one stream decoder (two passes of decodeBytes): the reference the
// decoder must agree with.
func decodeActionBefore(typ string, data []byte) (*ActionBody, error) {
	// Each of its two passes decoded the whole body with decodeBytes (which
	// this change left as it was).
	decode := decodeBytes
	var raw map[string]json.RawMessage
	if err := decode(data, &raw); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed[typ], k) {
			return nil, parley.Errorf(parley.EINVALID, "%s: unknown field for this action (allowed: %v)", k, allowed[typ])
		}
	}
	var b ActionBody
	if err := decode(data, &b); err != nil {
		return nil, err
	}
	if len(b.Comment) > 4000 {
		return nil, parley.Errorf(parley.EINVALID, "comment: at most 4000 bytes")
	}
	if b.Version < 0 {
		return nil, parley.Errorf(parley.EINVALID, "version: must be positive")
	}
	return &b, nil
}

var decodeTypes = []string{live.EvStarted, live.EvStopped, live.EvOffer, live.EvAccept, live.EvCritique, live.EvEnd, live.EvText, live.EvSuggestion, live.EvRevoked}

// sameDecoding fails t unless DecodeAction and decodeActionBefore agree on
// data: the same body, or errors with the same code and message.
func sameDecoding(t interface{ Fatalf(string, ...any) }, typ string, data []byte) {
	got, gerr := DecodeAction(typ, data)
	want, werr := decodeActionBefore(typ, data)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) || parley.ErrorCode(gerr) != parley.ErrorCode(werr) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s %q:\ngot  %+v, %v\nwant %+v, %v", typ, data, got, gerr, want, werr)
	}
}

// jsonish generates bodies near the action bodies: objects of the action
// fields (and others, in other cases) with values of every JSON type, with
// space, duplicates, trailing data and broken syntax now and then.
func jsonish() *rapid.Generator[string] {
	keys := []string{"outcome", "version", "blocking", "comment", "Outcome", "VERSION", "other", "", "comm\\u0065nt", "a\xffb"}
	var value func(t *rapid.T, depth int) string
	value = func(t *rapid.T, depth int) string {
		leaf := []string{`null`, `true`, `false`, `0`, `-1`, `1`, `2.5`, `1e3`, `99999999999999999999`, `""`, `"low"`, `"<&>"`, `"\u2028"`, "\"\xff\"", `"x\"y"`}
		if depth > 2 || rapid.Bool().Draw(t, "leaf") {
			return rapid.SampledFrom(leaf).Draw(t, "value")
		}
		n := rapid.IntRange(0, 3).Draw(t, "n")
		parts := make([]string, n)
		if rapid.Bool().Draw(t, "array") {
			for i := range parts {
				parts[i] = value(t, depth+1)
			}
			return "[" + strings.Join(parts, ",") + "]"
		}
		for i := range parts {
			parts[i] = `"` + rapid.SampledFrom(keys).Draw(t, "key") + `": ` + value(t, depth+1)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return rapid.Custom(func(t *rapid.T) string {
		body := value(t, 0)
		if rapid.Bool().Draw(t, "object") {
			n := rapid.IntRange(0, 4).Draw(t, "fields")
			parts := make([]string, n)
			for i := range parts {
				parts[i] = `"` + rapid.SampledFrom(keys).Draw(t, "key") + `":` + value(t, 1)
			}
			body = "{" + strings.Join(parts, ",") + "}"
		}
		if rapid.IntRange(0, 4).Draw(t, "space") == 0 {
			body = " \n\t" + body + "\r\n "
		}
		switch rapid.IntRange(0, 9).Draw(t, "tail") {
		case 0:
			body += rapid.SampledFrom([]string{"}", "]", " {}", "x", ",", " 1", "\u00a0"}).Draw(t, "trailer")
		case 1:
			if len(body) > 0 {
				i := rapid.IntRange(0, len(body)-1).Draw(t, "cut")
				body = body[:i]
			}
		}
		return body
	})
}

// TestDecodeActionSame: DecodeAction decodes every body as it did with two
// stream decoders: same fields, same errors.
func TestDecodeActionSame(t *testing.T) {
	for _, s := range []string{``, ` `, "\u00a0", `{}`, `null`, `[]`, `1`, `"x"`, `{}}`, `{}]`, `{} {}`, `{"outcome": {"price": "low", "days": "2"}}`,
		`{"version": 1, "blocking": ["price"], "comment": "x"}`, `{"outcome": 3}`, `{"version": -1}`, `{"version": 1.5}`, `{"comment": "a"} {}`,
		`{"blocking": [1]}`, "{\"outcome\": {\"price\": \"\\u0000\"}}", `{"Outcome": {}}`, `{"outcome": {"a": 1}}`, `{"outcome": null}`,
		`{"comment": "` + strings.Repeat("x", 4001) + `"}`, `{"outcome": {}, "outcome": {"a": "b"}}`, `{"zz": 1, "aa": 2}`, `{"version": 1`,
		`{"comment": "x"}]`, " {} }\n", `null}`, `[]]`, `{"outcome": {"price": "low"}}}`} {
		for _, typ := range decodeTypes {
			sameDecoding(t, typ, []byte(s))
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		sameDecoding(t, rapid.SampledFrom(decodeTypes).Draw(t, "type"), []byte(jsonish().Draw(t, "body")))
	})
}

// TestDecodeTrailing: every body decoder refuses data after the JSON value,
// also when it begins with '}' or ']' (which json.Decoder.More misses),
// with the body's "data after the JSON object" error; JSON space after the
// value is fine.
func TestDecodeTrailing(t *testing.T) {
	decoders := []struct {
		name   string
		body   string // a body the decoder takes
		decode func(data []byte) error
	}{
		{"DecodeAction/stop", `{"comment":"x"}`, func(data []byte) error { _, err := DecodeAction(live.EvStopped, data); return err }},
		{"DecodeAction/offer", `{"outcome":{"price":"low"}}`, func(data []byte) error { _, err := DecodeAction(live.EvOffer, data); return err }},
		{"DecodeCreate", `{"title":"x"}`, func(data []byte) error { _, err := DecodeCreate(data, nil); return err }},
		// DecodeAction's second decoding, for the error message.
		{"raw", `{"comment":"x"}`, func(data []byte) error { var raw map[string]json.RawMessage; return decodeBytes(data, &raw) }},
		{"invite", `{"role":"observer"}`, func(data []byte) error { var b InviteBody; return decodeBytes(data, &b) }},
		{"preferences", `{"reservation":0.5}`, func(data []byte) error { var b PreferencesBody; return decodeBytes(data, &b) }},
	}
	const want = "body: data after the JSON object"
	for _, d := range decoders {
		for _, body := range []string{`{}}`, `{}]`, " {} \n}", "{}\t]\n", `{} {}`, `{} x`, `{}]}`, `null}`, `null]`,
			d.body + `}`, d.body + `]`, d.body + " ]\n", d.body + `,`} {
			err := d.decode([]byte(body))
			var pe *parley.Error
			if !errors.As(err, &pe) || pe.Code != parley.EINVALID || pe.Message != want {
				t.Errorf("%s %q: error %v, want %s %q", d.name, body, err, parley.EINVALID, want)
			}
		}
		// A body of other spaces is no empty body: invalid JSON.
		for _, body := range []string{"\u00a0", " \u0085 ", "\v", "\f\n"} {
			err := d.decode([]byte(body))
			var pe *parley.Error
			if !errors.As(err, &pe) || pe.Code != parley.EINVALID || !strings.HasPrefix(pe.Message, "body: invalid JSON") {
				t.Errorf("%s %q: error %v, want %s body: invalid JSON …", d.name, body, err, parley.EINVALID)
			}
		}
		// Trailing JSON space is no trailing data.
		for _, body := range []string{"{} ", "{}\r\n\t ", d.body + "\n"} {
			if err := d.decode([]byte(body)); err != nil && strings.Contains(err.Error(), want) {
				t.Errorf("%s %q: %v", d.name, body, err)
			}
		}
	}
}

// FuzzDecodeActionSame is TestDecodeActionSame on fuzzed bodies.
func FuzzDecodeActionSame(f *testing.F) {
	for _, s := range []string{``, `{}`, `null`, `{}}`, `{}]`, `{"comment": "x"}]`, `{"outcome": {"price": "low"}}`, `{"version": 1, "blocking": ["price"], "comment": "x"}`, `{"comment": "a"} {}`} {
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		sameDecoding(t, decodeTypes[int(k)%len(decodeTypes)], data)
	})
}

// TestEventsJSONSame: eventsJSON gives json.Marshal's bytes, or fails as
// it does.
func TestEventsJSONSame(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		str := rapid.SampledFrom([]string{"", "n1", "offer", "Buyer", "<b>", "é", "\u2028", "a\"b"})
		var evs []live.Event
		if rapid.IntRange(0, 9).Draw(t, "nil") > 0 {
			evs = []live.Event{}
		}
		for range rapid.IntRange(0, 3).Draw(t, "events") {
			e := live.Event{NegotiationID: str.Draw(t, "n"), Seq: rapid.Int64().Draw(t, "seq"), Type: str.Draw(t, "type"), Party: str.Draw(t, "party"),
				Time: time.Unix(rapid.Int64Range(-1e11, 1e12).Draw(t, "s"), rapid.Int64Range(0, 1e9-1).Draw(t, "ns")).UTC(), Prev: str.Draw(t, "prev"), Hash: str.Draw(t, "hash")}
			if rapid.Bool().Draw(t, "to") {
				e.To = rapid.SliceOfN(str, 0, 2).Draw(t, "to")
			}
			if d := rapid.SampledFrom([]string{"", "{}", `{"outcome":{"price":"low"},"round":1}`, ` { "a" : 1 } `, `{"s":"<"}`, `{`}).Draw(t, "data"); d != "" {
				e.Data = json.RawMessage(d)
			}
			evs = append(evs, e)
		}
		got, gerr := eventsJSON(evs)
		want, werr := json.Marshal(EventsResponse{Events: evs})
		if !bytes.Equal(got, want) || (gerr == nil) != (werr == nil) {
			t.Fatalf("%+v:\ngot  %s, %v\nwant %s, %v", evs, got, gerr, want, werr)
		}
	})
}
