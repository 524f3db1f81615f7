package live

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// bodyBefore, bodyHashBefore and sealBefore are Body, BodyHash and Seal as
// they were before they saved their copies: the reference of every hash
// chain stored.
func bodyBefore(e *Event) []byte {
	data := json.RawMessage("null")
	if len(e.Data) > 0 {
		var out bytes.Buffer
		if err := json.Compact(&out, e.Data); err != nil {
			data = e.Data
		} else {
			data = out.Bytes()
		}
	}
	b, _ := json.Marshal(struct {
		N    string          `json:"n"`
		Seq  int64           `json:"seq"`
		Time int64           `json:"time"`
		Type string          `json:"type"`
		P    string          `json:"party"`
		To   []string        `json:"to"`
		Data json.RawMessage `json:"data"`
	}{e.NegotiationID, e.Seq, e.Time.UnixNano(), e.Type, e.Party, e.To, data})
	return b
}

func bodyHashBefore(e *Event) string {
	h := sha256.Sum256(bodyBefore(e))
	return hex.EncodeToString(h[:])
}

func chainHashBefore(prev, bodyHash string) string {
	h := sha256.Sum256([]byte(prev + bodyHash))
	return hex.EncodeToString(h[:])
}

// randomEvent draws events with awkward strings (HTML, line separators,
// invalid UTF-8) and data that is spaced, escaped, invalid or missing.
func randomEvent(t *rapid.T) Event {
	str := rapid.OneOf(rapid.SampledFrom([]string{"", "n1", "offer", "A & B", "<b>", "\u2028\u2029", "é", "a\xffb", "\"q\"", "\\", "\x00\x1f"}), rapid.String())
	data := rapid.OneOf(rapid.SampledFrom([]string{"", "null", "{}", `{"outcome":{"price":"low"},"round":1}`, " { \"a\" : [ 1 , 2 ] }\n", `{"s":"<&>\u2028"}`, "{\"s\":\"<&>\u2028\xff\"}",
		`{"a":`, `{"a":1}}`, `{"a":1} {"b":2}`, `"x"`, `1e400`, "\t[ ]\n", `{"t":"2026-01-01T00:00:00Z"}`}), rapid.StringOf(rapid.SampledFrom([]rune(`{}[]":, 01ae\ntrul<&`))))
	e := Event{
		NegotiationID: str.Draw(t, "n"),
		Seq:           rapid.Int64().Draw(t, "seq"),
		Time:          time.Unix(0, rapid.Int64().Draw(t, "time")),
		Type:          str.Draw(t, "type"),
		Party:         str.Draw(t, "party"),
	}
	switch rapid.IntRange(0, 2).Draw(t, "to") {
	case 1:
		e.To = []string{}
	case 2:
		e.To = rapid.SliceOfN(str, 1, 3).Draw(t, "to")
	}
	if d := data.Draw(t, "data"); d != "" || rapid.Bool().Draw(t, "nil") {
		e.Data = json.RawMessage(d)
	}
	return e
}

// TestSealSame: Body, BodyHash, ChainHash and Seal give the bytes and
// hashes they gave before, on every kind of event.
func TestSealSame(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := randomEvent(t)
		prev := rapid.SampledFrom([]string{"", chainHashBefore("", "x"), "short"}).Draw(t, "prev")
		if got, want := e.Body(), bodyBefore(&e); !bytes.Equal(got, want) {
			t.Fatalf("Body of %+v:\ngot  %q\nwant %q", e, got, want)
		}
		if got, want := e.BodyHash(), bodyHashBefore(&e); got != want {
			t.Fatalf("BodyHash of %+v: got %s, want %s", e, got, want)
		}
		if got, want := ChainHash(prev, e.BodyHash()), chainHashBefore(prev, bodyHashBefore(&e)); got != want {
			t.Fatalf("ChainHash: got %s, want %s", got, want)
		}
		e.Seal(prev)
		if want := chainHashBefore(prev, bodyHashBefore(&e)); e.Prev != prev || e.Hash != want {
			t.Fatalf("Seal(%q) of %+v: prev %q, hash %s, want %s", prev, e, e.Prev, e.Hash, want)
		}
	})
}

// TestFingerprintSame: a request's fingerprint is the SHA-256 of method,
// path and body separated by NUL bytes, as stored replies recorded it.
func TestFingerprintSame(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		method, path, body := rapid.String().Draw(t, "method"), rapid.String().Draw(t, "path"), rapid.SliceOf(rapid.Byte()).Draw(t, "body")
		want := sha256.Sum256([]byte(method + "\x00" + path + "\x00" + string(body)))
		if got := Fingerprint(method, path, body); !bytes.Equal(got, want[:]) {
			t.Fatalf("Fingerprint(%q, %q, %q) = %x, want %x", method, path, body, got, want)
		}
	})
}

// TestSealGolden: a chain sealed by the code that wrote the first databases
// keeps its hashes (plain events, spaced data, escaped and non-ASCII
// strings, an event without data).
func TestSealGolden(t *testing.T) {
	const n = "0123456789abcdef0123456789abcdef"
	evs := []Event{
		{NegotiationID: n, Time: time.Unix(1700000000, 123456789).UTC(), Type: EvCreated, Data: json.RawMessage(`{"title":"t","protocol":"saop"}`)},
		{NegotiationID: n, Time: time.Unix(1700000001, 0).UTC(), Type: EvInvited, To: []string{ToConvener}, Data: json.RawMessage(`{"role":"convener","id":"00ff"}`)},
		{NegotiationID: n, Time: time.Unix(1700000002, 5).UTC(), Type: EvOffer, Party: "Buyer", Data: json.RawMessage("{ \"outcome\" : {\"price\":\"<low & high>\"}, \"round\": 1 }")},
		{NegotiationID: n, Time: time.Unix(1700000003, 0).UTC(), Type: EvCritique, Party: "Türkiye", To: []string{"Türkiye", ToMediators}, Data: json.RawMessage(`{"version":1,"blocking":["x"],"comment":"é\u2028"}`)},
		{NegotiationID: n, Time: time.Unix(1700000004, 0).UTC(), Type: EvTimeout},
	}
	want := []string{
		"a5e407a3be40d7fbe562ba4482cacd9f3625d0e389b03b5df1def9868eb8b3a8",
		"45918dcb8e016a40dd26381eb1447463defe535346a384759a27671bcda9b59d",
		"ed7378ededc288c8da6914b7368960c73c6767b120ed31da86a56207c7bd8ec3",
		"b2d1119990e6bfcec5179bcf9f1908d36f0f40f6f74d3228ad3c17fffd433616",
		"3e70ea9bbe0afc56d2a0fa6ba9267f85152ae10169fa16d2d0a4d91dd26842e5",
	}
	prev := ""
	for i := range evs {
		evs[i].Seq = int64(i + 1)
		evs[i].Seal(prev)
		if evs[i].Hash != want[i] {
			t.Errorf("event %d (%s): hash %s, want %s", i+1, evs[i].Type, evs[i].Hash, want[i])
		}
		prev = evs[i].Hash
	}
	links := LinksOf(evs)
	if err := Verify(links); err != nil {
		t.Fatal(err)
	}
}

// TestHashSecretSame: HashSecret is the SHA-256 of the secret, however long.
func TestHashSecretSame(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		secret := rapid.String().Draw(t, "secret")
		if want := sha256.Sum256([]byte(secret)); !bytes.Equal(HashSecret(secret), want[:]) {
			t.Fatalf("HashSecret(%q) = %x, want %x", secret, HashSecret(secret), want)
		}
	})
}
