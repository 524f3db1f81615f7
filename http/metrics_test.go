package httpapi

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/memstore"
	"parley/service"
)

// sampleLine is a sample of the Prometheus text format: a metric name,
// labels and a value.
var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (\S+)$`)

// parseSamples checks that text is in the Prometheus text format (HELP and
// TYPE comments and samples) and returns its samples by name and labels,
// as written.
func parseSamples(t *testing.T, text string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %d is not a sample: %q", i+1, line)
		}
		key := m[1] + m[2]
		if _, dup := out[key]; dup {
			t.Fatalf("line %d repeats %s", i+1, key)
		}
		out[key] = m[3]
	}
	return out
}

// TestMetricsCounts drives requests of known routes, statuses and durations
// through the metrics from several goroutines and checks every sample
// written against counts and cumulative buckets computed here from the
// same requests: durations on and just past the bucket bounds, statuses
// outside 100–599 and a route outside the table (with characters to
// escape in its label) included.
func TestMetricsCounts(t *testing.T) {
	const offers, get = "POST /v1/negotiations/{id}/offers", "GET /v1/negotiations/{id}"
	const odd = "GET /odd \"quoted\" \\ path\nline"
	const oddLabel = `GET /odd \"quoted\" \\ path\nline`
	m := newMetrics([]string{offers, get, "GET /v1/me"})
	les := []float64{0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5} // the documented buckets
	durations := []time.Duration{0, 1, time.Millisecond, time.Millisecond + 1, 2500 * time.Microsecond, 4999999, 5 * time.Millisecond,
		10 * time.Millisecond, 20*time.Millisecond + 1, 50 * time.Millisecond, 99 * time.Millisecond, 250 * time.Millisecond,
		500 * time.Millisecond, time.Second, 5 * time.Second, 5*time.Second + 1, time.Hour}
	statuses := []int{200, 200, 201, 404, 409, 500, 99, 799}
	routes := []string{offers, get, odd}
	type req struct {
		route  string
		status int
		d      time.Duration
	}
	const n = 5000
	reqs := make([]req, n)
	for i := range reqs {
		reqs[i] = req{routes[i%len(routes)], statuses[(i/3)%len(statuses)], durations[(i*7)%len(durations)]}
	}

	// Expected samples, computed from reqs with floating-point seconds.
	want := map[string]string{}
	total := map[string]int64{}
	sum := map[string]time.Duration{}
	perStatus := map[string]int64{}
	cum := map[string][]int64{}
	for _, r := range reqs {
		lbl := r.route
		if r.route == odd {
			lbl = oddLabel
		}
		perStatus[fmt.Sprintf(`parley_http_requests_total{route="%s",status="%d"}`, lbl, r.status)]++
		total[lbl]++
		sum[lbl] += r.d
		if cum[lbl] == nil {
			cum[lbl] = make([]int64, len(les))
		}
		for i, le := range les {
			if r.d.Seconds() <= le {
				cum[lbl][i]++
			}
		}
	}
	for k, v := range perStatus {
		want[k] = strconv.FormatInt(v, 10)
	}
	for lbl, c := range cum {
		for i, le := range les {
			want[fmt.Sprintf(`parley_http_request_duration_seconds_bucket{route="%s",le="%s"}`, lbl, strconv.FormatFloat(le, 'g', -1, 64))] = strconv.FormatInt(c[i], 10)
		}
		want[fmt.Sprintf(`parley_http_request_duration_seconds_bucket{route="%s",le="+Inf"}`, lbl)] = strconv.FormatInt(total[lbl], 10)
		want[fmt.Sprintf(`parley_http_request_duration_seconds_count{route="%s"}`, lbl)] = strconv.FormatInt(total[lbl], 10)
	}

	// Four goroutines, through both ways of recording (by name, and by the
	// index the server's handlers look up once).
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < n; i += 4 {
				if r := reqs[i]; i%2 == 0 || m.route(r.route) < 0 {
					m.observe(r.route, r.status, r.d)
				} else {
					m.observeRoute(m.route(r.route), r.status, r.d)
				}
			}
		})
	}
	wg.Wait()

	var b strings.Builder
	m.write(&b)
	got := parseSamples(t, b.String())
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %s", k, got[k], v)
		}
	}
	for lbl, s := range sum {
		k := fmt.Sprintf(`parley_http_request_duration_seconds_sum{route="%s"}`, lbl)
		g, err := strconv.ParseFloat(got[k], 64)
		if err != nil || math.Abs(g-s.Seconds()) > 1e-9*s.Seconds() {
			t.Errorf("%s = %q, want %v", k, got[k], s.Seconds())
		}
	}
	if len(got) != len(want)+len(sum) {
		t.Errorf("%d samples, want %d (a route never requested has none):\n%s", len(got), len(want)+len(sum), b.String())
	}
	if t.Failed() {
		t.Log(b.String())
	}
}

// TestMetricsServed: requests through the server are counted per route and
// status on GET /metrics.
func TestMetricsServed(t *testing.T) {
	st := memstore.New()
	svc, err := service.Open(context.Background(), st, service.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	s := New(svc, Options{})
	for _, path := range []string{"/v1/examples", "/v1/examples", "/v1/me"} { // /v1/me without a token: 401
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	got := parseSamples(t, rec.Body.String())
	for k, v := range map[string]string{
		`parley_http_requests_total{route="GET /v1/examples",status="200"}`:             "2",
		`parley_http_requests_total{route="GET /v1/me",status="401"}`:                   "1",
		`parley_http_request_duration_seconds_count{route="GET /v1/examples"}`:          "2",
		`parley_http_request_duration_seconds_bucket{route="GET /v1/me",le="+Inf"}`:     "1",
		`parley_http_request_duration_seconds_count{route="POST /v1/negotiations"}`:     "",
		`parley_http_requests_total{route="POST /v1/negotiations",status="201"}`:        "",
		`parley_http_request_duration_seconds_count{route="GET /v1/negotiations/{id}"}`: "",
	} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// BenchmarkObserve measures recording one request in the metrics, from every
// core at once as the server does: routes, statuses and durations vary as in
// a busy server.
func BenchmarkObserve(b *testing.B) {
	routes := []string{"POST /v1/negotiations/{id}/offers", "GET /v1/negotiations/{id}", "POST /v1/negotiations/{id}/accept", "GET /v1/negotiations/{id}/events"}
	statuses := []int{200, 200, 200, 409}
	durations := []time.Duration{300 * time.Microsecond, 2 * time.Millisecond, 7 * time.Millisecond, 40 * time.Millisecond, 2 * time.Second}
	m := newMetrics(routes)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.observe(routes[i%len(routes)], statuses[i%len(statuses)], durations[i%len(durations)])
			i++
		}
	})
}
