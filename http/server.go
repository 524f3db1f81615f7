// Package httpapi is Parley's HTTP JSON API under /v1: negotiations, roles
// and invitations, live actions, Server-Sent Events per negotiation filtered
// per role, the audit chain, /metrics and /healthz. Every route is declared
// once in the route table (Routes), from which the mux, the OpenAPI check
// and the confidentiality matrix test are derived.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"parley"
	"parley/live"
	"parley/service"
)

// MaxBody is the largest request body accepted (scenarios included).
const MaxBody = 1 << 20

// ETOOLARGE is the error code of an oversize body (HTTP 413).
const ETOOLARGE = "too_large"

// Server serves the API of one service.
type Server struct {
	svc     *service.Service
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
	// Examples holds the example scenarios offered by name (*.yaml).
	examples fs.FS
}

// Options configure New.
type Options struct {
	// Logger receives request logs; nil discards them.
	Logger *slog.Logger
	// Examples is where example scenarios are read from (name.yaml); nil
	// offers none.
	Examples fs.FS
	// UI, when set, is mounted at "/" (the web page of a later issue).
	UI http.Handler
}

// New returns the API server of svc.
func New(svc *service.Service, opt Options) *Server {
	s := &Server{svc: svc, log: opt.Logger, mux: http.NewServeMux(), examples: opt.Examples}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	routes := s.Routes()
	names := make([]string, len(routes))
	for i, rt := range routes {
		names[i] = rt.Method + " " + rt.Path
	}
	s.metrics = newMetrics(names)
	for _, rt := range routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	s.mux.HandleFunc("GET /metrics", s.serveMetrics)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}` + "\n"))
	})
	if opt.UI != nil {
		s.mux.Handle("/", opt.UI)
	} else {
		s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, s.log, parley.Errorf(parley.ENOTFOUND, "no route %s %s", r.Method, r.URL.Path))
		})
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Route is one API endpoint.
type Route struct {
	// Method and Path as in http.ServeMux patterns ("{id}" is the
	// negotiation).
	Method, Path string
	// Auth says a token is needed; Roles, when set, are the roles allowed.
	Auth  bool
	Roles []live.Role
	// Summary is a one-line description.
	Summary string
	// Example is a valid JSON body for POST routes.
	Example string
	// Stream marks the Server-Sent Events route.
	Stream bool

	handle func(w http.ResponseWriter, r *http.Request, c *call) error
}

// call is what a handler gets besides the request.
type call struct {
	// route is the route's method and path pattern, as in the metrics.
	route string
	tok   *live.Token
	// id is the negotiation: the path's, or the one a create made.
	id   string
	idem *service.Idem
	// secret is the caller's token secret.
	secret string
	// body is the request body when it was read before the handler (to
	// fingerprint an idempotent request), nil otherwise.
	body []byte
}

// read returns the request body, read once.
func (c *call) read(r *http.Request) ([]byte, error) {
	if c.body != nil {
		return c.body, nil
	}
	return readBody(r)
}

// decode reads the request body into v strictly: unknown fields, trailing
// data and bodies over MaxBody are refused with an error naming the field.
func (c *call) decode(r *http.Request, v any) error {
	data, err := c.read(r)
	if err != nil {
		return err
	}
	return decodeBytes(data, v)
}

// wrap adds authentication, role checks, idempotent replays, metrics and
// logs around a route's handler.
func (s *Server) wrap(rt Route) http.Handler {
	route := rt.Method + " " + rt.Path
	index := s.metrics.route(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		err := s.serve(rec, r, rt, route)
		if err != nil {
			writeError(rec, s.log, err)
		}
		d := time.Since(start)
		s.metrics.observeRoute(index, rec.status, d)
		if !rt.Stream && s.log.Enabled(r.Context(), slog.LevelDebug) {
			s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", d)
		}
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt Route, route string) error {
	c := &call{route: route, id: r.PathValue("id")}
	if rt.Auth {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			secret = ""
		}
		if secret == "" && rt.Stream {
			secret = r.URL.Query().Get("token") // EventSource cannot set headers
		}
		tok, err := s.svc.Authenticate(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			return err
		}
		if c.id != "" {
			if err := service.Authorize(tok, c.id); err != nil {
				return err
			}
		}
		if len(rt.Roles) > 0 && !slices.Contains(rt.Roles, tok.Role) {
			return parley.Errorf(parley.EFORBIDDEN, "a %s token cannot call %s %s (roles allowed: %v)", tok.Role, rt.Method, rt.Path, rt.Roles)
		}
		c.tok, c.secret = tok, secret
	}
	if rt.Method == http.MethodPost {
		key := r.Header.Get("Idempotency-Key")
		if len(key) > 200 {
			return parley.Errorf(parley.EINVALID, "Idempotency-Key: at most 200 characters")
		}
		if i := strings.IndexFunc(key, func(r rune) bool { return r < '!' || r > '~' }); i >= 0 {
			return parley.Errorf(parley.EINVALID, "Idempotency-Key: only visible ASCII characters (a UUID, say); byte %d is %q", i, key[i])
		}
		if key != "" {
			// The body is read here to fingerprint the request; the handler
			// gets it from c.body.
			data, err := readBody(r)
			if err != nil {
				return err
			}
			if data == nil {
				data = []byte{}
			}
			c.body = data
			c.idem = &service.Idem{Key: key, Fingerprint: live.Fingerprint(r.Method, r.URL.Path, data)}
			if c.tok != nil {
				c.idem.TokenHash = c.tok.Hash
			}
			// The service answers a replay with the stored reply, and
			// refuses a key reused for another request.
		}
	}
	return rt.handle(w, r, c)
}

func writeReply(w http.ResponseWriter, reply *live.Reply) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(reply.Status)
	w.Write(reply.Body)
}

// statusRecorder remembers the status written.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status.
func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

// Flush lets SSE flush through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// ErrorBody is the JSON of every error response.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Status maps a Parley error code to its HTTP status.
func Status(code string) int {
	switch code {
	case parley.EINVALID:
		return http.StatusBadRequest
	case parley.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case parley.EFORBIDDEN:
		return http.StatusForbidden
	case parley.ENOTFOUND:
		return http.StatusNotFound
	case parley.ECONFLICT:
		return http.StatusConflict
	case parley.EUNSUPPORTED, parley.EKEYREUSED:
		return http.StatusUnprocessableEntity
	case ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	code := parley.ErrorCode(err)
	if errors.Is(err, context.Canceled) {
		code = parley.EINVALID
	}
	var body ErrorBody
	body.Error.Code = code
	var pe *parley.Error
	switch {
	case code == parley.EINTERNAL:
		log.Error("internal error", "err", err)
		body.Error.Message = "internal error"
	case errors.As(err, &pe):
		body.Error.Message = pe.Message
	default:
		body.Error.Message = err.Error()
	}
	if code == parley.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="parley"`)
	}
	writeJSON(w, Status(code), body)
}

// internalBody is the body of an internal error.
const internalBody = `{"error":{"code":"internal","message":"internal error"}}` + "\n"

// writeJSON sends v, an error body, as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalLine(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(internalBody)
	}
	writeBody(w, status, b)
}

// respond sends v as the JSON answer to a handled request. When v cannot
// be encoded it answers 500 with the body of an internal error instead and
// logs the failure, as unanswered; stored says whether the request's
// action is already stored.
func (s *Server) respond(w http.ResponseWriter, c *call, status int, v any, stored bool) {
	b, err := marshalLine(v)
	if err != nil {
		s.unanswered(w, c, err, stored)
		return
	}
	writeBody(w, status, b)
}

// unanswered answers 500 with the body of an internal error to a request
// whose answer could not be encoded (err), and logs the failure with the
// route and the negotiation. stored says the request's action was stored
// before its answer was built: the log says so, since the client, told
// only of an internal error, does not know it.
func (s *Server) unanswered(w http.ResponseWriter, c *call, err error, stored bool) {
	msg := "answer not encoded"
	if stored {
		msg = "answer not encoded; the action was stored"
	}
	s.log.Error(msg, "route", c.route, "negotiation", c.id, "stored", stored, "err", err)
	writeBody(w, http.StatusInternalServerError, []byte(internalBody))
}

// writeBody sends a JSON body already encoded.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &parley.Error{Code: ETOOLARGE, Message: fmt.Sprintf("body: larger than %d bytes", MaxBody)}
		}
		return nil, parley.Errorf(parley.EINVALID, "body: %v", err)
	}
	return data, nil
}

// decodeBytes is decode's core, shared with the fuzz tests.
func decodeBytes(data []byte, v any) error {
	_, err := decodeValue(data, v)
	return err
}

// jsonSpace are the characters JSON allows between tokens.
const jsonSpace = " \t\r\n"

// decodeValue decodes data into v as decodeBytes does and returns the bytes
// of the JSON value decoded: data up to the end of that value.
func decodeValue(data []byte, v any) ([]byte, error) {
	if len(bytes.Trim(data, jsonSpace)) == 0 { // not TrimSpace: U+00A0 is no JSON space
		data = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, decodeError(err)
	}
	// Anything but JSON space after the value is refused: dec.More alone
	// misses a trailing '}' or ']'.
	end := dec.InputOffset()
	if len(bytes.TrimLeft(data[end:], jsonSpace)) > 0 {
		return nil, parley.Errorf(parley.EINVALID, "body: data after the JSON object")
	}
	return data[:end], nil
}

// decodeError turns an error of encoding/json into an EINVALID error naming
// the field or the body.
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return parley.Errorf(parley.EINVALID, "%s: want %s, got %s", field, te.Type, te.Value)
	case errors.As(err, &se):
		return parley.Errorf(parley.EINVALID, "body: invalid JSON at byte %d: %v", se.Offset, err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return parley.Errorf(parley.EINVALID, "%s: unknown field", strings.Trim(f, `"`))
	}
	return parley.Errorf(parley.EINVALID, "body: %v", err)
}
