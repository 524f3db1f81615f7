//go:build cgo

package forecast

// #cgo LDFLAGS: -lm
// #include <math.h>
// static void parley_powv(const double *x, const double *y, double *z, int n) {
//   for (int i = 0; i < n; i++) z[i] = pow(x[i], y[i]);
// }
import "C"

import "unsafe"

// libmPow reports whether powBatch uses the C library's pow. CPython's float
// ** operator calls it, so the faithful model matches the replication bit
// for bit on the same platform, including the rare last-bit rounding of
// glibc's pow (which is not correctly rounded).
const libmPow = true

// powBatch sets z[i] = x[i]**y[i] with the C library's pow, in one cgo call.
func powBatch(x, y, z []float64) {
	if len(x) == 0 {
		return
	}
	C.parley_powv((*C.double)(unsafe.Pointer(&x[0])), (*C.double)(unsafe.Pointer(&y[0])),
		(*C.double)(unsafe.Pointer(&z[0])), C.int(len(x)))
}
