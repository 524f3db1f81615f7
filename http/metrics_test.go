package httpapi

import (
	"testing"
	"time"
)

// BenchmarkObserve measures recording one request in the metrics, from every
// core at once as the server does: routes, statuses and durations vary as in
// a busy server.
func BenchmarkObserve(b *testing.B) {
	routes := []string{"POST /v1/negotiations/{id}/offers", "GET /v1/negotiations/{id}", "POST /v1/negotiations/{id}/accept", "GET /v1/negotiations/{id}/events"}
	statuses := []int{200, 200, 200, 409}
	durations := []time.Duration{300 * time.Microsecond, 2 * time.Millisecond, 7 * time.Millisecond, 40 * time.Millisecond, 2 * time.Second}
	m := newMetrics()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.observe(routes[i%len(routes)], statuses[i%len(statuses)], durations[i%len(durations)])
			i++
		}
	})
}
