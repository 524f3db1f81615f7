package forecast

import "math"

// chooseFaithful is the replication's choice among the bids an actor at xi
// receives (in actor order): confrontations (B > A > 0) beat compromises
// (B > 0 > A, B > |A|), which are ranked by the signed point
// (|A| x_i + |B| x_j)/(|A| + |B|) rather than by movement; the capitulation
// branch is dead (its test B < |B| never holds); ties go to the earliest
// actor.
func chooseFaithful(xi float64, bids []bid) (offer, bool) {
	var conf, comp offer
	var haveConf, haveComp bool
	var confKey, compKey float64
	for _, bd := range bids {
		a, b, xj := bd.a, bd.b, bd.x
		switch classify(a, b, Faithful) {
		case Confrontation:
			key := math.Abs(xi - xj)
			if !haveConf || key < confKey {
				conf, confKey, haveConf = offer{from: bd.from, kind: Confrontation, target: xj, a: a, b: b}, key, true
			}
		case Compromise:
			target := xi + float64((xj-xi)*math.Abs(a/b))
			key := (float64(math.Abs(a)*xi) + float64(math.Abs(b)*xj)) / (math.Abs(a) + math.Abs(b))
			if !haveComp || key < compKey {
				comp, compKey, haveComp = offer{from: bd.from, kind: Compromise, target: target, a: a, b: b}, key, true
			}
		}
	}
	switch {
	case haveConf:
		return conf, true
	case haveComp:
		return comp, true
	}
	return offer{}, false
}

// classify names the offer that actor i receives from j given A = E^i(U_ij)
// and B = E^i(U_ji), or "" for none. Faithful mode keeps the replication's
// capitulation test B < |B|, which never holds.
func classify(a, b float64, mode Mode) MoveKind {
	switch {
	case b > a && a > 0:
		return Confrontation
	case b > 0 && 0 > a && b > math.Abs(a):
		return Compromise
	case mode == Faithful && b > 0 && 0 > a && b < math.Abs(b):
		return Capitulation // dead code in the replication, kept as written
	case mode == Corrected && b > 0 && 0 > a && b < math.Abs(a):
		return Capitulation
	}
	return ""
}
