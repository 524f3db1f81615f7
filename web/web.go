// Package web is Parley's web page, served by `parley serve` at "/": one
// page (plain HTML, CSS and JavaScript embedded in the binary, nothing
// fetched from elsewhere) on which a convener sets a negotiation up and
// hands out invitation links, participants negotiate, a mediator drafts
// single texts with every party's gains in view, and observers follow the
// public record, all live over the /v1 API's Server-Sent Events.
//
// The page does everything the /v1 API offers through that API. Besides the
// static files, the handler answers a few computations the API does not
// offer, under /ui/, each behind the same invitation tokens:
//
//   - POST /ui/utility: utilities of packages. A participant gets its own
//     only; a mediator (trusted like the broker) gets every participant's.
//   - GET /ui/options: every issue's options as labels (any role).
//   - GET /ui/plot.svg?a=&b=: the utility space of two participants, drawn
//     by package plot as the CLI draws it, with the SAOP offers so far and
//     the agreement (mediators only).
//   - GET /ui/analysis: the Pareto frontier's size and the fair points with
//     every participant's utility (mediators only).
//   - POST /ui/import: a scenario in any format package load reads (Parley
//     YAML/JSON, GENIUS XML, GeniusWeb JSON), uploaded as files, returned as
//     Parley JSON for the page to create a negotiation from.
//
// Observers and conveners get no utility from any of them.
package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"parley"
	"parley/analysis"
	httpapi "parley/http"
	"parley/live"
	"parley/load"
	"parley/negotiation"
	"parley/plot"
	"parley/scenario"
	"parley/service"
	"parley/space"
	"parley/utility"
)

//go:embed static
var static embed.FS

// MaxOutcomes bounds the outcome spaces the mediator's analysis and picture
// are computed for; larger negotiations get an EUNSUPPORTED error.
const MaxOutcomes = 2_000_000

// MaxPackages bounds the packages one utility request may ask about.
const MaxPackages = 200

// MaxUpload bounds the total size of an imported scenario's files.
const MaxUpload = 8 << 20

// Handler serves the page and its /ui/ computations.
type Handler struct {
	svc *service.Service
	mux *http.ServeMux
}

// New returns the page's handler for the negotiations of svc. Mount it at
// "/" of the API server: httpapi.Options{UI: web.New(svc)}.
func New(svc *service.Service) *Handler {
	h := &Handler{svc: svc, mux: http.NewServeMux()}
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(fmt.Sprintf("web: embedded files: %v", err)) // the embed directive guarantees the folder
	}
	fileServer := http.FileServerFS(files)
	h.mux.Handle("GET /", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			if _, err := fs.Stat(files, strings.TrimPrefix(r.URL.Path, "/")); err != nil {
				writeError(w, parley.Errorf(parley.ENOTFOUND, "no route %s %s", r.Method, r.URL.Path))
				return
			}
		}
		w.Header().Set("Cache-Control", "no-cache")
		fileServer.ServeHTTP(w, r)
	}))
	h.mux.HandleFunc("POST /ui/utility", h.utility)
	h.mux.HandleFunc("GET /ui/options", h.options)
	h.mux.HandleFunc("GET /ui/plot.svg", h.plot)
	h.mux.HandleFunc("GET /ui/analysis", h.analysis)
	h.mux.HandleFunc("POST /ui/import", h.importScenario)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, parley.Errorf(parley.ENOTFOUND, "no route %s %s", r.Method, r.URL.Path))
	})
	return h
}

// ServeHTTP implements http.Handler. Every answer forbids framing and
// loading anything from another origin.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	h.mux.ServeHTTP(w, r)
}

// writeError answers err in the API's error format.
func writeError(w http.ResponseWriter, err error) {
	code := parley.ErrorCode(err)
	var body httpapi.ErrorBody
	body.Error.Code = code
	var pe *parley.Error
	switch {
	case code == parley.EINTERNAL:
		body.Error.Message = "internal error"
	case errors.As(err, &pe):
		body.Error.Message = pe.Message
	default:
		body.Error.Message = err.Error()
	}
	writeJSON(w, httpapi.Status(code), body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// caller authenticates the request's bearer token.
func (h *Handler) caller(r *http.Request) (*live.Token, error) {
	secret, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	tok, err := h.svc.Authenticate(r.Context(), strings.TrimSpace(secret))
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return tok, nil
}

// scenarioOf returns the caller's negotiation's scenario with every entered
// preference in place. It is a copy the caller may keep.
func (h *Handler) scenarioOf(tok *live.Token) (*scenario.Scenario, error) {
	var sc *scenario.Scenario
	err := h.svc.State(tok.NegotiationID, func(st *live.State) { sc = st.Scenario() })
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return sc, nil
}

// UtilityRequest is the body of POST /ui/utility.
type UtilityRequest struct {
	// Packages are outcomes by issue name and option label.
	Packages []map[string]string `json:"packages"`
}

// PartyUtilities is one participant's utilities in a UtilityResponse.
type PartyUtilities struct {
	Name string `json:"name"`
	// Utilities follow the request's packages; null where the package is
	// incomplete.
	Utilities []*float64 `json:"utilities"`
	// Reservation is the walk-away utility, absent when the party has none.
	Reservation *float64 `json:"reservation,omitempty"`
	// Min and Max are the party's utility range over the whole space.
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// UtilityResponse is the answer to POST /ui/utility.
type UtilityResponse struct {
	Parties []PartyUtilities `json:"parties"`
}

func (h *Handler) utility(w http.ResponseWriter, r *http.Request) {
	tok, err := h.caller(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if tok.Role != live.Participant && tok.Role != live.Mediator {
		writeError(w, parley.Errorf(parley.EFORBIDDEN, "a %s sees no utilities", tok.Role))
		return
	}
	var req UtilityRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, parley.Errorf(parley.EINVALID, "body: %v", err))
		return
	}
	if len(req.Packages) > MaxPackages {
		writeError(w, parley.Errorf(parley.EINVALID, "packages: at most %d, got %d", MaxPackages, len(req.Packages)))
		return
	}
	sc, err := h.scenarioOf(tok)
	if err != nil {
		writeError(w, err)
		return
	}
	outcomes := make([][]int, len(req.Packages))
	for i, p := range req.Packages {
		if len(p) != len(sc.Issues) {
			continue // incomplete: no utility
		}
		o, err := space.Parse(sc, p)
		if err != nil {
			writeError(w, parley.Errorf(parley.EINVALID, "packages[%d]: %v", i, err))
			return
		}
		outcomes[i] = o
	}
	res := UtilityResponse{Parties: []PartyUtilities{}}
	for pi, p := range sc.Parties {
		if p.Role != scenario.Participant {
			continue
		}
		if tok.Role == live.Participant && p.Name != tok.Party {
			continue // a participant sees its own utilities only
		}
		pu := PartyUtilities{Name: p.Name, Utilities: make([]*float64, len(outcomes)), Reservation: p.Reservation}
		if p.Preferences != nil {
			prof, err := utility.Compile(sc, pi)
			if err != nil {
				writeError(w, fmt.Errorf("web: utility of %s: %w", p.Name, err))
				return
			}
			pu.Min, pu.Max = prof.Func.Range()
			for i, o := range outcomes {
				if o != nil {
					u := prof.Func.Utility(o)
					pu.Utilities[i] = &u
				}
			}
		}
		res.Parties = append(res.Parties, pu)
	}
	writeJSON(w, http.StatusOK, res)
}

// IssueOptions is one issue's options in an OptionsResponse.
type IssueOptions struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Type        string   `json:"type"`
	Options     []string `json:"options"`
}

// OptionsResponse is the answer to GET /ui/options.
type OptionsResponse struct {
	Issues []IssueOptions `json:"issues"`
}

// MaxOptions bounds the options listed for one issue.
const MaxOptions = 1000

func (h *Handler) options(w http.ResponseWriter, r *http.Request) {
	tok, err := h.caller(r)
	if err != nil {
		writeError(w, err)
		return
	}
	sc, err := h.scenarioOf(tok)
	if err != nil {
		writeError(w, err)
		return
	}
	res := OptionsResponse{Issues: []IssueOptions{}}
	for i := range sc.Issues {
		is := &sc.Issues[i]
		n := is.Cardinality()
		if n > MaxOptions {
			writeError(w, parley.Errorf(parley.EUNSUPPORTED, "issue %s: %d options; the page lists at most %d", is.Name, n, MaxOptions))
			return
		}
		opt := IssueOptions{Name: is.Name, Description: is.Description, Type: string(is.Type), Options: make([]string, n)}
		for k := range n {
			opt.Options[k] = is.Label(k)
		}
		res.Issues = append(res.Issues, opt)
	}
	writeJSON(w, http.StatusOK, res)
}

// mediated authenticates a mediator and returns its negotiation's scenario
// and participant profiles, refusing spaces over MaxOutcomes.
func (h *Handler) mediated(r *http.Request) (*scenario.Scenario, *live.Token, error) {
	tok, err := h.caller(r)
	if err != nil {
		return nil, nil, err
	}
	if tok.Role != live.Mediator {
		return nil, nil, parley.Errorf(parley.EFORBIDDEN, "only a mediator sees every party's gains (a %s token was given)", tok.Role)
	}
	sc, err := h.scenarioOf(tok)
	if err != nil {
		return nil, nil, err
	}
	var missing []string
	for _, p := range sc.Parties {
		if p.Role == scenario.Participant && p.Preferences == nil {
			missing = append(missing, p.Name)
		}
	}
	if len(missing) > 0 {
		return nil, nil, parley.Errorf(parley.ECONFLICT, "not every participant has entered preferences yet; missing: %s", strings.Join(missing, ", "))
	}
	sp, err := space.Of(sc)
	if err != nil {
		return nil, nil, fmt.Errorf("web: %w", err)
	}
	if n, ok := sp.Len(); !ok || n > MaxOutcomes {
		return nil, nil, parley.Errorf(parley.EUNSUPPORTED, "the space has %s outcomes; the page analyses at most %d", sp.BigLen(), MaxOutcomes)
	}
	return sc, tok, nil
}

// record returns the negotiation so far as package plot draws it: the
// SAOP offers of each participant in order, and the agreement.
func (h *Handler) record(ctx context.Context, tok *live.Token, sc *scenario.Scenario) (*negotiation.Result, error) {
	res := &negotiation.Result{Party: -1}
	var order []string
	err := h.svc.State(tok.NegotiationID, func(st *live.State) {
		order = slices.Clone(st.Order)
		res.Rounds = st.Round + 1
		switch st.Phase {
		case live.Agreed:
			res.Status, res.Agreement = negotiation.Agreement, slices.Clone(st.Agreement)
		case live.TimedOut:
			res.Status = negotiation.TimedOut
		case live.Ended, live.Stopped:
			res.Status = negotiation.Ended
		}
	})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	evs, err := h.svc.Events(ctx, tok, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	for _, e := range evs {
		if e.Type != live.EvOffer {
			continue
		}
		var d live.OfferData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return nil, fmt.Errorf("web: offer %d: %w", e.Seq, err)
		}
		o, err := space.Parse(sc, d.Outcome)
		if err != nil {
			return nil, fmt.Errorf("web: offer %d: %w", e.Seq, err)
		}
		res.Trace = append(res.Trace, negotiation.Event{Round: d.Round, Party: slices.Index(order, e.Party), Action: negotiation.ActOffer, Outcome: o})
	}
	return res, nil
}

func (h *Handler) plot(w http.ResponseWriter, r *http.Request) {
	sc, tok, err := h.mediated(r)
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := h.record(r.Context(), tok, sc)
	if err != nil {
		writeError(w, err)
		return
	}
	names := []string{}
	for _, i := range sc.Participants() {
		names = append(names, sc.Parties[i].Name)
	}
	a, b := slices.Index(names, r.URL.Query().Get("a")), slices.Index(names, r.URL.Query().Get("b"))
	if a < 0 || b < 0 || a == b {
		writeError(w, parley.Errorf(parley.EINVALID, "a, b: want two different participants of %v", names))
		return
	}
	p, err := plot.Negotiation(sc, res, a, b)
	if err != nil {
		writeError(w, fmt.Errorf("web: %w", err))
		return
	}
	var buf bytes.Buffer
	if err := plot.Write(&buf, p, "svg"); err != nil {
		writeError(w, fmt.Errorf("web: %w", err))
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// FairPoint is one fair point in an AnalysisResponse.
type FairPoint struct {
	// Name is "Nash", "Kalai–Smorodinsky", "egalitarian" or "maximum welfare".
	Name string `json:"name"`
	// Package is the outcome by issue name.
	Package map[string]string `json:"package"`
	// Utilities follow AnalysisResponse.Parties.
	Utilities []float64 `json:"utilities"`
	// Ties is how many frontier points tie for this optimum.
	Ties int `json:"ties"`
}

// AnalysisResponse is the answer to GET /ui/analysis.
type AnalysisResponse struct {
	Parties      []string    `json:"parties"`
	Reservations []*float64  `json:"reservations"`
	Outcomes     string      `json:"outcomes"`
	Rational     int64       `json:"rational"`
	Pareto       int         `json:"pareto"`
	Fair         []FairPoint `json:"fair"`
}

func (h *Handler) analysis(w http.ResponseWriter, r *http.Request) {
	sc, _, err := h.mediated(r)
	if err != nil {
		writeError(w, err)
		return
	}
	an, err := analysis.Analyze(sc, analysis.Options{})
	if err != nil {
		writeError(w, fmt.Errorf("web: %w", err))
		return
	}
	res := AnalysisResponse{Parties: an.Parties, Reservations: an.Reservation, Outcomes: an.Outcomes.String(), Rational: an.Rational, Pareto: len(an.Pareto), Fair: []FairPoint{}}
	for _, fp := range []struct {
		name string
		pts  []analysis.Point
	}{{"Nash", an.Nash}, {"Kalai–Smorodinsky", an.KalaiSmorodinsky}, {"egalitarian", an.Egalitarian}, {"maximum welfare", an.MaxWelfare}} {
		if len(fp.pts) == 0 {
			continue
		}
		us := make([]float64, len(fp.pts[0].Utilities))
		for i, u := range fp.pts[0].Utilities {
			us[i] = math.Round(u*1e6) / 1e6
		}
		res.Fair = append(res.Fair, FairPoint{Name: fp.name, Package: space.Labels(sc, fp.pts[0].Outcome), Utilities: us, Ties: len(fp.pts)})
	}
	writeJSON(w, http.StatusOK, res)
}

// importScenario reads uploaded scenario files of any format package load
// knows and answers the scenario as Parley JSON.
func (h *Handler) importScenario(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxUpload)
	if err := r.ParseMultipartForm(MaxUpload); err != nil {
		writeError(w, parley.Errorf(parley.EINVALID, "upload: %v", err))
		return
	}
	defer r.MultipartForm.RemoveAll()
	files := r.MultipartForm.File["file"]
	if len(files) == 0 || len(files) > 50 {
		writeError(w, parley.Errorf(parley.EINVALID, "file: give 1 to 50 files"))
		return
	}
	dir, err := os.MkdirTemp("", "parley-import")
	if err != nil {
		writeError(w, fmt.Errorf("web: import: %w", err))
		return
	}
	defer os.RemoveAll(dir)
	var paths []string
	for _, fh := range files {
		p, err := saveUpload(dir, fh)
		if err != nil {
			writeError(w, err)
			return
		}
		paths = append(paths, p)
	}
	var warnings []string
	sc, err := load.LoadFiles(paths, load.Options{Warn: func(msg string) { warnings = append(warnings, msg) }})
	if err != nil {
		msg := err.Error()
		msg = strings.ReplaceAll(msg, dir+string(filepath.Separator), "")
		writeError(w, parley.Errorf(parley.EINVALID, "scenario: %s", msg))
		return
	}
	sc.File = ""
	writeJSON(w, http.StatusOK, map[string]any{"scenario": sc, "warnings": warnings})
}

// saveUpload writes one uploaded file into dir under its base name.
func saveUpload(dir string, fh *multipart.FileHeader) (string, error) {
	name := filepath.Base(filepath.Clean("/" + fh.Filename))
	if name == "/" || name == "." || name == "" {
		return "", parley.Errorf(parley.EINVALID, "file: a file has no name")
	}
	f, err := fh.Open()
	if err != nil {
		return "", fmt.Errorf("web: import %s: %w", name, err)
	}
	defer f.Close()
	p := filepath.Join(dir, name)
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", parley.Errorf(parley.EINVALID, "file: %s given twice", name)
	}
	if _, err := io.Copy(out, f); err != nil {
		out.Close()
		return "", fmt.Errorf("web: import %s: %w", name, err)
	}
	if err := out.Close(); err != nil {
		return "", fmt.Errorf("web: import %s: %w", name, err)
	}
	return p, nil
}
