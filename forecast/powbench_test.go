package forecast

import "testing"

// BenchmarkCorrectlyRoundedPow times the pure-Go pow used without cgo.
func BenchmarkCorrectlyRoundedPow(b *testing.B) {
	x := 0.0
	i := 0
	for b.Loop() {
		x += crPow(0.3+float64(i&1023)*1e-4, 1.37)
		i++
	}
	_ = x
}
