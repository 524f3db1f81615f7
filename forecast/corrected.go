package forecast

import "math"

// bestCorrected is the corrected choice of offer for actor i: confrontation
// (B > A > 0 → x_j), compromise (B > 0 > A, B > |A| → x_i + (x_j − x_i)|A/B|)
// and capitulation (B > 0 > A, B < |A| → x_j) all enter one pool, and the
// offer that moves i least wins; ties go to the earliest actor. Targets are
// kept between x_i and x_j despite rounding.
func (e *engine) bestCorrected(i int) (offer, bool) {
	var best offer
	var have bool
	var bestKey float64
	xi := e.x[i]
	for j := 0; j < e.n; j++ {
		xj := e.x[j]
		if xj == xi {
			continue
		}
		a, b := e.expected(i, j)
		var o offer
		switch classify(a, b, Corrected) {
		case Confrontation:
			o = offer{from: j, kind: Confrontation, target: xj, a: a, b: b}
		case Compromise:
			t := xi + (xj-xi)*math.Abs(a/b)
			t = math.Max(math.Min(xi, xj), math.Min(math.Max(xi, xj), t))
			o = offer{from: j, kind: Compromise, target: t, a: a, b: b}
		case Capitulation:
			o = offer{from: j, kind: Capitulation, target: xj, a: a, b: b}
		default:
			continue
		}
		key := math.Abs(o.target - xi)
		if !have || key < bestKey {
			best, bestKey, have = o, key, true
		}
	}
	return best, have
}
