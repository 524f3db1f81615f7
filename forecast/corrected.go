package forecast

import "math"

// chooseCorrected is the corrected choice among the bids an actor at xi
// receives (in actor order): confrontation (B > A > 0 → x_j), compromise
// (B > 0 > A, B > |A| → x_i + (x_j − x_i)|A/B|) and capitulation
// (B > 0 > A, B < |A| → x_j) all enter one pool, and the offer that moves
// the actor least wins; ties go to the earliest actor. Targets are kept
// between x_i and x_j despite rounding.
func chooseCorrected(xi float64, bids []bid) (offer, bool) {
	var best offer
	var have bool
	var bestKey float64
	for _, bd := range bids {
		a, b, xj := bd.a, bd.b, bd.x
		var o offer
		switch classify(a, b, Corrected) {
		case Confrontation:
			o = offer{from: bd.from, kind: Confrontation, target: xj, a: a, b: b}
		case Compromise:
			t := xi + (xj-xi)*math.Abs(a/b)
			t = math.Max(math.Min(xi, xj), math.Min(math.Max(xi, xj), t))
			o = offer{from: bd.from, kind: Compromise, target: t, a: a, b: b}
		case Capitulation:
			o = offer{from: bd.from, kind: Capitulation, target: xj, a: a, b: b}
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
