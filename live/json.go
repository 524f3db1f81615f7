package live

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// The events of every action are encoded at least twice (the hashed body,
// the reply): the functions here write the common events without
// reflection, byte for byte as encoding/json does, and leave the others
// (strings to escape, data to escape for HTML, invalid values) to
// encoding/json.

// plainJSON reports whether encoding/json encodes s as s itself between
// quotes: printable ASCII but for quotes, backslashes and the characters it
// escapes for HTML.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// plainStrings reports whether plainJSON holds for every string of ss.
func plainStrings(ss []string) bool {
	for _, s := range ss {
		if !plainJSON(s) {
			return false
		}
	}
	return true
}

// appendStrings appends ss as a JSON array, plainStrings(ss) being true.
func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString appends s quoted, plainJSON(s) being true.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendData appends data as encoding/json encodes a json.RawMessage
// (compacted, HTML characters escaped), or reports false when the data has
// characters to escape (<, >, &, and the 0xE2 that starts U+2028 and
// U+2029) or is not valid JSON.
func appendData(b []byte, data json.RawMessage) ([]byte, bool) {
	if data == nil {
		return append(b, "null"...), true
	}
	for _, c := range data {
		if c == '<' || c == '>' || c == '&' || c == 0xE2 {
			return b, false
		}
	}
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, data); err != nil {
		return b, false
	}
	return buf.Bytes(), true
}

// AppendJSON appends to b the JSON encoding of e, the bytes json.Marshal
// gives.
func (e *Event) AppendJSON(b []byte) ([]byte, error) {
	if out, ok := e.appendJSON(b); ok {
		return out, nil
	}
	j, err := json.Marshal(e)
	if err != nil {
		return b, fmt.Errorf("event %d: %w", e.Seq, err)
	}
	return append(b, j...), nil
}

// AppendSSE appends to b e as one Server-Sent Events message: the sequence
// number as its id, the type as its event name, AppendJSON's encoding as
// its data, and the blank line that ends it. On an encoding error it
// returns b as it was.
func (e *Event) AppendSSE(b []byte) ([]byte, error) {
	start := len(b)
	b = append(b, "id: "...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, "\nevent: "...)
	b = append(b, e.Type...)
	b = append(b, "\ndata: "...)
	b, err := e.AppendJSON(b)
	if err != nil {
		return b[:start], err
	}
	return append(b, "\n\n"...), nil
}

// appendJSON is AppendJSON without reflection, or false when e has strings
// or data to escape, or a time out of RFC 3339's range.
func (e *Event) appendJSON(b []byte) ([]byte, bool) {
	if !plainJSON(e.NegotiationID) || !plainJSON(e.Type) || !plainJSON(e.Party) || !plainJSON(e.Prev) || !plainJSON(e.Hash) || !plainStrings(e.To) {
		return b, false
	}
	start := len(b)
	b = append(b, `{"negotiation":`...)
	b = appendString(b, e.NegotiationID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, `,"time":"`...)
	t, err := e.Time.AppendText(b) // as Time.MarshalJSON
	if err != nil {
		return b[:start], false
	}
	b = append(t, `","type":`...)
	b = appendString(b, e.Type)
	if e.Party != "" {
		b = append(b, `,"party":`...)
		b = appendString(b, e.Party)
	}
	if len(e.To) > 0 {
		b = append(b, `,"to":`...)
		b = appendStrings(b, e.To)
	}
	b = append(b, `,"data":`...)
	b, ok := appendData(b, e.Data)
	if !ok {
		return b[:start], false
	}
	b = append(b, `,"prev":`...)
	b = appendString(b, e.Prev)
	b = append(b, `,"hash":`...)
	b = appendString(b, e.Hash)
	return append(b, '}'), true
}

// appendBody appends Body without reflection, or reports false when e has
// strings or data to escape.
func (e *Event) appendBody(b []byte) ([]byte, bool) {
	if !plainJSON(e.NegotiationID) || !plainJSON(e.Type) || !plainJSON(e.Party) || !plainStrings(e.To) {
		return b, false
	}
	start := len(b)
	b = append(b, `{"n":`...)
	b = appendString(b, e.NegotiationID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, `,"time":`...)
	b = strconv.AppendInt(b, e.Time.UnixNano(), 10)
	b = append(b, `,"type":`...)
	b = appendString(b, e.Type)
	b = append(b, `,"party":`...)
	b = appendString(b, e.Party)
	b = append(b, `,"to":`...)
	if e.To == nil {
		b = append(b, "null"...)
	} else {
		b = appendStrings(b, e.To)
	}
	b = append(b, `,"data":`...)
	data := compactJSON(e.Data)
	b, ok := appendData(b, data)
	if !ok {
		return b[:start], false
	}
	return append(b, '}'), true
}

// marshal returns json.Marshal(d), written without reflection when its
// strings need no escaping and it records no acceptances.
func (d OfferData) marshal() ([]byte, error) {
	plain := plainJSON(d.Comment) && len(d.Acceptances) == 0
	var room [16]string
	keys := room[:0]
	for k, v := range d.Outcome {
		plain = plain && plainJSON(k) && plainJSON(v)
		keys = append(keys, k)
	}
	if !plain {
		return json.Marshal(d)
	}
	slices.Sort(keys) // as encoding/json orders a map's keys
	b := make([]byte, 0, 64+32*len(keys))
	b = append(b, '{')
	if len(keys) > 0 {
		b = append(b, `"outcome":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, d.Outcome[k])
		}
		b = append(b, '}')
	}
	if d.Round != 0 {
		b = appendField(b, `"round":`)
		b = strconv.AppendInt(b, int64(d.Round), 10)
	}
	if d.Version != 0 {
		b = appendField(b, `"version":`)
		b = strconv.AppendInt(b, int64(d.Version), 10)
	}
	if d.Comment != "" {
		b = appendField(b, `"comment":`)
		b = appendString(b, d.Comment)
	}
	return append(b, '}'), nil
}

// appendField appends an object's field name (with its colon) after the
// opening brace or a comma.
func appendField(b []byte, name string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	return append(b, name...)
}
