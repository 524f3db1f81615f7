package web_test

// End-to-end tests of the page in real headless Chromium (Debian's
// `chromium`, driven by chromedp). Each person at the table has a browser
// context of their own (separate storage and cookies), as separate people
// on separate machines would. Screenshots of every view are kept in
// $PARLEY_SCREENSHOTS (default: parley-screenshots in the system's temporary
// folder) and their paths logged.
//
// Without Chromium these tests fail, naming the package to install
// (scripts/test installs it); set PARLEY_SKIP_BROWSER=1 to skip them
// deliberately. Under CI=true they never skip.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"parley/analysis"
	httpapi "parley/http"
	"parley/memstore"
	"parley/scenario"
	"parley/service"
	"parley/space"
	"parley/utility"
	"parley/web"
)

// stepTimeout bounds every wait for the page.
const stepTimeout = 20 * time.Second

// chromiumPath finds Chromium or fails (skips only on an explicit request).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("PARLEY_SKIP_BROWSER") == "1" && os.Getenv("CI") != "true" {
		t.Skip("PARLEY_SKIP_BROWSER=1: browser tests skipped")
	}
	t.Fatal("Chromium not found: install it (apt-get install -y chromium; scripts/test does this) or set PARLEY_SKIP_BROWSER=1 to skip the browser tests")
	return ""
}

// testServer runs the API with the page mounted at "/", on an in-memory
// store, on 127.0.0.1.
func testServer(t *testing.T) *httptest.Server {
	t.Helper()
	svc, err := service.Open(context.Background(), memstore.New(), service.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	api := httpapi.New(svc, httpapi.Options{Examples: os.DirFS("../examples"), UI: web.New(svc)})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return srv
}

// browser starts one headless Chromium for a test and returns a function
// that opens a fresh browser context (a separate person) in it.
func browser(t *testing.T) func(name string) *person {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Containers often give /dev/shm 64 MB, too little for Chromium.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	if err := chromedp.Do(root, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return func(name string) *person {
		ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		p := &person{t: t, name: name, ctx: ctx, bodies: map[network.RequestID]string{}}
		if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
			t.Fatalf("%s: open a browser context: %v", name, err)
		}
		p.record()
		return p
	}
}

// person is one browser context: one person at the table.
type person struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu sync.Mutex
	// bodies maps the API responses the page received to their URLs.
	bodies map[network.RequestID]string
}

// record notes every response of the API and the page's computations.
func (p *person) record() {
	events := chromedp.Events(p.ctx, network.ResponseReceived)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			u := ev.Response.URL
			if (strings.Contains(u, "/v1/") || strings.Contains(u, "/ui/")) && !strings.Contains(u, "/stream") {
				p.mu.Lock()
				p.bodies[ev.RequestID] = u
				p.mu.Unlock()
			}
		}
	}()
}

// responses returns the bodies of the API responses the page received so
// far, by URL.
func (p *person) responses() map[string][]string {
	p.t.Helper()
	p.mu.Lock()
	ids := make(map[network.RequestID]string, len(p.bodies))
	for k, v := range p.bodies {
		ids[k] = v
	}
	p.mu.Unlock()
	out := map[string][]string{}
	for id, u := range ids {
		ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
		r, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
		cancel()
		if err != nil {
			continue // evicted or still loading: not a response the page kept
		}
		out[u] = append(out[u], string(r.Body))
	}
	return out
}

func (p *person) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, what, err)
	}
}

func (p *person) open(url string) {
	p.t.Helper()
	p.do("open "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#main .card")))
}

func (p *person) click(sel string) {
	p.t.Helper()
	p.do("click "+sel, chromedp.WaitEnabled(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// eval evaluates a JavaScript expression.
func eval[T any](p *person, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("%s: evaluate %s: %v", p.name, expr, err)
	}
	return v
}

// until waits, boundedly, for a JavaScript condition to hold.
func (p *person) until(what, cond string) {
	p.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			status := eval[string](p, `document.getElementById('status') ? document.getElementById('status').textContent : ''`)
			p.shot("timeout-" + strings.ReplaceAll(what, " ", "-"))
			p.t.Fatalf("%s: waited %s for %s (%s); status line: %q; err: %v", p.name, stepTimeout, what, cond, status, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pick chooses an option in a select as a user would, firing change.
func (p *person) pick(sel, value string) {
	p.t.Helper()
	js := fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change')); return s.value === %q; })()`, sel, value, value)
	if !eval[bool](p, js) {
		p.t.Fatalf("%s: %s has no option %q", p.name, sel, value)
	}
}

// text returns the visible text of the whole page.
func (p *person) text() string { return eval[string](p, `document.body.innerText`) }

// shot saves a screenshot of the page and logs its path.
func (p *person) shot(name string) {
	p.t.Helper()
	dir := os.Getenv("PARLEY_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "parley-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("%s: screenshot: %v", p.name, err)
	}
	path := filepath.Join(dir, p.t.Name()+"-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// link reads the invitation link for a role and party off the convener's
// page ("" party: the public observer).
func (p *person) link(role, party string) string {
	p.t.Helper()
	sel := fmt.Sprintf(`#links input[data-role=%q][data-party=%q]`, role, party)
	return eval[string](p, fmt.Sprintf(`document.querySelector(%q).value`, sel))
}

// convene creates the Astana negotiation through the form and returns the
// convener's page with the links on it.
func convene(t *testing.T, open func(string) *person, url, protocol string) *person {
	t.Helper()
	conv := open("convener")
	conv.open(url + "/")
	conv.until("the examples", `document.querySelector('#example option[value=astana]')`)
	conv.pick("#example", "astana")
	conv.pick("#protocol", protocol)
	conv.do("type the duration", chromedp.SetValue(chromedp.CSS("#duration"), "1h"), chromedp.SetValue(chromedp.CSS("#title"), "Astana, round 9"))
	conv.click("#create")
	conv.until("the invitation links", `document.querySelector('#links input[data-party="Russia"]')`)
	conv.click(`#links tbody tr:nth-child(2) button`)
	conv.until("the copy button's answer", `document.querySelector('#links tbody tr:nth-child(2) button').textContent === 'Copied'`)
	conv.shot("convene")
	return conv
}

// astanaUtility is what the scenario file says party's utility of o is.
func astanaUtility(t *testing.T, party string, o map[string]string) float64 {
	t.Helper()
	sc, err := scenario.Load("../examples/astana.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pi := -1
	for i, p := range sc.Parties {
		if p.Name == party {
			pi = i
		}
	}
	prof, err := utility.Compile(sc, pi)
	if err != nil {
		t.Fatal(err)
	}
	out, err := space.Parse(sc, o)
	if err != nil {
		t.Fatal(err)
	}
	return prof.Func.Utility(out)
}

// astanaNash is the Nash point of the Astana talks as package analysis
// finds it.
func astanaNash(t *testing.T) map[string]string {
	t.Helper()
	sc, err := scenario.Load("../examples/astana.yaml")
	if err != nil {
		t.Fatal(err)
	}
	an, err := analysis.Analyze(sc, analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return space.Labels(sc, an.Nash[0].Outcome)
}

// numbers matches what could be a utility shown as a number (0.00 to 1.00).
var numbers = regexp.MustCompile(`\b[01]\.\d\d\b`)

// assertNothingPrivate checks an observer's page: no utility, walk-away or
// critique in the DOM, and no call to the utility computations.
func assertNothingPrivate(t *testing.T, obs *person) {
	t.Helper()
	text := obs.text()
	for _, bad := range []string{"utility", "Utility", "walk-away", "Worth to you", "critiqu", "suggest", "preferences"} {
		if strings.Contains(text, bad) {
			t.Errorf("observer's page shows %q:\n%s", bad, text)
		}
	}
	if m := numbers.FindString(text); m != "" {
		t.Errorf("observer's page shows a number like a utility, %q:\n%s", m, text)
	}
	if n := eval[int](obs, `document.querySelectorAll('.util, #my-current, #draft-utility, #prefs, #fair, #picture').length`); n != 0 {
		t.Errorf("observer's page has %d elements meant for private numbers", n)
	}
	for u, bodies := range obs.responses() {
		if strings.Contains(u, "/ui/utility") || strings.Contains(u, "/ui/analysis") || strings.Contains(u, "/ui/plot") {
			t.Errorf("observer's page called %s", u)
		}
		for _, b := range bodies {
			for _, bad := range []string{`"preferences"`, `"reservation"`, `"weight"`, `"critique"`, `"suggestion"`} {
				if strings.Contains(b, bad) {
					t.Errorf("observer's page received %s from %s: %.300s", bad, u, b)
				}
			}
		}
	}
}

// assertOwnOnly checks a participant's page received and shows no other
// participant's preferences or utilities.
func assertOwnOnly(t *testing.T, p *person, self string, others []string) {
	t.Helper()
	for u, bodies := range p.responses() {
		for _, b := range bodies {
			var v struct {
				Private *struct {
					Name string `json:"name"`
				} `json:"private"`
				Parties []struct {
					Name      string    `json:"name"`
					Utilities []float64 `json:"utilities"`
				} `json:"parties"`
			}
			json.Unmarshal([]byte(b), &v)
			if v.Private != nil && v.Private.Name != self {
				t.Errorf("%s's page received %s's private party from %s", self, v.Private.Name, u)
			}
			if strings.Contains(u, "/ui/utility") {
				for _, pu := range v.Parties {
					if pu.Name != self {
						t.Errorf("%s's page received %s's utilities from %s", self, pu.Name, u)
					}
				}
			}
			var doc any
			json.Unmarshal([]byte(b), &doc)
			for _, owner := range preferenceOwners(doc, "") {
				if owner != self {
					t.Errorf("%s's page received preferences of %q from %s", self, owner, u)
				}
			}
			if strings.Contains(b, `"type":"critique"`) && !strings.Contains(b, `"party":"`+self+`"`) {
				t.Errorf("%s's page received another party's critique from %s", self, u)
			}
		}
	}
	html := eval[string](p, `document.documentElement.outerHTML`)
	for _, o := range others {
		if regexp.MustCompile(regexp.QuoteMeta(o) + `[^<]{0,40}</td><td class="num util">`).MatchString(html) {
			t.Errorf("%s's page shows a utility for %s", self, o)
		}
	}
}

// preferenceOwners walks a JSON document and returns, for every non-null
// "preferences" field, the party it belongs to: the nearest enclosing
// object's "name" or "party".
func preferenceOwners(v any, owner string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if n, ok := x["name"].(string); ok {
			owner = n
		}
		if n, ok := x["party"].(string); ok {
			owner = n
		}
		for k, c := range x {
			if k == "preferences" && c != nil {
				out = append(out, owner)
			}
			out = append(out, preferenceOwners(c, owner)...)
		}
	case []any:
		for _, c := range x {
			out = append(out, preferenceOwners(c, owner)...)
		}
	}
	return out
}

// TestSAOPAstana: a convener creates the Astana talks under alternating
// offers, two participants join by link in separate browser contexts, Russia
// offers, Iran sees it live with its own utility and accepts, and an
// observer follows the transcript live without a utility number.
func TestSAOPAstana(t *testing.T) {
	srv := testServer(t)
	open := browser(t)
	conv := convene(t, open, srv.URL, "saop")
	russiaURL, iranURL, obsURL, convURL := conv.link("participant", "Russia"), conv.link("participant", "Iran"), conv.link("observer", ""), conv.link("convener", "")
	for _, u := range []string{russiaURL, iranURL, obsURL, convURL} {
		if !strings.HasPrefix(u, srv.URL+"/#t=prl_") {
			t.Fatalf("invitation link %q: want %s/#t=prl_…", u, srv.URL)
		}
	}

	russia, iran, obs := open("Russia"), open("Iran"), open("observer")
	russia.open(russiaURL)
	iran.open(iranURL)
	obs.open(obsURL)
	iran.shot("participant-setup")

	console := open("convener console")
	console.open(convURL)
	// The console lists every invitation (the convener's, one per party,
	// the public observer's); all but the convener's own can be revoked.
	sc, err := scenario.Load("../examples/astana.yaml")
	if err != nil {
		t.Fatal(err)
	}
	console.until("the invitations", fmt.Sprintf(`document.querySelectorAll('#invitations tr').length === %d && !document.querySelector('#invitations tr:first-child button') && document.querySelectorAll('#invitations tr button').length === %d`, len(sc.Parties)+2, len(sc.Parties)+1))
	console.click("#start")
	for _, p := range []*person{russia, iran, obs} {
		p.until("the start, live", `document.querySelector('#main').dataset.phase === 'running'`)
		p.until("the deadline countdown", `/^deadline in (59|60)m \d\ds$/.test(document.querySelector('#countdown').textContent)`)
	}

	offer := map[string]string{
		"ceasefire": "nationwide except listed terrorist groups", "zones": "all four zones", "guarantors": "the three plus UN monitors",
		"political_track": "constitutional committee led from Damascus", "foreign_forces": "forces not invited by Damascus leave",
		"humanitarian_access": "regular UN cross-line convoys", "geneva_link": "Astana handles the military track only",
	}
	for issue, v := range offer {
		russia.pick("#pick-"+issue, v)
	}
	want := fmt.Sprintf("%.2f", astanaUtility(t, "Russia", offer))
	russia.until("Russia's live utility of its draft", fmt.Sprintf(`document.querySelector('#draft-utility-value') && document.querySelector('#draft-utility-value').textContent === %q`, want))
	russia.shot("participant-offering")
	russia.click("#offer")

	// Iran's page shows the offer live, with Iran's own utility.
	iran.until("the offer, live", `document.querySelector('#transcript li[data-type=offer]') && document.querySelector('#current-utility')`)
	wantIran := fmt.Sprintf("%.2f", astanaUtility(t, "Iran", offer))
	iran.until("Iran's utility of the offer", fmt.Sprintf(`document.querySelector('#current-utility').textContent === %q`, wantIran))
	if got := eval[string](iran, `document.querySelector('#my-current').textContent`); !strings.Contains(got, "walk-away is 0.55") {
		t.Errorf("Iran's page does not compare the offer with its walk-away 0.55: %q", got)
	}
	iran.shot("participant-offer-received")
	iran.click("#accept")
	iran.until("its acceptance in the transcript", `document.querySelector('#transcript li[data-type=accept]')`)

	obs.until("the acceptance, live", `document.querySelector('#transcript li[data-type=accept]')`)
	obs.until("the offer on the table", `document.querySelector('#current') && document.querySelector('#current').textContent.includes('all four zones')`)
	obs.shot("observer")
	assertNothingPrivate(t, obs)
	assertOwnOnly(t, iran, "Iran", []string{"Russia", "Turkey", "Syrian government", "Syrian armed opposition"})
	assertOwnOnly(t, russia, "Russia", []string{"Iran", "Turkey", "Syrian government", "Syrian armed opposition"})
	if txt := obs.text(); !strings.Contains(txt, "Iran accepted the offer") || !strings.Contains(txt, "Russia offered") {
		t.Errorf("observer's transcript lacks the offer or the acceptance:\n%s", txt)
	}
}

// TestSingleTextAstana: the convener creates the Astana talks under a single
// negotiating text; the mediator (Kazakhstan) sees every party's gains, the
// picture and the fair points, asks the broker for a suggestion and
// publishes it; one participant critiques it naming blocking issues; the
// mediator sees the critique and publishes the Nash point; all five
// participants, each in a browser context of their own, accept it through
// the page; the observer sees the agreement live and nothing private.
func TestSingleTextAstana(t *testing.T) {
	srv := testServer(t)
	open := browser(t)
	conv := convene(t, open, srv.URL, "singletext")
	parties := []string{"Russia", "Iran", "Turkey", "Syrian government", "Syrian armed opposition"}
	nash := astanaNash(t)
	links := map[string]string{}
	for _, p := range parties {
		links[p] = conv.link("participant", p)
	}
	medURL, obsURL, convURL := conv.link("mediator", "Kazakhstan"), conv.link("observer", "United States"), conv.link("convener", "")

	med, obs := open("Kazakhstan"), open("United States")
	med.open(medURL)
	obs.open(obsURL)
	ps := map[string]*person{}
	for _, name := range parties {
		ps[name] = open(name)
		ps[name].open(links[name])
	}
	console := open("convener console")
	console.open(convURL)
	console.click("#start")
	med.until("the start", `document.querySelector('#main').dataset.phase === 'running'`)

	// The mediator's view: every party's gain, the picture, the fair points.
	med.until("the gains table", `document.querySelectorAll('#draft-gains tbody tr').length === 5`)
	med.until("the fair points", `document.querySelector('#fair-table')`)
	med.until("the picture", `document.querySelector('#plot-img').complete && document.querySelector('#plot-img').naturalWidth > 0`)
	med.click("#suggest")
	med.until("the broker's suggestion", `document.querySelector('#use-suggestion')`)
	med.click("#use-suggestion")
	med.do("write a note", chromedp.SetValue(chromedp.CSS("#text-comment"), "First draft for discussion"))
	med.click("#publish")
	med.until("version 1", `document.querySelector('#version-table')`)
	med.shot("mediator")

	// The opposition critiques version 1.
	opp := ps["Syrian armed opposition"]
	opp.until("version 1, live", `document.querySelector('#accept') && document.querySelector('#table-h').textContent.includes('version 1')`)
	opp.do("name blocking issues", chromedp.Click(chromedp.CSS("#block-political_track")), chromedp.SetValue(chromedp.CSS("#critique-comment"), "No transition, no deal"))
	opp.shot("participant-critique")
	opp.click("#critique")
	med.until("the critique, live", `document.querySelector('#version-table') && document.querySelector('#version-table').textContent.includes('No transition, no deal')`)

	// The mediator publishes the Nash point as version 2.
	med.until("the Nash row", `document.querySelector('#fair-0')`)
	if got := eval[string](med, `document.querySelector('#fair-table tbody tr').textContent`); !strings.HasPrefix(got, "Nash") {
		t.Fatalf("first fair point: %q, want Nash", got)
	}
	med.click("#fair-0")
	med.until("the Nash point in the draft", fmt.Sprintf(`document.querySelector('#pick-political_track').value === %q`, nash["political_track"]))
	med.click("#publish")
	for _, name := range parties {
		p := ps[name]
		p.until("version 2, live", `document.querySelector('#accept') && document.querySelector('#table-h').textContent.includes('version 2')`)
		want := fmt.Sprintf("%.2f", astanaUtility(t, name, nash))
		p.until("its own utility of version 2", fmt.Sprintf(`document.querySelector('#current-utility') && document.querySelector('#current-utility').textContent === %q`, want))
		p.until("its own utility in the versions table", fmt.Sprintf(`document.querySelector('#version-table td[data-version="2"]') && document.querySelector('#version-table td[data-version="2"]').textContent.endsWith(%q)`, want))
		if name == "Turkey" {
			p.shot("participant-version-2")
		}
		p.click("#accept")
	}
	for _, p := range []*person{med, obs, ps["Iran"]} {
		p.until("the agreement, live", `document.querySelector('#main').dataset.phase === 'agreement' && document.querySelector('#transcript li[data-type=agreement]')`)
	}
	obs.shot("observer-agreement")
	med.shot("mediator-agreement")
	assertNothingPrivate(t, obs)
	for _, name := range parties {
		var others []string
		for _, o := range parties {
			if o != name {
				others = append(others, o)
			}
		}
		assertOwnOnly(t, ps[name], name, others)
	}
	if txt := obs.text(); strings.Contains(txt, "No transition") {
		t.Errorf("the observer sees the opposition's critique")
	}
	// The same agreement on a phone-size screen.
	phone := ps["Iran"]
	phone.do("phone-size viewport", chromedp.EmulateViewport(390, 844))
	phone.until("the phone layout", `window.innerWidth === 390`)
	if w := eval[int](phone, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("on a 390 px wide screen the page is %d px wide: it scrolls sideways", w)
	}
	phone.shot("participant-phone")
}

// TestFormAndPreferences: a convener defines the issues and parties in the
// form (no preferences); each participant enters its own preferences with
// sliders, the buyer by keyboard alone; the buyer offers, the seller sees
// what the offer is worth to it and accepts; the public observer sees the
// agreement.
func TestFormAndPreferences(t *testing.T) {
	srv := testServer(t)
	open := browser(t)
	conv := open("convener")
	conv.open(srv.URL + "/")
	conv.click(`input[name=source][value=form]`)
	if eval[bool](conv, `document.querySelector('#example').offsetParent !== null`) {
		t.Errorf("the example picker still shows once the form is chosen")
	}
	conv.do("set the deadline", chromedp.SetValue(chromedp.CSS("#duration"), "30m"), chromedp.SetValue(chromedp.CSS("#title"), "Supply contract"))
	conv.shot("form")
	conv.click("#create")
	conv.until("the invitation links", `document.querySelector('#links input[data-party="Seller"]')`)
	buyerURL, sellerURL, obsURL, convURL := conv.link("participant", "Buyer"), conv.link("participant", "Seller"), conv.link("observer", ""), conv.link("convener", "")

	buyer, seller, obs := open("Buyer"), open("Seller"), open("observer")
	buyer.open(buyerURL)
	seller.open(sellerURL)
	obs.open(obsURL)

	// The buyer, by keyboard: price matters more (5 → 8); low is best
	// (5 → 10), high worst (5 → 0); walk away below 0.50.
	buyer.until("the preferences form", `document.querySelector('#pref-form')`)
	eval[bool](buyer, `document.activeElement.blur(), true`)
	buyer.do("Tab from the top", chromedp.KeyEvent(kb.Tab))
	if got := eval[string](buyer, `document.activeElement.textContent`); got != "Skip to content" {
		t.Errorf("the first Tab stop is %q, want the skip link", got)
	}
	press := func(sel, key string, n int) {
		steps := []chromedp.Action[chromedp.Void]{chromedp.Focus(chromedp.CSS(sel))}
		for range n {
			steps = append(steps, chromedp.KeyEvent(key))
		}
		buyer.do("keys on "+sel, steps...)
	}
	press("#w-price", kb.ArrowRight, 3)
	press("#r-price-0", kb.ArrowRight, 5)
	press("#r-price-2", kb.ArrowLeft, 5)
	press("#reservation", kb.ArrowRight, 10)
	if got := eval[string](buyer, `[document.querySelector('#w-price').value, document.querySelector('#r-price-0').value, document.querySelector('#r-price-2').value, document.querySelector('#reservation-out').textContent].join(' ')`); got != "8 10 0 0.50" {
		t.Fatalf("the keyboard set the sliders to %q, want \"8 10 0 0.50\"", got)
	}
	buyer.shot("preferences")
	press("#save-prefs", kb.Enter, 1)
	buyer.until("the preferences saved", `document.querySelector('#prefs') && document.querySelector('#prefs').textContent.includes('0.50')`)

	// The seller, by mouse: high is best, low worst.
	seller.until("the preferences form", `document.querySelector('#pref-form')`)
	seller.do("rate the prices", chromedp.SetValue(chromedp.CSS("#r-price-0"), "0"), chromedp.SetValue(chromedp.CSS("#r-price-2"), "10"))
	seller.click("#save-prefs")
	seller.until("the preferences saved", `document.querySelector('#prefs table')`)

	console := open("convener console")
	console.open(convURL)
	console.click("#start")
	buyer.until("the start", `document.querySelector('#main').dataset.phase === 'running' && document.querySelector('#offer') && !document.querySelector('#offer').disabled`)
	buyer.pick("#pick-price", "medium")
	buyer.pick("#pick-delivery", "1 week")
	// Buyer: 8/13·0.5 + 5/13·1 = 9/13.
	buyer.until("the live utility of the draft", `document.querySelector('#draft-utility-value').textContent === '0.69'`)
	press("#offer", kb.Enter, 1)
	// Seller: price weight 5/10, medium 0.5; delivery 5/10, 1.
	seller.until("the offer and its worth to the seller", `document.querySelector('#current-utility') && document.querySelector('#current-utility').textContent === '0.75'`)
	seller.click("#accept")
	obs.until("the agreement, live", `document.querySelector('#main').dataset.phase === 'agreement'`)
	if txt := obs.text(); !strings.Contains(txt, "price: medium") || !strings.Contains(txt, "Agreement") {
		t.Errorf("observer's page lacks the agreement:\n%s", txt)
	}
	obs.shot("observer-agreement")
	assertNothingPrivate(t, obs)
	assertOwnOnly(t, seller, "Seller", []string{"Buyer"})
}

// TestBrokerAndDeadline: under the automatic broker the first text appears
// on a participant's page as soon as the convener starts, with what it is
// worth to that participant; the participant critiques it; when the
// deadline passes every page shows it live.
func TestBrokerAndDeadline(t *testing.T) {
	srv := testServer(t)
	open := browser(t)
	conv := open("convener")
	conv.open(srv.URL + "/")
	conv.until("the examples", `document.querySelector('#example option[value=astana]')`)
	conv.pick("#protocol", "broker")
	conv.do("a short deadline", chromedp.SetValue(chromedp.CSS("#duration"), "15s"))
	conv.click("#create")
	conv.until("the invitation links", `document.querySelector('#links input[data-party="Turkey"]')`)
	if n := eval[int](conv, `document.querySelectorAll('#links input[data-role=mediator]').length`); n != 0 {
		t.Errorf("the broker protocol got %d mediator links; the broker mediates", n)
	}
	turkey, obs := open("Turkey"), open("observer")
	turkey.open(conv.link("participant", "Turkey"))
	obs.open(conv.link("observer", ""))
	console := open("convener console")
	console.open(conv.link("convener", ""))
	console.click("#start")
	turkey.until("the broker's first text with Turkey's utility", `document.querySelector('#table-h').textContent.includes('version 1') && document.querySelector('#current-utility')`)
	turkey.click("#block-foreign_forces")
	turkey.click("#critique")
	turkey.until("its critique in the transcript", `document.querySelector('#transcript li[data-type=critique]')`)
	turkey.shot("broker-text")
	for _, p := range []*person{turkey, obs, console} {
		p.until("the deadline, live", `document.querySelector('#main').dataset.phase === 'timed_out' && document.querySelector('#transcript li[data-type=timeout]')`)
	}
	if got := eval[string](turkey, `document.querySelector('#actions').textContent`); !strings.Contains(got, "over (timed out)") {
		t.Errorf("Turkey's page after the deadline: %q", got)
	}
	obs.shot("timed-out")
	assertNothingPrivate(t, obs)
}

// TestUpload: a convener uploads a scenario file through the form; the
// negotiation gets one link per party of that file.
func TestUpload(t *testing.T) {
	srv := testServer(t)
	open := browser(t)
	conv := open("convener")
	conv.open(srv.URL + "/")
	conv.click(`input[name=source][value=upload]`)
	path, err := filepath.Abs("../examples/us-russia.yaml")
	if err != nil {
		t.Fatal(err)
	}
	conv.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#upload"), []string{path}))
	conv.click("#create")
	conv.until("the invitation links", `document.querySelector('#links input[data-party="United States"]')`)
	for _, want := range [][2]string{{"participant", "United States"}, {"participant", "Russia"}, {"mediator", "Kazakhstan"}} {
		if l := conv.link(want[0], want[1]); !strings.Contains(l, "/#t=prl_") {
			t.Errorf("%s link for %s: %q", want[0], want[1], l)
		}
	}
}
