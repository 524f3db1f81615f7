package httpapi

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley"
	"parley/live"
	"parley/scenario"
	"parley/service"
)

var (
	anyRole     = []live.Role(nil)
	convener    = []live.Role{live.Convener}
	participant = []live.Role{live.Participant}
	mediator    = []live.Role{live.Mediator}
)

// Routes returns the API's route table.
func (s *Server) Routes() []Route {
	return []Route{
		{Method: "GET", Path: "/v1/examples", Summary: "List the example scenarios a negotiation can be created from", handle: s.listExamples},
		{Method: "POST", Path: "/v1/negotiations", Summary: "Create a negotiation; returns the convener's token",
			Example: `{"title": "Matrix", "protocol": "singletext", "duration": "1h", "example": "astana"}`, handle: s.create},
		{Method: "GET", Path: "/v1/me", Auth: true, Summary: "Describe the caller's token: negotiation, role, party", handle: s.me},
		{Method: "GET", Path: "/v1/negotiations/{id}", Auth: true, Roles: anyRole, Summary: "The negotiation as the caller may see it", handle: s.get},
		{Method: "GET", Path: "/v1/negotiations/{id}/events", Auth: true, Roles: anyRole, Summary: "Events the caller may see, after a sequence number", handle: s.events},
		{Method: "GET", Path: "/v1/negotiations/{id}/stream", Auth: true, Roles: anyRole, Stream: true, Summary: "Server-Sent Events: the events the caller may see, live; resumes after Last-Event-ID", handle: s.stream},
		{Method: "GET", Path: "/v1/negotiations/{id}/audit", Auth: true, Roles: anyRole, Summary: "The hash chain of every event, with the bodies the caller may see", handle: s.audit},
		{Method: "POST", Path: "/v1/negotiations/{id}/invitations", Auth: true, Roles: convener, Summary: "Issue an invitation token for a role and party",
			Example: `{"role": "observer", "party": "United States"}`, handle: s.invite},
		{Method: "POST", Path: "/v1/negotiations/{id}/invitations/{invitation}/revoke", Auth: true, Roles: convener, Summary: "Revoke an invitation: its token is refused (401) from then on",
			Example: `{"comment": "revoked by the convener"}`, handle: s.revoke},
		{Method: "POST", Path: "/v1/negotiations/{id}/preferences", Auth: true, Roles: participant, Summary: "Enter the caller's own preferences (before the start)",
			Example: `{"preferences": {"linear": {"issues": {"ceasefire": {"weight": 1, "values": {"no ceasefire": 0.31415, "in de-escalation zones only": 0.5, "nationwide except listed terrorist groups": 0.6, "nationwide for all": 1}}}}}, "reservation": 0.27182}`, handle: s.preferences},
		{Method: "POST", Path: "/v1/negotiations/{id}/start", Auth: true, Roles: convener, Summary: "Start the negotiation; its deadline runs", Example: `{}`, handle: s.act(live.EvStarted)},
		{Method: "POST", Path: "/v1/negotiations/{id}/stop", Auth: true, Roles: convener, Summary: "Stop the negotiation without agreement", Example: `{"comment": "stopped by the convener"}`, handle: s.act(live.EvStopped)},
		{Method: "POST", Path: "/v1/negotiations/{id}/offers", Auth: true, Roles: participant, Summary: "SAOP: make an offer on the caller's turn",
			Example: `{"outcome": {"ceasefire": "nationwide for all", "zones": "all four zones", "guarantors": "UN peacekeepers", "political_track": "no reform", "foreign_forces": "status quo", "humanitarian_access": "regular UN cross-line convoys", "geneva_link": "Astana replaces Geneva"}}`, handle: s.act(live.EvOffer)},
		{Method: "POST", Path: "/v1/negotiations/{id}/accept", Auth: true, Roles: participant, Summary: "Accept the standing offer (SAOP) or a text version", Example: `{"version": 1}`, handle: s.act(live.EvAccept)},
		{Method: "POST", Path: "/v1/negotiations/{id}/critiques", Auth: true, Roles: participant, Summary: "Critique a text version: the issues that block it and a comment (seen by mediators only)",
			Example: `{"version": 1, "blocking": ["zones"], "comment": "SECRET-CRITIQUE"}`, handle: s.act(live.EvCritique)},
		{Method: "POST", Path: "/v1/negotiations/{id}/end", Auth: true, Roles: participant, Summary: "Walk away: the negotiation ends without agreement", Example: `{"comment": "walking away"}`, handle: s.act(live.EvEnd)},
		{Method: "POST", Path: "/v1/negotiations/{id}/texts", Auth: true, Roles: mediator, Summary: "Single text: issue a new version of the text",
			Example: `{"outcome": {"ceasefire": "nationwide for all", "zones": "all four zones", "guarantors": "UN peacekeepers", "political_track": "no reform", "foreign_forces": "status quo", "humanitarian_access": "regular UN cross-line convoys", "geneva_link": "Astana replaces Geneva"}, "comment": "first draft"}`, handle: s.act(live.EvText)},
		{Method: "POST", Path: "/v1/negotiations/{id}/suggestions", Auth: true, Roles: mediator, Summary: "Ask the broker to suggest the next text (seen by mediators only)", Example: `{}`, handle: s.act(live.EvSuggestion)},
	}
}

// --- bodies ---

// CreateBody is the body of POST /v1/negotiations. Give one of Example,
// Scenario (a JSON object, or a string of YAML) or Issues with Parties.
type CreateBody struct {
	Title    string `json:"title"`
	Protocol string `json:"protocol"`
	Rule     string `json:"rule,omitempty"`
	Duration string `json:"duration"`
	// TurnLimit is the SAOP per-turn time limit, e.g. "10m" (optional).
	TurnLimit string           `json:"turn_limit,omitempty"`
	Example   string           `json:"example,omitempty"`
	Scenario  json.RawMessage  `json:"scenario,omitempty"`
	Issues    []scenario.Issue `json:"issues,omitempty"`
	Parties   []scenario.Party `json:"parties,omitempty"`
}

// ActionBody is the body of the action routes; each route accepts only
// its own fields.
type ActionBody struct {
	Outcome  map[string]string `json:"outcome,omitempty"`
	Version  int               `json:"version,omitempty"`
	Blocking []string          `json:"blocking,omitempty"`
	Comment  string            `json:"comment,omitempty"`
}

// InviteBody is the body of POST …/invitations.
type InviteBody struct {
	Role  live.Role `json:"role"`
	Party string    `json:"party,omitempty"`
}

// PreferencesBody is the body of POST …/preferences.
type PreferencesBody struct {
	Preferences *scenario.Preferences `json:"preferences"`
	Reservation *float64              `json:"reservation,omitempty"`
}

// allowed lists the ActionBody fields each action accepts.
var allowed = map[string][]string{
	live.EvStarted:    nil,
	live.EvSuggestion: nil,
	live.EvStopped:    {"comment"},
	live.EvEnd:        {"comment"},
	live.EvOffer:      {"outcome"},
	live.EvAccept:     {"version"},
	live.EvCritique:   {"version", "blocking", "comment"},
	live.EvText:       {"outcome", "comment"},
	live.EvRevoked:    {"comment"},
}

// present decodes any JSON value to nothing: a field's presence.
type present struct{}

// UnmarshalJSON implements json.Unmarshaler.
func (present) UnmarshalJSON([]byte) error { return nil }

// DecodeAction decodes the body of an action route, refusing fields the
// action does not take.
func DecodeAction(typ string, data []byte) (*ActionBody, error) {
	var raw map[string]present
	value, err := decodeValue(data, &raw)
	if err != nil {
		// Decoded again for the error of the type that names it.
		var raw map[string]json.RawMessage
		if rerr := decodeBytes(data, &raw); rerr != nil {
			return nil, rerr
		}
		return nil, err
	}
	// The first field, in sorted order, that the action does not take.
	bad, refused := "", false
	for k := range raw {
		if !slices.Contains(allowed[typ], k) && (!refused || k < bad) {
			bad, refused = k, true
		}
	}
	if refused {
		return nil, parley.Errorf(parley.EINVALID, "%s: unknown field for this action (allowed: %v)", bad, allowed[typ])
	}
	// value is one valid JSON value holding only fields of ActionBody:
	// it needs neither a stream decoder nor a check for unknown fields.
	var b ActionBody
	if err := json.Unmarshal(value, &b); err != nil {
		return nil, decodeError(err)
	}
	if len(b.Comment) > 4000 {
		return nil, parley.Errorf(parley.EINVALID, "comment: at most 4000 bytes")
	}
	if b.Version < 0 {
		return nil, parley.Errorf(parley.EINVALID, "version: must be positive")
	}
	return &b, nil
}

// DecodeCreate decodes and checks the body of POST /v1/negotiations.
func DecodeCreate(data []byte, examples fs.FS) (*service.CreateRequest, error) {
	var b CreateBody
	if err := decodeBytes(data, &b); err != nil {
		return nil, err
	}
	req := &service.CreateRequest{Title: b.Title, Protocol: b.Protocol, Rule: b.Rule}
	if b.Protocol == "" {
		return nil, parley.Errorf(parley.EINVALID, "protocol: missing (one of %v)", live.Protocols())
	}
	if b.Duration == "" {
		return nil, parley.Errorf(parley.EINVALID, "duration: missing (e.g. \"72h\")")
	}
	d, err := time.ParseDuration(b.Duration)
	if err != nil {
		// Also a duration beyond ±292 years, which time.Duration cannot
		// hold (a deadline in the year 3000, say).
		return nil, parley.Errorf(parley.EINVALID, "duration: %q is not a duration like \"90m\" or \"72h\" of at most %s", b.Duration, service.MaxDuration)
	}
	req.Duration = d
	if b.TurnLimit != "" {
		tl, err := time.ParseDuration(b.TurnLimit)
		if err != nil {
			return nil, parley.Errorf(parley.EINVALID, "turn_limit: %q is not a duration like \"10m\"", b.TurnLimit)
		}
		if tl <= 0 {
			return nil, parley.Errorf(parley.EINVALID, "turn_limit: must be positive, got %s", b.TurnLimit)
		}
		req.TurnLimit = tl
	}
	n := 0
	for _, given := range []bool{b.Example != "", len(b.Scenario) > 0 && string(b.Scenario) != "null", len(b.Issues) > 0 || len(b.Parties) > 0} {
		if given {
			n++
		}
	}
	if n != 1 {
		return nil, parley.Errorf(parley.EINVALID, "scenario: give exactly one of example, scenario, or issues with parties")
	}
	switch {
	case b.Example != "":
		if examples == nil || strings.ContainsAny(b.Example, "/\\.") {
			return nil, parley.Errorf(parley.EINVALID, "example: no example named %q", b.Example)
		}
		data, err := fs.ReadFile(examples, b.Example+".yaml")
		if err != nil {
			return nil, parley.Errorf(parley.EINVALID, "example: no example named %q", b.Example)
		}
		sc, err := scenario.Parse(data, b.Example+".yaml")
		if err != nil {
			return nil, parley.Errorf(parley.EINVALID, "example: %v", err)
		}
		req.Scenario = sc
	case len(b.Scenario) > 0 && string(b.Scenario) != "null":
		src := []byte(b.Scenario)
		var text string
		if json.Unmarshal(b.Scenario, &text) == nil {
			src = []byte(text)
		}
		sc, err := scenario.Parse(src, "scenario")
		if err != nil {
			return nil, parley.Errorf(parley.EINVALID, "scenario: %v", err)
		}
		req.Scenario = sc
	default:
		name := b.Title
		if name == "" {
			name = "untitled"
		}
		sc := &scenario.Scenario{Name: name, Issues: b.Issues, Parties: b.Parties}
		if err := sc.Validate(); err != nil {
			return nil, parley.Errorf(parley.EINVALID, "issues/parties: %v", err)
		}
		req.Scenario = sc
	}
	return req, nil
}

// --- handlers ---

func (s *Server) listExamples(w http.ResponseWriter, r *http.Request, c *call) error {
	names := []string{}
	if s.examples != nil {
		ms, _ := fs.Glob(s.examples, "*.yaml")
		for _, m := range ms {
			names = append(names, strings.TrimSuffix(path.Base(m), ".yaml"))
		}
	}
	s.respond(w, c, 200, map[string]any{"examples": names}, false)
	return nil
}

// CreateResponse is the answer to POST /v1/negotiations.
type CreateResponse struct {
	ID string `json:"id"`
	// ConvenerToken is shown once; a replayed reply holds "" instead.
	ConvenerToken string       `json:"convener_token"`
	Events        []live.Event `json:"events"`
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, c *call) error {
	data, err := c.read(r)
	if err != nil {
		return err
	}
	req, err := DecodeCreate(data, s.examples)
	if err != nil {
		return err
	}
	if c.idem != nil {
		c.idem.Render = func(evs []live.Event) (int, []byte, error) {
			b, err := marshalLine(CreateResponse{ID: evs[0].NegotiationID, Events: visible(evs, live.Convener, "")})
			return http.StatusCreated, b, err
		}
	}
	res, err := s.svc.Create(r.Context(), *req, c.idem)
	if err != nil {
		return err
	}
	if res.Reply != nil {
		writeReply(w, res.Reply)
		return nil
	}
	c.id = res.Negotiation.ID
	s.respond(w, c, http.StatusCreated, CreateResponse{ID: res.Negotiation.ID, ConvenerToken: res.Secret, Events: visible(res.Events, live.Convener, "")}, true)
	return nil
}

// visible returns the events of evs that role and party may see: evs
// itself when they may see all, never nil.
func visible(evs []live.Event, role live.Role, party string) []live.Event {
	all := evs != nil
	for i := range evs {
		all = all && evs[i].VisibleTo(role, party)
	}
	if all {
		return evs
	}
	out := []live.Event{}
	for _, e := range evs {
		if e.VisibleTo(role, party) {
			out = append(out, e)
		}
	}
	return out
}

// MeResponse describes a token.
type MeResponse struct {
	Negotiation string    `json:"negotiation"`
	Role        live.Role `json:"role"`
	Party       string    `json:"party,omitempty"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, c *call) error {
	s.respond(w, c, 200, MeResponse{Negotiation: c.tok.NegotiationID, Role: c.tok.Role, Party: c.tok.Party}, false)
	return nil
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, c *call) error {
	var v *View
	if err := s.svc.State(c.id, func(st *live.State) { v = ViewOf(st, c.tok.Role, c.tok.Party) }); err != nil {
		return err
	}
	s.respond(w, c, 200, v, false)
	return nil
}

// EventsResponse is the answer to GET …/events and to actions.
type EventsResponse struct {
	Events []live.Event `json:"events"`
}

func (s *Server) events(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit := int64(0), 1000
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return parley.Errorf(parley.EINVALID, "after: want a sequence number, got %q", v)
		}
		after = n
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 10000 {
			return parley.Errorf(parley.EINVALID, "limit: want 1 to 10000, got %q", v)
		}
		limit = n
	}
	evs, err := s.svc.Events(r.Context(), c.tok, after, limit)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []live.Event{}
	}
	b, err := eventsJSON(evs)
	if err != nil {
		s.unanswered(w, c, fmt.Errorf("encode events: %w", err), false)
		return nil
	}
	writeBody(w, 200, append(b, '\n'))
	return nil
}

// AuditResponse is the answer to GET …/audit.
type AuditResponse struct {
	Negotiation string      `json:"negotiation"`
	Links       []live.Link `json:"links"`
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, c *call) error {
	links, err := s.svc.Links(r.Context(), c.tok)
	if err != nil {
		return err
	}
	if links == nil {
		links = []live.Link{}
	}
	s.respond(w, c, 200, AuditResponse{Negotiation: c.id, Links: links}, false)
	return nil
}

// InviteResponse is the answer to POST …/invitations.
type InviteResponse struct {
	// ID is the invitation's public identifier, to revoke it.
	ID    string    `json:"id"`
	Role  live.Role `json:"role"`
	Party string    `json:"party,omitempty"`
	// Token is shown once; a replayed reply holds "" instead.
	Token  string       `json:"token"`
	Events []live.Event `json:"events"`
}

func (s *Server) invite(w http.ResponseWriter, r *http.Request, c *call) error {
	var b InviteBody
	if err := c.decode(r, &b); err != nil {
		return err
	}
	a := live.Action{Type: live.EvInvited, Invite: live.InvitedData{Role: b.Role, Party: b.Party}}
	if c.idem != nil {
		c.idem.Render = func(evs []live.Event) (int, []byte, error) {
			body, err := marshalLine(InviteResponse{ID: invitationOf(evs), Role: b.Role, Party: b.Party, Events: visible(evs, c.tok.Role, c.tok.Party)})
			return http.StatusCreated, body, err
		}
	}
	res, err := s.svc.Act(r.Context(), c.tok, a, c.idem)
	if err != nil {
		return err
	}
	if res.Reply != nil {
		writeReply(w, res.Reply)
		return nil
	}
	s.respond(w, c, http.StatusCreated, InviteResponse{ID: invitationOf(res.Events), Role: b.Role, Party: b.Party, Token: res.Secret, Events: visible(res.Events, c.tok.Role, c.tok.Party)}, true)
	return nil
}

// invitationOf returns the invitation identifier of an invitation's events.
func invitationOf(evs []live.Event) string {
	for _, e := range evs {
		if e.Type == live.EvInvited {
			var d live.InvitedData
			if json.Unmarshal(e.Data, &d) == nil {
				return d.ID
			}
		}
	}
	return ""
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request, c *call) error {
	data, err := c.read(r)
	if err != nil {
		return err
	}
	b, err := DecodeAction(live.EvRevoked, data)
	if err != nil {
		return err
	}
	a := live.Action{Type: live.EvRevoked, Invitation: r.PathValue("invitation"), Comment: b.Comment}
	return s.finish(w, r, c, a)
}

func (s *Server) preferences(w http.ResponseWriter, r *http.Request, c *call) error {
	var b PreferencesBody
	if err := c.decode(r, &b); err != nil {
		return err
	}
	a := live.Action{Type: live.EvPreferences, Preferences: &live.PreferencesData{Preferences: b.Preferences, Reservation: b.Reservation}}
	return s.finish(w, r, c, a)
}

// act returns the handler of a simple action.
func (s *Server) act(typ string) func(w http.ResponseWriter, r *http.Request, c *call) error {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		data, err := c.read(r)
		if err != nil {
			return err
		}
		b, err := DecodeAction(typ, data)
		if err != nil {
			return err
		}
		a := live.Action{Type: typ, Outcome: b.Outcome, Version: b.Version, Blocking: b.Blocking, Comment: b.Comment}
		return s.finish(w, r, c, a)
	}
}

func (s *Server) finish(w http.ResponseWriter, r *http.Request, c *call, a live.Action) error {
	var rendered []byte // the body stored as the idempotent reply, sent as is
	if c.idem != nil {
		c.idem.Render = func(evs []live.Event) (int, []byte, error) {
			b, err := eventsJSON(visible(evs, c.tok.Role, c.tok.Party))
			if err != nil {
				return 0, nil, fmt.Errorf("encode reply: %w", err)
			}
			rendered = append(b, '\n') // marshalLine's bytes
			return http.StatusOK, rendered, nil
		}
	}
	res, err := s.svc.Act(r.Context(), c.tok, a, c.idem)
	if err != nil {
		return err
	}
	if res.Reply != nil {
		writeReply(w, res.Reply)
		return nil
	}
	if rendered != nil {
		writeBody(w, http.StatusOK, rendered)
		return nil
	}
	evs := visible(res.Events, c.tok.Role, c.tok.Party)
	b, err := eventsJSON(evs)
	if err != nil {
		s.unanswered(w, c, fmt.Errorf("encode events: %w", err), true)
		return nil
	}
	writeBody(w, http.StatusOK, append(b, '\n'))
	return nil
}

// eventsJSON returns json.Marshal(EventsResponse{Events: evs}), written
// with Event.AppendJSON.
func eventsJSON(evs []live.Event) ([]byte, error) {
	if evs == nil {
		return json.Marshal(EventsResponse{Events: evs})
	}
	b := append(make([]byte, 0, 64+512*len(evs)), `{"events":[`...)
	for i := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = evs[i].AppendJSON(b); err != nil {
			return nil, err
		}
	}
	return append(b, "]}"...), nil
}

// marshalLine is the body respond sends for v, or an error when v cannot be
// encoded.
func marshalLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode reply: %w", err)
	}
	return append(b, '\n'), nil
}
