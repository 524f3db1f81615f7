package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"parley"
	"parley/live"
)

// TestMarshalLine: marshalLine gives json.Marshal's bytes and a newline, or
// an error (never a bare newline) for a value that cannot be encoded.
func TestMarshalLine(t *testing.T) {
	for _, c := range []struct {
		name string
		v    any
		want string // "" for an error
	}{
		{"object", map[string]int{"a": 1}, "{\"a\":1}\n"},
		{"empty", struct{}{}, "{}\n"},
		{"NaN", math.NaN(), ""},
		{"infinity", math.Inf(1), ""},
		{"channel", make(chan int), ""},
		{"response", CreateResponse{Events: nil, ID: "n"}, "{\"id\":\"n\",\"convener_token\":\"\",\"events\":null}\n"},
		{"time past 9999", struct{ T time.Time }{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, ""},
	} {
		b, err := marshalLine(c.v)
		switch {
		case c.want == "" && (err == nil || b != nil):
			t.Errorf("%s: %q, %v; want no body and an error", c.name, b, err)
		case c.want != "" && (err != nil || string(b) != c.want):
			t.Errorf("%s: %q, %v; want %q", c.name, b, err, c.want)
		}
	}
}

// TestRespondEncodeError: an answer that cannot be encoded is sent as 500
// with the JSON body of an internal error, and logged once as an error
// with the route, the negotiation and the encoding error, saying whether
// the action was stored; an answer that can be encoded is sent as is and
// logs nothing.
func TestRespondEncodeError(t *testing.T) {
	for _, c := range []struct {
		name   string
		v      any
		stored bool
	}{
		{"action stored", EventsResponse{Events: []live.Event{{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}}, true},
		{"read only", map[string]any{"nan": math.NaN()}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := &Server{log: slog.New(slog.NewJSONHandler(&logs, nil))}
			cl := &call{route: "POST /v1/negotiations/{id}/stop", id: "n-42"}
			rec := httptest.NewRecorder()
			s.respond(rec, cl, http.StatusCreated, c.v, c.stored)
			if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, Content-Type %q; want 500, application/json", rec.Code, rec.Header().Get("Content-Type"))
			}
			var body ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != parley.EINTERNAL || body.Error.Message != "internal error" {
				t.Fatalf("body %q (%v), want the internal error", rec.Body.String(), err)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if logs.Len() == 0 || len(lines) != 1 {
				t.Fatalf("%d log lines, want 1: %s", len(lines), logs.String())
			}
			var rec1 struct {
				Level, Msg, Route, Negotiation, Err string
				Stored                              bool
			}
			if err := json.Unmarshal([]byte(lines[0]), &rec1); err != nil {
				t.Fatal(err)
			}
			if rec1.Level != "ERROR" || rec1.Route != cl.route || rec1.Negotiation != "n-42" || rec1.Stored != c.stored ||
				!strings.Contains(rec1.Err, "encode reply: json: ") || strings.Contains(rec1.Msg, "stored") != c.stored {
				t.Fatalf("log record %s; want an error with the route, the negotiation, stored %v, the encoding error", lines[0], c.stored)
			}
		})
	}
	var logs bytes.Buffer
	s := &Server{log: slog.New(slog.NewJSONHandler(&logs, nil))}
	rec := httptest.NewRecorder()
	s.respond(rec, &call{}, http.StatusCreated, MeResponse{Negotiation: "n", Role: live.Convener}, true)
	if rec.Code != http.StatusCreated || rec.Body.String() != `{"negotiation":"n","role":"convener"}`+"\n" || logs.Len() != 0 {
		t.Fatalf("status %d, body %q, logs %q; want 201, the answer, no logs", rec.Code, rec.Body.String(), logs.String())
	}
}
