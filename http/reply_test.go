package httpapi

import (
	"math"
	"testing"
	"time"
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
