package httpapi

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// buckets are the latency histogram's upper bounds in seconds.
var buckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5}

// metrics counts requests per route and status, with a latency histogram per
// route, in the Prometheus text format.
type metrics struct {
	mu       sync.Mutex
	requests map[requestKey]int64
	hist     map[string]*histogram
}

// requestKey is a route and a status.
type requestKey struct {
	route  string
	status int
}

type histogram struct {
	counts []int64 // per bucket, not cumulative
	sum    float64
	n      int64
}

func newMetrics() *metrics {
	return &metrics{requests: map[requestKey]int64{}, hist: map[string]*histogram{}}
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{route, status}]++
	h := m.hist[route]
	if h == nil {
		h = &histogram{counts: make([]int64, len(buckets)+1)}
		m.hist[route] = h
	}
	sec := d.Seconds()
	i := sort.SearchFloat64s(buckets, sec)
	h.counts[i]++
	h.sum += sec
	h.n++
}

func label(s string) string { return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) }

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	m := s.metrics
	m.mu.Lock()
	var b strings.Builder
	b.WriteString("# HELP parley_http_requests_total HTTP requests by route and status.\n# TYPE parley_http_requests_total counter\n")
	keys := slices.Collect(maps.Keys(m.requests))
	order := func(k requestKey) string { return k.route + strconv.Itoa(k.status) }
	slices.SortFunc(keys, func(a, b requestKey) int { return strings.Compare(order(a), order(b)) })
	for _, k := range keys {
		fmt.Fprintf(&b, "parley_http_requests_total{route=\"%s\",status=\"%d\"} %d\n", label(k.route), k.status, m.requests[k])
	}
	b.WriteString("# HELP parley_http_request_duration_seconds HTTP request latency by route.\n# TYPE parley_http_request_duration_seconds histogram\n")
	routes := make([]string, 0, len(m.hist))
	for k := range m.hist {
		routes = append(routes, k)
	}
	sort.Strings(routes)
	for _, rt := range routes {
		h := m.hist[rt]
		var cum int64
		for i, ub := range buckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "parley_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %d\n", label(rt), ub, cum)
		}
		fmt.Fprintf(&b, "parley_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %d\n", label(rt), h.n)
		fmt.Fprintf(&b, "parley_http_request_duration_seconds_sum{route=\"%s\"} %g\n", label(rt), h.sum)
		fmt.Fprintf(&b, "parley_http_request_duration_seconds_count{route=\"%s\"} %d\n", label(rt), h.n)
	}
	m.mu.Unlock()
	fmt.Fprintf(&b, "# HELP parley_events_stored_total Events stored.\n# TYPE parley_events_stored_total counter\nparley_events_stored_total %d\n", s.svc.Actions.Load())
	fmt.Fprintf(&b, "# HELP parley_commits_total Batches committed.\n# TYPE parley_commits_total counter\nparley_commits_total %d\n", s.svc.Commits.Load())
	fmt.Fprintf(&b, "# HELP parley_sse_subscribers Live event stream subscribers.\n# TYPE parley_sse_subscribers gauge\nparley_sse_subscribers %d\n", s.svc.Subscribers.Load())
	fmt.Fprintf(&b, "# HELP parley_sse_dropped_total Subscribers dropped for falling behind.\n# TYPE parley_sse_dropped_total counter\nparley_sse_dropped_total %d\n", s.svc.Dropped.Load())
	fmt.Fprintf(&b, "# HELP parley_replica_caught_up_events_total Events applied from the store rather than from this server's commits (written by another replica).\n# TYPE parley_replica_caught_up_events_total counter\nparley_replica_caught_up_events_total %d\n", s.svc.CaughtUp.Load())
	fmt.Fprintf(&b, "# HELP parley_replica_retries_total Decisions taken again after another replica wrote first.\n# TYPE parley_replica_retries_total counter\nparley_replica_retries_total %d\n", s.svc.Retries.Load())
	b.WriteString("# HELP parley_negotiations Negotiations by phase.\n# TYPE parley_negotiations gauge\n")
	ph := s.svc.Phases()
	names := make([]string, 0, len(ph))
	for p := range ph {
		names = append(names, string(p))
	}
	sort.Strings(names)
	for _, p := range names {
		fmt.Fprintf(&b, "parley_negotiations{phase=\"%s\"} %d\n", label(p), ph[livePhase(p)])
	}
	w.Write([]byte(b.String()))
}
