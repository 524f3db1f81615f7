package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// call sends a request and decodes a JSON answer into out (when not nil),
// returning the status.
func call(t *testing.T, method, url, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, url, err, data)
		}
	}
	return resp.StatusCode
}

// astana creates the Astana talks and returns the negotiation's tokens by
// "role/party".
func astana(t *testing.T, base, protocol string) map[string]string {
	t.Helper()
	var made struct {
		ID    string `json:"id"`
		Token string `json:"convener_token"`
	}
	if st := call(t, "POST", base+"/v1/negotiations", "", map[string]string{"protocol": protocol, "duration": "1h", "example": "astana"}, &made); st != 201 {
		t.Fatalf("create: status %d", st)
	}
	toks := map[string]string{"convener/": made.Token}
	for _, inv := range [][2]string{{"participant", "Russia"}, {"participant", "Iran"}, {"mediator", "Kazakhstan"}, {"observer", "United States"}} {
		var r struct {
			Token string `json:"token"`
		}
		if st := call(t, "POST", base+"/v1/negotiations/"+made.ID+"/invitations", made.Token, map[string]string{"role": inv[0], "party": inv[1]}, &r); st != 201 {
			t.Fatalf("invite %v: status %d", inv, st)
		}
		toks[inv[0]+"/"+inv[1]] = r.Token
	}
	return toks
}

var pkg = map[string]string{
	"ceasefire": "nationwide for all", "zones": "all four zones", "guarantors": "UN peacekeepers", "political_track": "no reform",
	"foreign_forces": "status quo", "humanitarian_access": "regular UN cross-line convoys", "geneva_link": "Astana replaces Geneva",
}

// TestUtilityByRole: a participant gets its own utility only, a mediator
// everyone's, an observer and a convener none, and no token nothing.
func TestUtilityByRole(t *testing.T) {
	srv := testServer(t)
	toks := astana(t, srv.URL, "singletext")
	body := map[string]any{"packages": []map[string]string{pkg, {"zones": "none"}}}
	type answer struct {
		Parties []struct {
			Name        string     `json:"name"`
			Utilities   []*float64 `json:"utilities"`
			Reservation *float64   `json:"reservation"`
		} `json:"parties"`
	}
	var iran answer
	if st := call(t, "POST", srv.URL+"/ui/utility", toks["participant/Iran"], body, &iran); st != 200 {
		t.Fatalf("participant: status %d", st)
	}
	if len(iran.Parties) != 1 || iran.Parties[0].Name != "Iran" {
		t.Fatalf("participant Iran got %+v, want its own utilities only", iran.Parties)
	}
	u := iran.Parties[0].Utilities
	// Iran: 0.10·0.3 + 0.10·0.8 + 0.15·0 + 0.20·1 + 0.30·1 + 0.05·0.6 + 0.10·1 = 0.74.
	if u[0] == nil || *u[0] < 0.7399 || *u[0] > 0.7401 || u[1] != nil {
		t.Errorf("Iran's utilities %v, want [0.74, null] (the second package is incomplete)", u)
	}
	if r := iran.Parties[0].Reservation; r == nil || *r != 0.55 {
		t.Errorf("Iran's reservation %v, want 0.55", r)
	}
	var med answer
	if st := call(t, "POST", srv.URL+"/ui/utility", toks["mediator/Kazakhstan"], body, &med); st != 200 {
		t.Fatalf("mediator: status %d", st)
	}
	if len(med.Parties) != 5 {
		t.Errorf("mediator got %d parties' utilities, want the 5 participants'", len(med.Parties))
	}
	for who, want := range map[string]int{"observer/United States": 403, "convener/": 403, "": 401} {
		if st := call(t, "POST", srv.URL+"/ui/utility", toks[who], body, nil); st != want {
			t.Errorf("%q: status %d, want %d", who, st, want)
		}
	}
	for _, path := range []string{"/ui/analysis", "/ui/plot.svg?a=Russia&b=Iran"} {
		for who, want := range map[string]int{"participant/Iran": 403, "observer/United States": 403, "convener/": 403, "mediator/Kazakhstan": 200} {
			if st := call(t, "GET", srv.URL+path, toks[who], nil, nil); st != want {
				t.Errorf("%s by %q: status %d, want %d", path, who, st, want)
			}
		}
	}
}

// TestMediatorComputations: the picture is the plot package's SVG and the
// fair points carry every participant's utility.
func TestMediatorComputations(t *testing.T) {
	srv := testServer(t)
	toks := astana(t, srv.URL, "singletext")
	req, _ := http.NewRequest("GET", srv.URL+"/ui/plot.svg?a=Russia&b=Turkey", nil)
	req.Header.Set("Authorization", "Bearer "+toks["mediator/Kazakhstan"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "image/svg+xml" || !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("utility of Russia")) {
		t.Errorf("plot: %s, %.200s", ct, svg)
	}
	var an struct {
		Parties []string `json:"parties"`
		Pareto  int      `json:"pareto"`
		Fair    []struct {
			Name      string            `json:"name"`
			Package   map[string]string `json:"package"`
			Utilities []float64         `json:"utilities"`
		} `json:"fair"`
	}
	if st := call(t, "GET", srv.URL+"/ui/analysis", toks["mediator/Kazakhstan"], nil, &an); st != 200 {
		t.Fatalf("analysis: status %d", st)
	}
	if len(an.Parties) != 5 || an.Pareto == 0 || len(an.Fair) != 4 || an.Fair[0].Name != "Nash" || len(an.Fair[0].Utilities) != 5 || len(an.Fair[0].Package) != 7 {
		t.Errorf("analysis: %+v", an)
	}
}

// TestOptionsAndPage: every token may list the options; the page and its
// files are served with a policy that loads nothing from elsewhere.
func TestOptionsAndPage(t *testing.T) {
	srv := testServer(t)
	toks := astana(t, srv.URL, "saop")
	var opts struct {
		Issues []struct {
			Name    string   `json:"name"`
			Options []string `json:"options"`
		} `json:"issues"`
	}
	if st := call(t, "GET", srv.URL+"/ui/options", toks["observer/United States"], nil, &opts); st != 200 {
		t.Fatalf("options: status %d", st)
	}
	if len(opts.Issues) != 7 || opts.Issues[0].Name != "ceasefire" || len(opts.Issues[0].Options) != 4 {
		t.Errorf("options: %+v", opts)
	}
	for _, path := range []string{"/", "/app.js", "/app.css"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: status %d, CSP %q", path, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
		if bytes.Contains(b, []byte("http://")) || bytes.Contains(b, []byte("https://")) {
			t.Errorf("%s refers to another origin", path)
		}
	}
	for _, path := range []string{"/no-such-page", "/no-such-file.js", "/index.html/x"} {
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 404 || e.Error.Code != "not_found" {
			t.Errorf("GET %s: status %d, code %q, want 404 not_found", path, resp.StatusCode, e.Error.Code)
		}
	}
	if st := call(t, "GET", srv.URL+"/v1/no-such-route", "", nil, nil); st != 404 {
		t.Errorf("unknown API route: status %d, want 404", st)
	}
}

// TestImport: an uploaded scenario file comes back as Parley JSON that the
// API creates a negotiation from; a broken file is refused with its problem.
func TestImport(t *testing.T) {
	srv := testServer(t)
	upload := func(name string, data []byte) (int, map[string]json.RawMessage) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
		mw.Close()
		resp, err := http.Post(srv.URL+"/ui/import", mw.FormDataContentType(), &buf)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]json.RawMessage
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	data, err := os.ReadFile("../examples/us-russia.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st, out := upload("us-russia.yaml", data)
	if st != 200 {
		t.Fatalf("import: status %d: %s", st, out["error"])
	}
	var made struct {
		ID string `json:"id"`
	}
	if st := call(t, "POST", srv.URL+"/v1/negotiations", "", map[string]any{"protocol": "saop", "duration": "1h", "scenario": out["scenario"]}, &made); st != 201 || made.ID == "" {
		t.Errorf("create from the imported scenario: status %d", st)
	}
	st, out = upload("broken.yaml", []byte("issues: [\n"))
	if st != 400 || !strings.Contains(string(out["error"]), "broken.yaml") {
		t.Errorf("broken file: status %d, %s", st, out["error"])
	}
}

// TestImportGenius: a GENIUS domain and its two profiles, uploaded
// together, come back as one Parley scenario with two participants. The
// domain is read from the shared corpus (PARLEY_CORPUS, default
// ../../shared/domains); the test skips with a message when it is absent.
func TestImportGenius(t *testing.T) {
	root := os.Getenv("PARLEY_CORPUS")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "domains")
	}
	dir := filepath.Join(root, "genius", "anac", "y2010", "EnglandZimbabwe")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("GENIUS domain not found at %s (set PARLEY_CORPUS)", dir)
	}
	srv := testServer(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, name := range []string{"EnglandZimbabwe_domain.xml", "England.xml", "Zimbabwe.xml"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	resp, err := http.Post(srv.URL+"/ui/import", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Scenario json.RawMessage `json:"scenario"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("import: status %d, %v", resp.StatusCode, err)
	}
	var sc struct {
		Parties []struct {
			Role string `json:"role"`
		} `json:"parties"`
	}
	json.Unmarshal(out.Scenario, &sc)
	if len(sc.Parties) != 2 {
		t.Errorf("imported %d parties, want 2", len(sc.Parties))
	}
	var made struct {
		ID string `json:"id"`
	}
	if st := call(t, "POST", srv.URL+"/v1/negotiations", "", map[string]any{"protocol": "singletext", "duration": "1h", "scenario": out.Scenario}, &made); st != 201 {
		t.Errorf("create from the imported GENIUS scenario: status %d", st)
	}
}
