//go:build !cgo

package forecast

// libmPow reports whether powBatch uses the C library's pow. Without cgo it
// uses crPow, which is correctly rounded: it matches a correctly rounded
// libm exactly and glibc ≥ 2.28 except in about 0.1% of calls (last bit).
const libmPow = false

// powBatch sets z[i] = x[i]**y[i], correctly rounded.
func powBatch(x, y, z []float64) {
	for i := range x {
		z[i] = crPow(x[i], y[i])
	}
}
