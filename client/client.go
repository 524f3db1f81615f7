// Package client is the Go client of Parley's HTTP API: create and set up
// negotiations, act in them with a token, read and stream their events. Every
// POST carries a fresh Idempotency-Key and is retried with the same key when
// the connection fails or the server is unavailable, so an action is done
// once even across a server crash.
package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"parley"
	httpapi "parley/http"
	"parley/live"
	"parley/scenario"
)

// Client talks to one Parley server with one token (empty to create
// negotiations).
type Client struct {
	// BaseURL is the server's address, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Token is the caller's secret token.
	Token string
	// HTTP is the HTTP client (default: one with a 30 s timeout).
	HTTP *http.Client
	// Retry is how long a POST is retried while the server is unreachable
	// (0: 30 s).
	Retry time.Duration
}

// New returns a client of the server at baseURL acting with token.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// WithToken returns a copy of c acting with another token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.Token = token
	return &cp
}

// Error is an error answered by the server.
type Error struct {
	// Status is the HTTP status.
	Status int
	// Code and Message are the server's (see package parley's codes).
	Code, Message string
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message) }

// ErrorCode lets parley.ErrorCode read the server's code.
func (e *Error) ErrorCode() string { return e.Code }

var _ parley.ErrorCoder = (*Error)(nil)

// newKey returns a random idempotency key.
func newKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// do sends a request and decodes a JSON answer into out. POSTs are retried
// with the same idempotency key on connection errors and 502–504.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
	}
	key := newKey()
	retry := c.Retry
	if retry == 0 {
		retry = 30 * time.Second
	}
	deadline := time.Now().Add(retry)
	backoff := 20 * time.Millisecond
	for {
		err := c.once(ctx, method, path, key, data, out)
		var ce *Error
		transient := err != nil && (!errors.As(err, &ce) || ce.Status == 502 || ce.Status == 503 || ce.Status == 504)
		if !transient || method != http.MethodPost || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Second)
	}
}

func (c *Client) once(ctx context.Context, method, path, key string, data []byte, out any) error {
	var rd io.Reader
	if data != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var eb httpapi.ErrorBody
		if json.Unmarshal(b, &eb) == nil && eb.Error.Code != "" {
			return &Error{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
		}
		return &Error{Status: resp.StatusCode, Code: parley.EINTERNAL, Message: strings.TrimSpace(string(b))}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// Create creates a negotiation. The answer holds the convener's token.
func (c *Client) Create(ctx context.Context, b httpapi.CreateBody) (*httpapi.CreateResponse, error) {
	var out httpapi.CreateResponse
	return &out, c.do(ctx, "POST", "/v1/negotiations", b, &out)
}

// Me describes the client's token.
func (c *Client) Me(ctx context.Context) (*httpapi.MeResponse, error) {
	var out httpapi.MeResponse
	return &out, c.do(ctx, "GET", "/v1/me", nil, &out)
}

// Invite issues a token for role and party (convener only).
func (c *Client) Invite(ctx context.Context, id string, role live.Role, party string) (string, error) {
	var out httpapi.InviteResponse
	if err := c.do(ctx, "POST", "/v1/negotiations/"+url.PathEscape(id)+"/invitations", httpapi.InviteBody{Role: role, Party: party}, &out); err != nil {
		return "", err
	}
	return out.Token, nil
}

// InviteID issues an invitation like Invite and also returns its public
// identifier (to revoke it).
func (c *Client) InviteID(ctx context.Context, id string, role live.Role, party string) (token, invitation string, err error) {
	var out httpapi.InviteResponse
	if err := c.do(ctx, "POST", "/v1/negotiations/"+url.PathEscape(id)+"/invitations", httpapi.InviteBody{Role: role, Party: party}, &out); err != nil {
		return "", "", err
	}
	return out.Token, out.ID, nil
}

// Revoke revokes an invitation (convener only): its token is refused from
// then on.
func (c *Client) Revoke(ctx context.Context, id, invitation, comment string) ([]live.Event, error) {
	return c.act(ctx, id, "invitations/"+url.PathEscape(invitation)+"/revoke", httpapi.ActionBody{Comment: comment})
}

// Negotiation returns the negotiation as the client's token may see it.
func (c *Client) Negotiation(ctx context.Context, id string) (*httpapi.View, error) {
	var out httpapi.View
	return &out, c.do(ctx, "GET", "/v1/negotiations/"+url.PathEscape(id), nil, &out)
}

// Events returns the visible events after seq.
func (c *Client) Events(ctx context.Context, id string, after int64) ([]live.Event, error) {
	var out httpapi.EventsResponse
	err := c.do(ctx, "GET", fmt.Sprintf("/v1/negotiations/%s/events?after=%d&limit=10000", url.PathEscape(id), after), nil, &out)
	return out.Events, err
}

// Audit returns the negotiation's audit chain as the token may see it.
func (c *Client) Audit(ctx context.Context, id string) (*httpapi.AuditResponse, error) {
	var out httpapi.AuditResponse
	return &out, c.do(ctx, "GET", "/v1/negotiations/"+url.PathEscape(id)+"/audit", nil, &out)
}

// act posts an action and returns the events it caused that the token sees.
func (c *Client) act(ctx context.Context, id, action string, body any) ([]live.Event, error) {
	if body == nil {
		body = struct{}{}
	}
	var out httpapi.EventsResponse
	err := c.do(ctx, "POST", "/v1/negotiations/"+url.PathEscape(id)+"/"+action, body, &out)
	return out.Events, err
}

// Start starts the negotiation (convener).
func (c *Client) Start(ctx context.Context, id string) ([]live.Event, error) {
	return c.act(ctx, id, "start", nil)
}

// Stop stops the negotiation (convener).
func (c *Client) Stop(ctx context.Context, id, comment string) ([]live.Event, error) {
	return c.act(ctx, id, "stop", httpapi.ActionBody{Comment: comment})
}

// Preferences enters the participant's own preferences before the start.
func (c *Client) Preferences(ctx context.Context, id string, p *scenario.Preferences, reservation *float64) ([]live.Event, error) {
	return c.act(ctx, id, "preferences", httpapi.PreferencesBody{Preferences: p, Reservation: reservation})
}

// Offer makes an offer (SAOP, on the participant's turn).
func (c *Client) Offer(ctx context.Context, id string, outcome map[string]string) ([]live.Event, error) {
	return c.act(ctx, id, "offers", httpapi.ActionBody{Outcome: outcome})
}

// Accept accepts the standing offer (SAOP, version 0) or a text version.
func (c *Client) Accept(ctx context.Context, id string, version int) ([]live.Event, error) {
	return c.act(ctx, id, "accept", httpapi.ActionBody{Version: version})
}

// Critique critiques a text version, naming the issues that block it.
func (c *Client) Critique(ctx context.Context, id string, version int, blocking []string, comment string) ([]live.Event, error) {
	return c.act(ctx, id, "critiques", httpapi.ActionBody{Version: version, Blocking: blocking, Comment: comment})
}

// End walks away from the negotiation.
func (c *Client) End(ctx context.Context, id, comment string) ([]live.Event, error) {
	return c.act(ctx, id, "end", httpapi.ActionBody{Comment: comment})
}

// Text issues a new text version (mediator, single text).
func (c *Client) Text(ctx context.Context, id string, outcome map[string]string, comment string) ([]live.Event, error) {
	return c.act(ctx, id, "texts", httpapi.ActionBody{Outcome: outcome, Comment: comment})
}

// Suggest asks the broker for a suggested text (mediator).
func (c *Client) Suggest(ctx context.Context, id string) ([]live.Event, error) {
	return c.act(ctx, id, "suggestions", nil)
}

// Stream calls f with every event the token may see after seq `after`, live,
// reconnecting with Last-Event-ID when the connection drops, until ctx ends
// or f returns an error (which Stream returns; ErrStop returns nil).
func (c *Client) Stream(ctx context.Context, id string, after int64, f func(live.Event) error) error {
	backoff := 20 * time.Millisecond
	for {
		err := c.streamOnce(ctx, id, &after, f)
		if errors.Is(err, ErrStop) {
			return nil
		}
		var ce *Error
		if errors.As(err, &ce) && ce.Status < 500 {
			return err
		}
		if err != nil && !isConnErr(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Second)
	}
}

// ErrStop, returned by Stream's callback, ends the stream without error.
var ErrStop = errors.New("stop streaming")

// connErr marks errors after which Stream reconnects.
type connErr struct{ error }

func (e connErr) Unwrap() error { return e.error }

func isConnErr(err error) bool {
	var ce connErr
	return errors.As(err, &ce)
}

func (c *Client) streamOnce(ctx context.Context, id string, after *int64, f func(live.Event) error) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.BaseURL+"/v1/negotiations/"+url.PathEscape(id)+"/stream", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "text/event-stream")
	if *after > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(*after, 10))
	}
	hc := &http.Client{Transport: http.DefaultTransport}
	if c.HTTP != nil && c.HTTP.Transport != nil {
		hc.Transport = c.HTTP.Transport
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return connErr{err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		var eb httpapi.ErrorBody
		json.Unmarshal(b, &eb)
		return &Error{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			if len(data) > 0 {
				var e live.Event
				if err := json.Unmarshal(data, &e); err != nil {
					return fmt.Errorf("stream: decode event: %w", err)
				}
				data = data[:0]
				if e.Seq > *after {
					*after = e.Seq
					if err := f(e); err != nil {
						return err
					}
				}
			}
		case bytes.HasPrefix(line, []byte("data: ")):
			data = append(data, line[6:]...)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := sc.Err(); err != nil {
		return connErr{err}
	}
	return connErr{io.ErrUnexpectedEOF}
}
