package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"parley"
	httpapi "parley/http"
	"parley/live"
	"parley/memstore"
)

var actionTypes = []string{live.EvStarted, live.EvStopped, live.EvOffer, live.EvAccept, live.EvCritique, live.EvEnd, live.EvText, live.EvSuggestion}

func seedBodies(f *testing.F) {
	for _, s := range []string{``, `{}`, `null`, `[]`, `{"outcome": {"price": "low", "days": "2"}}`, `{"version": 1, "blocking": ["price"], "comment": "x"}`,
		`{"outcome": 3}`, `{"version": -1}`, `{"comment": "a"} {}`, `{"blocking": [1]}`, "{\"outcome\": {\"price\": \"\\u0000\"}}",
		`{}}`, `{}]`, `{"comment": "x"}]`, `{"outcome": {"price": "low", "days": "2"}}}`} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(4))
	}
}

// FuzzDecodeAction: the action decoder never panics, accepts only one JSON
// value (or an empty body), and refuses with an "invalid" error naming a
// field or the body.
func FuzzDecodeAction(f *testing.F) {
	seedBodies(f)
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		typ := actionTypes[int(k)%len(actionTypes)]
		b, err := httpapi.DecodeAction(typ, data)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("error %v: code %q, want invalid", err, parley.ErrorCode(err))
			}
			if !strings.Contains(err.Error(), ":") {
				t.Fatalf("error %q names no field", err)
			}
			return
		}
		if b == nil {
			t.Fatal("no body and no error")
		}
		if !oneValue(data) {
			t.Fatalf("accepted %q, not one JSON value", data)
		}
	})
}

// FuzzDecodeCreate: the creation decoder never panics and returns either an
// "invalid" error or a valid scenario decoded from one JSON value.
func FuzzDecodeCreate(f *testing.F) {
	for _, s := range []string{`{}`, `{"protocol": "saop", "duration": "1h", "example": "astana"}`,
		`{"protocol": "saop", "duration": "1h", "scenario": ` + tinyScenario + `}`,
		`{"protocol": "saop", "duration": "1h", "scenario": "name: x\nissues: []"}`,
		`{"protocol": "saop", "duration": "1h", "issues": [{"name": "a", "type": "categorical", "values": ["x", "y"]}], "parties": [{"name": "A", "role": "participant"}, {"name": "B", "role": "participant"}]}`,
		`{"protocol": "saop", "duration": "-1h", "example": "../astana"}`,
		`{"protocol": "saop", "duration": "1h", "example": "astana"}}`, `{"protocol": "saop", "duration": "1h", "example": "astana"}]`} {
		f.Add([]byte(s))
	}
	examples := os.DirFS("../examples")
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := httpapi.DecodeCreate(data, examples)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("error %v: code %q, want invalid", err, parley.ErrorCode(err))
			}
			return
		}
		if err := req.Scenario.Validate(); err != nil {
			t.Fatalf("decoded an invalid scenario: %v", err)
		}
		if !oneValue(data) {
			t.Fatalf("accepted %q, not one JSON value", data)
		}
	})
}

// FuzzActions posts fuzzed bodies to every action route of a running
// negotiation: never a 5xx, a body that is not one JSON value is refused,
// and a refusal changes nothing.
func FuzzActions(f *testing.F) {
	seedBodies(f)
	e := start(f, memstore.New())
	id, tk := e.setup(live.SingleText, "1h")
	tk["convener"].Start(context.Background(), id)
	tk["Judge"].Text(context.Background(), id, map[string]string{"price": "low", "days": "1"}, "")
	routes := map[string]string{live.EvOffer: "offers", live.EvAccept: "accept", live.EvCritique: "critiques", live.EvText: "texts", live.EvSuggestion: "suggestions", live.EvEnd: "end", live.EvStopped: "stop", live.EvStarted: "start"}
	who := map[string]string{live.EvText: "Judge", live.EvSuggestion: "Judge", live.EvStopped: "Press", live.EvStarted: "Press"}
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		typ := actionTypes[int(k)%len(actionTypes)]
		if typ == live.EvEnd || typ == live.EvAccept {
			typ = live.EvCritique // keep the negotiation running
		}
		caller := who[typ]
		if caller == "" {
			caller = "Seller"
		}
		before := e.seq(id)
		resp, body := post(t, e.srv.URL+"/v1/negotiations/"+id+"/"+routes[typ], tk[caller].Token, "", string(data))
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		if resp.StatusCode >= 400 && e.seq(id) != before {
			t.Fatalf("status %d, but the log grew", resp.StatusCode)
		}
		if resp.StatusCode < 400 && !oneValue(data) {
			t.Fatalf("status %d for %q, not one JSON value", resp.StatusCode, data)
		}
	})
}

// oneValue reports whether data is one JSON value, or empty (space only),
// as the decoders accept.
func oneValue(data []byte) bool {
	return len(bytes.TrimSpace(data)) == 0 || json.Valid(data)
}
