package httpapi

import (
	"cmp"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// bounds are the latency histogram's upper bounds (the buckets' le labels
// are their values in seconds). A request of exactly a bound's duration
// falls in that bound's bucket.
var bounds = [...]time.Duration{
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 5 * time.Second,
}

// bucket returns the index of the histogram bucket of a duration:
// len(bounds) for one over every bound.
func bucket(d time.Duration) int {
	i := 0
	for i < len(bounds) && d > bounds[i] {
		i++
	}
	return i
}

// statusIndex numbers the statuses counted without a lock, those net/http
// names, from 1 (0 for the others, which Parley never sends); nStatus is
// how many there are.
var statusIndex, nStatus = func() (idx [600]uint8, n int) {
	for code := range idx {
		if http.StatusText(code) != "" {
			n++
			idx[code] = uint8(n)
		}
	}
	return idx, n
}()

// metrics counts requests per route and status, with a latency histogram per
// route, in the Prometheus text format.
//
// The route table's routes get their counters when the server is built, in
// shards that a sync.Pool hands out: a P (a processor running goroutines)
// gets back the shard it put, so recording a request takes atomic
// additions to counters that other cores seldom touch, and no lock.
// Routes outside the table and statuses net/http does not name are counted
// under a lock.
type metrics struct {
	// index numbers the table's routes (in names and in shard.routes);
	// neither changes after newMetrics, so both are read without a lock.
	index  map[string]int
	names  []string
	shards []*shard
	pool   sync.Pool     // of *shard
	next   atomic.Uint32 // the shard the pool hands out when it holds none

	mu    sync.Mutex
	other map[requestKey]int64  // requests not counted in the shards
	hist  map[string]*histogram // latencies of routes outside the table
}

// requestKey is a route and a status.
type requestKey struct {
	route  string
	status int
}

// histogram is the latency histogram of a route outside the table.
type histogram struct {
	counts [len(bounds) + 1]int64 // per bucket, not cumulative
	sum    time.Duration
}

// shard is a set of counters for every route of the table.
type shard struct {
	routes []routeCounters
}

// routeCounters are one route's counters in one shard.
type routeCounters struct {
	// status counts requests per status (index statusIndex[status]-1).
	status []atomic.Int64
	// buckets counts requests per latency bucket, not cumulative: bucket i
	// for durations in (bounds[i-1], bounds[i]], the last for those over
	// every bound.
	buckets [len(bounds) + 1]atomic.Int64
	// sum is the total latency in nanoseconds.
	sum atomic.Int64
}

// newMetrics returns metrics with counters for the given routes
// ("METHOD /path").
func newMetrics(routes []string) *metrics {
	m := &metrics{index: make(map[string]int, len(routes)), names: slices.Clone(routes),
		other: map[requestKey]int64{}, hist: map[string]*histogram{}}
	for i, r := range routes {
		m.index[r] = i
	}
	// As many shards as Ps: each P may keep one. (More Ps later share.)
	m.shards = make([]*shard, runtime.GOMAXPROCS(0))
	for i := range m.shards {
		sh := &shard{routes: make([]routeCounters, len(routes))}
		for j := range sh.routes {
			sh.routes[j].status = make([]atomic.Int64, nStatus)
		}
		m.shards[i] = sh
	}
	m.pool.New = func() any { return m.shards[int(m.next.Add(1))%len(m.shards)] }
	return m
}

// route returns the index of a route of the table, or -1.
func (m *metrics) route(name string) int {
	if i, ok := m.index[name]; ok {
		return i
	}
	return -1
}

// observe records a request of the named route: its status and its
// duration. The server's handlers call observeRoute with the index they
// looked up when the server was built.
func (m *metrics) observe(route string, status int, d time.Duration) {
	if i := m.route(route); i >= 0 {
		m.observeRoute(i, status, d)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.other[requestKey{route, status}]++
	h := m.hist[route]
	if h == nil {
		h = &histogram{}
		m.hist[route] = h
	}
	h.counts[bucket(d)]++
	h.sum += d
}

// observeRoute records a request of the route with the given index.
func (m *metrics) observeRoute(route, status int, d time.Duration) {
	sh := m.pool.Get().(*shard)
	c := &sh.routes[route]
	c.buckets[bucket(d)].Add(1)
	c.sum.Add(int64(d))
	if status >= 0 && status < len(statusIndex) && statusIndex[status] > 0 {
		c.status[statusIndex[status]-1].Add(1)
	} else {
		m.mu.Lock()
		m.other[requestKey{m.names[route], status}]++
		m.mu.Unlock()
	}
	m.pool.Put(sh)
}

// routeTotals are a route's counts summed over the shards and the locked
// counters.
type routeTotals struct {
	route    string
	statuses map[int]int64
	buckets  [len(bounds) + 1]int64
	sum      time.Duration
}

// totals returns every route's counts, sorted by route, leaving out the
// routes never requested. A request recorded meanwhile may be counted in
// some figures and not yet in others.
func (m *metrics) totals() []*routeTotals {
	var out []*routeTotals
	for i, name := range m.names {
		t := &routeTotals{route: name, statuses: map[int]int64{}}
		for _, sh := range m.shards {
			c := &sh.routes[i]
			for code, idx := range statusIndex {
				if idx > 0 {
					if n := c.status[idx-1].Load(); n > 0 {
						t.statuses[code] += n
					}
				}
			}
			for b := range c.buckets {
				t.buckets[b] += c.buckets[b].Load()
			}
			t.sum += time.Duration(c.sum.Load())
		}
		out = append(out, t)
	}
	m.mu.Lock()
	byRoute := map[string]*routeTotals{}
	for _, t := range out {
		byRoute[t.route] = t
	}
	for name, h := range m.hist {
		t := &routeTotals{route: name, statuses: map[int]int64{}, buckets: h.counts, sum: h.sum}
		byRoute[name] = t
		out = append(out, t)
	}
	for k, n := range m.other {
		byRoute[k.route].statuses[k.status] += n
	}
	m.mu.Unlock()
	out = slices.DeleteFunc(out, func(t *routeTotals) bool { return len(t.statuses) == 0 })
	slices.SortFunc(out, func(a, b *routeTotals) int { return strings.Compare(a.route, b.route) })
	return out
}

// write appends the request counters and latency histograms in the
// Prometheus text format.
func (m *metrics) write(b *strings.Builder) {
	routes := m.totals()
	b.WriteString("# HELP parley_http_requests_total HTTP requests by route and status.\n# TYPE parley_http_requests_total counter\n")
	for _, t := range routes {
		codes := make([]int, 0, len(t.statuses))
		for code := range t.statuses {
			codes = append(codes, code)
		}
		slices.SortFunc(codes, cmp.Compare)
		for _, code := range codes {
			fmt.Fprintf(b, "parley_http_requests_total{route=\"%s\",status=\"%d\"} %d\n", label(t.route), code, t.statuses[code])
		}
	}
	b.WriteString("# HELP parley_http_request_duration_seconds HTTP request latency by route.\n# TYPE parley_http_request_duration_seconds histogram\n")
	for _, t := range routes {
		var cum int64
		for i, ub := range bounds {
			cum += t.buckets[i]
			fmt.Fprintf(b, "parley_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %d\n", label(t.route), ub.Seconds(), cum)
		}
		cum += t.buckets[len(bounds)]
		fmt.Fprintf(b, "parley_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %d\n", label(t.route), cum)
		fmt.Fprintf(b, "parley_http_request_duration_seconds_sum{route=\"%s\"} %g\n", label(t.route), t.sum.Seconds())
		fmt.Fprintf(b, "parley_http_request_duration_seconds_count{route=\"%s\"} %d\n", label(t.route), cum)
	}
}

func label(s string) string { return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) }

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	var b strings.Builder
	s.metrics.write(&b)
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
