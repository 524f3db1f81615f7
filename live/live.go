// Package live holds the domain types of live negotiations run by `parley
// serve`: negotiations, roles, invitation tokens, the hash-chained event log
// and the state machine that decides which actions are valid. It knows
// nothing of storage or HTTP: package store persists its values, package
// service runs them, package httpapi serves them.
//
// A negotiation is event-sourced: its state is the fold of its events, so a
// server that restarts rebuilds every negotiation by replaying its log.
package live

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"parley"
	"parley/scenario"
)

// Role is what a token may do in one negotiation.
type Role string

// Roles.
const (
	// Convener sets a negotiation up, invites, starts and stops it.
	Convener Role = "convener"
	// Participant negotiates for one party and sees only its own preferences.
	Participant Role = "participant"
	// Mediator drafts single texts and asks the broker for suggestions.
	Mediator Role = "mediator"
	// Observer sees the public record only.
	Observer Role = "observer"
)

// Roles lists every role.
func Roles() []Role { return []Role{Convener, Participant, Mediator, Observer} }

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case Convener, Participant, Mediator, Observer:
		return true
	}
	return false
}

// Protocols a live negotiation can run.
const (
	// SAOP is the stacked alternating offers protocol: participants take
	// turns; each accepts the standing offer or makes a new one.
	SAOP = "saop"
	// SingleText is the single negotiating text: a human mediator drafts
	// versions, participants accept or critique each one.
	SingleText = "singletext"
	// Broker is the single text drafted by Parley's automatic broker.
	Broker = "broker"
)

// Protocols lists the live protocols.
func Protocols() []string { return []string{SAOP, SingleText, Broker} }

// Negotiation is a live negotiation's fixed setup. Its Scenario may hold
// participants' confidential preferences: never serve it whole.
type Negotiation struct {
	// ID is the negotiation's identifier (random, URL-safe).
	ID string `json:"id"`
	// Title is a human-readable name.
	Title string `json:"title"`
	// Protocol is SAOP, SingleText or Broker.
	Protocol string `json:"protocol"`
	// Rule is the broker's fairness rule (Broker protocol and suggestions).
	Rule string `json:"rule,omitempty"`
	// Duration is the wall-clock time from start to deadline.
	Duration time.Duration `json:"duration"`
	// TurnLimit is the SAOP per-turn time limit (0: none): a participant
	// that does not act within it loses its turn.
	TurnLimit time.Duration `json:"turn_limit,omitempty"`
	// Scenario is the negotiation's scenario, preferences included.
	Scenario *scenario.Scenario `json:"scenario"`
	// Created is when the negotiation was created: the server's clock,
	// within the range of CheckTime (the stores keep it in Unix
	// nanoseconds).
	Created time.Time `json:"created"`
}

// Participants returns the names of the scenario's participants in order.
func (n *Negotiation) Participants() []string {
	var out []string
	for _, i := range n.Scenario.Participants() {
		out = append(out, n.Scenario.Parties[i].Name)
	}
	return out
}

// Party returns the scenario party with the given name, or nil.
func (n *Negotiation) Party(name string) *scenario.Party { return n.Scenario.Party(name) }

// MediatorName is the name the mediator acts under: the scenario's first
// mediator party, or "broker" when it has none.
func (n *Negotiation) MediatorName() string {
	for i := range n.Scenario.Parties {
		if n.Scenario.Parties[i].Role == scenario.Mediator {
			return n.Scenario.Parties[i].Name
		}
	}
	return "broker"
}

// Token is an invitation: the hash of a secret bound to one role, one
// party and one negotiation. The secret itself is never stored.
type Token struct {
	// Hash is the SHA-256 of the secret.
	Hash []byte
	// NegotiationID is the negotiation the token belongs to.
	NegotiationID string
	// Role is what the token may do.
	Role Role
	// Party is the party the token acts for ("" for the convener).
	Party string
	// Created is when the token was issued: the server's clock, within the
	// range of CheckTime.
	Created time.Time
	// Invitation caches InvitationID(Hash) (the service fills it; stores
	// neither keep nor fill it). Use InvitationID.
	Invitation string
}

// InvitationID returns the public identifier of the token's invitation.
func (t *Token) InvitationID() string {
	if t.Invitation != "" {
		return t.Invitation
	}
	return InvitationID(t.Hash)
}

// tokenPrefix marks Parley tokens so that they are recognisable in logs and
// secret scanners.
const tokenPrefix = "prl_"

// NewSecret returns a fresh token secret (256 random bits from crypto/rand)
// and its hash.
func NewSecret() (secret string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("token: read random bits: %w", err)
	}
	secret = tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret), nil
}

// HashSecret returns the SHA-256 of a token secret: the form stored.
func HashSecret(secret string) []byte {
	var room [64]byte // a token's secret is copied here, not to the heap
	h := sha256.Sum256(append(room[:0], secret...))
	return h[:]
}

// InvitationID returns the public identifier of the invitation whose token
// has the given hash: 16 hex digits of a SHA-256 of the hash, which names
// the invitation without revealing anything usable to authenticate.
func InvitationID(hash []byte) string {
	h := sha256.Sum256(append([]byte("parley invitation\x00"), hash...))
	return hex.EncodeToString(h[:8])
}

// Matches reports in constant time whether secret is the token's secret.
func (t *Token) Matches(secret string) bool {
	return subtle.ConstantTimeCompare(HashSecret(secret), t.Hash) == 1
}

// NewID returns a random identifier of 16 bytes, hex-encoded.
func NewID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("id: read random bits: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Audience markers in Event.To: besides party names, these stand for every
// token of a role.
const (
	ToConvener  = "@convener"
	ToMediators = "@mediator"
)

// Event is one entry of a negotiation's log. Events are hash-chained: Hash
// is SHA-256(Prev ‖ BodyHash), where BodyHash is the SHA-256 of the event's
// canonical body (see Body).
type Event struct {
	// NegotiationID is the negotiation the event belongs to.
	NegotiationID string `json:"negotiation"`
	// Seq numbers the events of a negotiation from 1, without gaps.
	Seq int64 `json:"seq"`
	// Time is when the event happened (nanosecond precision, UTC): the
	// server's clock, within the range of CheckTime, since Body and the
	// stores hold it in Unix nanoseconds.
	Time time.Time `json:"time"`
	// Type says what happened, e.g. "offer" (see the Ev constants).
	Type string `json:"type"`
	// Party is who acted: a party name, the mediator's name, or "" for the
	// convener and the server.
	Party string `json:"party,omitempty"`
	// To limits who may see the event: party names and the ToConvener and
	// ToMediators markers. Empty means public.
	To []string `json:"to,omitempty"`
	// Data is the event's payload, a JSON object whose shape depends on Type.
	Data json.RawMessage `json:"data"`
	// Prev is the hash of the previous event ("" for the first).
	Prev string `json:"prev"`
	// Hash chains this event to Prev.
	Hash string `json:"hash"`
}

// Public reports whether every role may see the event.
func (e *Event) Public() bool { return len(e.To) == 0 }

// VisibleTo reports whether a token of role acting for party may see e.
func (e *Event) VisibleTo(role Role, party string) bool {
	if len(e.To) == 0 {
		return true
	}
	for _, to := range e.To {
		switch {
		case to == ToConvener && role == Convener:
			return true
		case to == ToMediators && role == Mediator:
			return true
		case party != "" && to == party && (role == Participant || role == Mediator):
			return true
		}
	}
	return false
}

// minTime and maxTime are the first and last times whose Unix nanoseconds
// an int64 holds: 1677-09-21 and 2262-04-11.
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// CheckTime returns nil when t lies within 1677-09-21 to 2262-04-11 UTC,
// the times whose Unix nanoseconds (time.Time.UnixNano) are defined, and
// otherwise an EINVALID error naming the field. The hash of an event
// (Body) and the stores' time and created columns hold times in Unix
// nanoseconds, so a time from outside (a file, another server) is checked
// with CheckTime where it enters; the times the server takes from its own
// clock are assumed to be in range.
func CheckTime(field string, t time.Time) error {
	if t.Before(minTime) || t.After(maxTime) {
		return parley.Errorf(parley.EINVALID, "%s: %s is outside %s to %s, the times held in Unix nanoseconds",
			field, t.Format(time.RFC3339Nano), minTime.Format(time.DateOnly), maxTime.Format(time.DateOnly))
	}
	return nil
}

// Body returns the canonical bytes the event's hash covers: every field but
// Prev and Hash, as JSON with the time in Unix nanoseconds (meaningless for
// a time CheckTime refuses).
func (e *Event) Body() []byte {
	if b, ok := e.appendBody(make([]byte, 0, 128+len(e.Data))); ok {
		return b
	}
	b, _ := json.Marshal(struct {
		N    string          `json:"n"`
		Seq  int64           `json:"seq"`
		Time int64           `json:"time"`
		Type string          `json:"type"`
		P    string          `json:"party"`
		To   []string        `json:"to"`
		Data json.RawMessage `json:"data"`
	}{e.NegotiationID, e.Seq, e.Time.UnixNano(), e.Type, e.Party, e.To, compactJSON(e.Data)})
	return b
}

// compactJSON returns the data of an event body: "null" for none. The
// JSON encoder compacts a json.RawMessage itself (without insignificant
// space, so that a store that normalises JSON does not change the hash);
// invalid JSON fails the encoding, and the body is empty (and fails the
// chain check).
func compactJSON(data json.RawMessage) json.RawMessage {
	if len(data) == 0 {
		return json.RawMessage("null")
	}
	return data
}

// BodyHash returns the hex SHA-256 of Body.
func (e *Event) BodyHash() string {
	h := sha256.Sum256(e.Body())
	return hex.EncodeToString(h[:])
}

// ChainHash returns the hash of an event with the given previous hash and
// body hash.
func ChainHash(prev, bodyHash string) string {
	var buf [4 * sha256.Size]byte // room for two hex hashes
	h := sha256.Sum256(append(append(buf[:0], prev...), bodyHash...))
	return hex.EncodeToString(h[:])
}

// Seal sets e's Prev and Hash to follow prev: Hash is ChainHash(prev,
// e.BodyHash()).
func (e *Event) Seal(prev string) {
	var room [512]byte
	b, ok := e.appendBody(room[:0])
	if !ok {
		b = e.Body()
	}
	body := sha256.Sum256(b)
	var bodyHash [2 * sha256.Size]byte
	hex.Encode(bodyHash[:], body[:])
	var buf [4 * sha256.Size]byte
	h := sha256.Sum256(append(append(buf[:0], prev...), bodyHash[:]...))
	var hash [2 * sha256.Size]byte
	hex.Encode(hash[:], h[:])
	e.Prev = prev
	e.Hash = string(hash[:])
}

// Link is one entry of an audit chain as a verifier sees it: the body is
// present only where the reader may see the event.
type Link struct {
	Seq      int64  `json:"seq"`
	Prev     string `json:"prev"`
	Hash     string `json:"hash"`
	BodyHash string `json:"body_hash"`
	// Event is the event itself when the reader may see it.
	Event *Event `json:"event,omitempty"`
}

// Verify checks a negotiation's chain of links in order and returns nil or an
// error naming the first broken link: ECONFLICT, or EINVALID for an event
// whose time is out of CheckTime's range (its hash would cover a
// meaningless number).
func Verify(links []Link) error {
	prev := ""
	for i, l := range links {
		want := int64(i + 1)
		if l.Seq != want {
			return parley.Errorf(parley.ECONFLICT, "event %d: sequence number %d, want %d", want, l.Seq, want)
		}
		if l.Prev != prev {
			return parley.Errorf(parley.ECONFLICT, "event %d: prev %.12s… does not match the hash of event %d (%.12s…)", l.Seq, l.Prev, l.Seq-1, prev)
		}
		bh := l.BodyHash
		if l.Event != nil {
			if err := CheckTime(fmt.Sprintf("event %d: time", l.Seq), l.Event.Time); err != nil {
				return err
			}
			bh = l.Event.BodyHash()
			if l.BodyHash != "" && l.BodyHash != bh {
				return parley.Errorf(parley.ECONFLICT, "event %d: content does not match its body hash", l.Seq)
			}
			if l.Event.Seq != l.Seq {
				return parley.Errorf(parley.ECONFLICT, "event %d: content carries sequence number %d", l.Seq, l.Event.Seq)
			}
		}
		if ChainHash(l.Prev, bh) != l.Hash {
			return parley.Errorf(parley.ECONFLICT, "event %d: hash does not match its content and predecessor", l.Seq)
		}
		prev = l.Hash
	}
	return nil
}

// LinksOf returns the audit links of events, with every body included.
func LinksOf(events []Event) []Link {
	out := make([]Link, len(events))
	for i := range events {
		e := events[i]
		out[i] = Link{Seq: e.Seq, Prev: e.Prev, Hash: e.Hash, BodyHash: e.BodyHash(), Event: &e}
	}
	return out
}

// Reply is a stored answer to a POST with an idempotency key: a retry with
// the same token and key gets the same answer, and changes nothing.
type Reply struct {
	// TokenHash identifies the caller ("" hash for unauthenticated calls).
	TokenHash []byte
	// Key is the Idempotency-Key header.
	Key string
	// Status is the HTTP status sent.
	Status int
	// Body is the response body sent.
	Body []byte
	// Fingerprint is the SHA-256 of the request (see Fingerprint); empty
	// for replies stored before requests were fingerprinted.
	Fingerprint []byte
	// Created is when the reply was first sent: the server's clock, within
	// the range of CheckTime.
	Created time.Time
}

// Fingerprint returns the SHA-256 of a request's method, path and body: a
// key reused with a different fingerprint is a different request.
func Fingerprint(method, path string, body []byte) []byte {
	b := make([]byte, 0, len(method)+len(path)+2+len(body))
	b = append(append(b, method...), 0)
	b = append(append(b, path...), 0)
	h := sha256.Sum256(append(b, body...))
	return h[:]
}

// Batch is one atomic write: all of it is stored, or none.
type Batch struct {
	// Negotiation is a new negotiation to create, or nil.
	Negotiation *Negotiation
	// Tokens are new tokens.
	Tokens []Token
	// Events are appended in order; each Seq must follow the last stored.
	Events []Event
	// Reply is the idempotent reply to record, or nil.
	Reply *Reply
}
