package geniusweb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// member is one key and value of a JSON object, in file order.
type member struct {
	key string
	val json.RawMessage
}

// object decodes a JSON object keeping its keys in order (GeniusWeb gives
// issues in the order of the domain's issuesValues object). Duplicate keys
// are an error.
func object(raw json.RawMessage) ([]member, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return nil, fmt.Errorf("want an object, found %s", kindOf(raw))
	}
	var out []member
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("object key is not a string")
		}
		var val json.RawMessage
		if err := d.Decode(&val); err != nil {
			return nil, fmt.Errorf("%q: %w", key, err)
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		out = append(out, member{key, val})
	}
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	return out, nil
}

// field returns the value of key in members, or nil.
func field(ms []member, keys ...string) (json.RawMessage, string) {
	for _, k := range keys {
		for _, m := range ms {
			if m.key == k {
				return m.val, k
			}
		}
	}
	return nil, ""
}

// isNull reports whether raw is absent or the JSON null.
func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// kindOf names the JSON kind of raw, for error messages.
func kindOf(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// number decodes a finite JSON number (GeniusWeb also writes some numbers
// as strings, which are accepted).
func number(raw json.RawMessage) (float64, error) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, fmt.Errorf("want a number, found %s", kindOf(raw))
		}
		n = json.Number(s)
	}
	x, err := strconv.ParseFloat(string(n), 64)
	if err != nil || x != x || x > 1e300 || x < -1e300 {
		return 0, fmt.Errorf("%q is not a finite number", string(n))
	}
	return x, nil
}

// label decodes an issue value: a string, or a number kept as written.
func label(raw json.RawMessage) (string, bool, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, false, nil
	}
	var n json.Number
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&n); err == nil {
		return string(n), true, nil
	}
	return "", false, fmt.Errorf("want a string or a number, found %s", kindOf(raw))
}
