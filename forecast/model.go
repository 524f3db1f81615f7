package forecast

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"parley"
)

// DefaultRounds is the number of rounds run when Options.Rounds is 0, as in
// Scholz et al.
const DefaultRounds = 10

// ErrDegenerate is wrapped by the faithful model's errors on inputs where the
// replication divides by zero: all actors at one position, a lone actor,
// equal danger for every actor, or zero total capability×salience.
var ErrDegenerate = errors.New("degenerate input")

// ErrConverged is wrapped by the faithful model's error when every actor
// holds one position, from the start or after moving there: the replication
// divides by zero in the next round. The rounds before it are a complete
// forecast (everyone agrees); the error wraps ErrDegenerate too.
var ErrConverged = fmt.Errorf("%w: all actors hold one position", ErrDegenerate)

// Options configure a run of the model.
type Options struct {
	// Rounds is the number of bargaining rounds (0 means DefaultRounds;
	// negative means none: only the initial state).
	Rounds int
	// Mode is Faithful or Corrected ("" means Faithful).
	Mode Mode
}

func (o Options) rounds() int {
	switch {
	case o.Rounds == 0:
		return DefaultRounds
	case o.Rounds < 0:
		return 0
	}
	return o.Rounds
}

// Run forecasts one issue: round 0 is the initial state, then each round
// recomputes the risk exponents, every actor picks its best offer and all
// move at once. In faithful mode a degenerate input returns an error
// wrapping ErrDegenerate together with the rounds computed before it.
func Run(in Input, opt Options) (*Result, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	mode, err := ParseMode(string(opt.Mode))
	if err != nil {
		return nil, parley.Errorf(parley.EINVALID, "%v", err)
	}
	var e engine
	e.reset(&in, mode, true)
	res := &Result{Issue: in.Issue, Mode: mode, Actors: make([]string, e.n)}
	for i, a := range in.Actors {
		res.Actors[i] = a.Name
	}
	med, mean, err := e.summary()
	if err != nil {
		return res, fmt.Errorf("forecast %q, round 0: %w", in.Issue, err)
	}
	res.Rounds = append(res.Rounds, Round{Round: 0, Positions: append([]float64(nil), e.x...), Median: med, Mean: mean})
	for k := 1; k <= opt.rounds(); k++ {
		if err := e.round(); err != nil {
			err = fmt.Errorf("forecast %q, round %d: %w", in.Issue, k, err)
			res.Stopped = err.Error()
			return res, err
		}
		med, mean, err := e.summary()
		if err != nil {
			return res, fmt.Errorf("forecast %q, round %d: %w", in.Issue, k, err)
		}
		res.Rounds = append(res.Rounds, Round{
			Round: k, Positions: append([]float64(nil), e.x...), Risk: append([]float64(nil), e.r...),
			Median: med, Mean: mean, Moves: e.moves,
		})
		e.moves = nil
	}
	return res, nil
}

// engine holds the model's state and scratch space; Monte-Carlo workers
// reuse one engine across runs.
//
// Bit-exactness: every sum runs left to right in actor order, as in the
// replication, and every product that is then added is wrapped in
// float64(…): the Go spec lets a compiler fuse x*y+z into one FMA (it does
// on arm64), and an explicit conversion forbids it.
type engine struct {
	n      int
	mode   Mode
	record bool
	names  []string
	cs     []float64 // c_a·s_a
	s      []float64
	x      []float64
	r      []float64
	span   float64   // R, fixed at the initial range
	d      []float64 // d[a*n+b] = (|x_a−x_b|/R)^r_a
	us, uf []float64 // utilities of success and failure, perspective i, pair (i, j)
	usq    []float64
	z      float64
	dz     []float64 // danger levels
	next   []float64
	moves  []Move
	bids   []bid
	// pow batch
	pb, pe, po, pr []float64
	pi             []int32
	// distinct positions: ux[i] indexes uv; pt[k*len(uv)+l] = P(uv[k], uv[l])
	ux, rep, src []int
	uv           []float64
	pt           []float64
	// median scratch
	set pyset
}

func (e *engine) reset(in *Input, mode Mode, record bool) {
	n := len(in.Actors)
	e.n, e.mode, e.record = n, mode, record
	grow := func(s []float64, k int) []float64 {
		if cap(s) < k {
			return make([]float64, k)
		}
		return s[:k]
	}
	e.cs, e.s, e.x, e.r = grow(e.cs, n), grow(e.s, n), grow(e.x, n), grow(e.r, n)
	e.d, e.us, e.uf = grow(e.d, n*n), grow(e.us, n*n), grow(e.uf, n*n)
	e.usq, e.dz, e.next = grow(e.usq, n), grow(e.dz, n), grow(e.next, n)
	e.names = e.names[:0]
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, a := range in.Actors {
		e.cs[i] = a.Capability * a.Salience
		e.s[i] = a.Salience
		e.x[i] = a.Position
		e.r[i] = 1
		lo, hi = math.Min(lo, a.Position), math.Max(hi, a.Position)
		e.names = append(e.names, a.Name)
	}
	e.span = hi - lo
	e.moves = nil
}

// summary returns the weighted median and mean of the current positions.
// Corrected mode scales the weights by the largest one (so tiny weights do
// not underflow), keeps the mean inside the actors' range despite rounding,
// and falls back to the plain mean when every weight is 0.
func (e *engine) summary() (median, mean float64, err error) {
	if e.mode == Faithful {
		var num, den float64
		for a := 0; a < e.n; a++ {
			num += float64(e.cs[a] * e.x[a])
			den += e.cs[a]
		}
		if den == 0 {
			return 0, 0, fmt.Errorf("%w: every actor has capability × salience 0, so the weighted mean divides by zero", ErrDegenerate)
		}
		return e.medianFaithful(), num / den, nil
	}
	top := 0.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for a := 0; a < e.n; a++ {
		top = math.Max(top, e.cs[a])
		lo, hi = math.Min(lo, e.x[a]), math.Max(hi, e.x[a])
	}
	var num, den float64
	for a := 0; a < e.n; a++ {
		w := 1.0
		if top > 0 {
			w = e.cs[a] / top
		}
		num += w * e.x[a]
		den += w
	}
	mean = math.Min(hi, math.Max(lo, num/den))
	return e.medianCorrected(), mean, nil
}

// distinctPositions indexes the distinct current positions (in order of
// first appearance).
func (e *engine) distinctPositions() {
	e.uv = e.uv[:0]
	if cap(e.ux) < e.n {
		e.ux = make([]int, e.n)
	}
	e.ux = e.ux[:e.n]
	for i, x := range e.x {
		k := slices.Index(e.uv, x)
		if k < 0 {
			k = len(e.uv)
			e.uv = append(e.uv, x)
		}
		e.ux[i] = k
	}
}

// probabilities fills pt with P(y_k, y_l) for every ordered pair of distinct
// positions: the c·s-weighted votes of those preferring y_k over y_l, each
// voter with its own exponent (distance table d), over the sum z of all
// |votes| on all actor triples. An actor's position stands for its own
// column of d, so P(x_i, x_j) depends only on the two positions.
func (e *engine) probabilities() error {
	n, nu := e.n, len(e.uv)
	if cap(e.pt) < nu*nu {
		e.pt = make([]float64, nu*nu)
	}
	e.pt = e.pt[:nu*nu]
	rep := e.rep[:0]
	for k := range e.uv {
		rep = append(rep, slices.Index(e.ux, k))
	}
	e.rep = rep
	for k := 0; k < nu; k++ {
		e.pt[k*nu+k] = 0
		for l := k + 1; l < nu; l++ {
			i, j := rep[k], rep[l]
			var up, down float64
			for v := 0; v < n; v++ {
				// Adding +0 for the voters who prefer the other side leaves the
				// left-to-right sums of the positive votes unchanged.
				vote := float64(e.cs[v] * (e.d[v*n+j] - e.d[v*n+i]))
				up += max(vote, 0)
				down += max(-vote, 0)
			}
			if e.z == 0 {
				if e.mode == Faithful {
					return fmt.Errorf("%w: the probability's denominator is 0 (no actor has capability × salience > 0)", ErrDegenerate)
				}
				e.pt[k*nu+l], e.pt[l*nu+k] = 0, 0
				continue
			}
			e.pt[k*nu+l], e.pt[l*nu+k] = up/e.z, down/e.z
		}
	}
	return nil
}

// prob returns P(x_i, x_j) and P(x_j, x_i) from the table.
func (e *engine) prob(i, j int) (pij, pji float64) {
	nu := len(e.uv)
	k, l := e.ux[i], e.ux[j]
	return e.pt[k*nu+l], e.pt[l*nu+k]
}

// denominator sets z = Σ_a Σ_b Σ_d |c_a s_a (d[a][d] − d[a][b])|.
func (e *engine) denominator() {
	n := e.n
	var z float64
	for a := 0; a < n; a++ {
		row := e.d[a*n : a*n+n]
		cs := e.cs[a]
		for b := 0; b < n; b++ {
			db := row[b]
			for d := 0; d < n; d++ {
				z += math.Abs(float64(cs * (row[d] - db)))
			}
		}
	}
	e.z = z
}

// eu is E^k(U_ij) = s_j (p U_s + (1−p) U_f) + (1 − s_j) U_s − q U_sq, q = 1.
func eu(sj, p, us, uf, usq float64) float64 {
	resist := float64(sj * (float64(p*us) + float64((1-p)*uf)))
	return (resist + float64((1-sj)*us)) - usq
}

// risk recomputes every actor's risk exponent from the current positions.
func (e *engine) risk() error {
	n := e.n
	for a := range e.r {
		e.r[a] = 1
	}
	if e.span == 0 {
		if e.mode == Faithful {
			if n == 1 {
				return fmt.Errorf("%w: a lone actor (danger levels are all equal, so risk acceptance divides by zero)", ErrDegenerate)
			}
			return fmt.Errorf("%w (%v) from the start, so the position range R is 0 and every utility divides by zero", ErrConverged, e.x[0])
		}
		return nil
	}
	if e.mode == Faithful && e.agreed() {
		return fmt.Errorf("%w (%v), so every danger level is 0 and risk acceptance divides by zero", ErrConverged, e.x[0])
	}
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			e.d[a*n+b] = math.Abs(e.x[a]-e.x[b]) / e.span
		}
	}
	e.denominator()
	e.distinctPositions()
	if err := e.probabilities(); err != nil {
		return err
	}
	for a := 0; a < n; a++ {
		var dl float64
		for k := 0; k < n; k++ {
			if k == a {
				continue
			}
			// E^a(U_ka): k challenges a, seen by a, all exponents 1.
			_, p := e.prob(a, k)
			delta := math.Abs(e.x[k] - e.x[a])
			us := 2 - float64(4*(0.5-(0.5*delta)/e.span))
			uf := 2 - float64(4*(0.5+(0.5*delta)/e.span))
			dl += eu(e.s[a], p, us, uf, 0)
		}
		e.dz[a] = dl
	}
	dmax, dmin := e.dz[0], e.dz[0]
	for _, v := range e.dz[1:] {
		if v > dmax {
			dmax = v
		}
		if v < dmin {
			dmin = v
		}
	}
	if dmax == dmin {
		if e.mode == Faithful {
			return fmt.Errorf("%w: every actor is in the same danger (%v), so risk acceptance divides by zero", ErrDegenerate, dmax)
		}
		return nil
	}
	for a := 0; a < n; a++ {
		alpha := ((float64(2*e.dz[a]) - dmax) - dmin) / (dmax - dmin)
		e.r[a] = (1 - alpha/3.0) / (1 + alpha/3.0)
	}
	return nil
}

// agreed reports whether every actor holds the same position.
func (e *engine) agreed() bool {
	for _, x := range e.x[1:] {
		if x != e.x[0] {
			return false
		}
	}
	return true
}

// tables fills d, us, uf and usq for the current exponents, then z. The
// pow calls go in one batch, one per actor, distinct other position and
// kind; actors sharing a position and an exponent share rows.
func (e *engine) tables() {
	n := e.n
	e.distinctPositions()
	nu := len(e.uv)
	e.pb, e.pe, e.pi = e.pb[:0], e.pe[:0], e.pi[:0]
	add := func(base, exp float64, slot int32) {
		e.pb = append(e.pb, base)
		e.pe = append(e.pe, exp)
		e.pi = append(e.pi, slot)
	}
	// Batch slots: a*(3nu+1) + 3k + {0: d, 1: us, 2: uf}, a*(3nu+1) + 3nu: usq.
	w := 3*nu + 1
	if cap(e.po) < n*w {
		e.po = make([]float64, n*w)
	}
	e.po = e.po[:n*w]
	if cap(e.src) < n {
		e.src = make([]int, n)
	}
	src := e.src[:n] // the actor whose rows a copies, or a itself
	for a := 0; a < n; a++ {
		src[a] = a
		for b := 0; b < a; b++ {
			if src[b] == b && e.x[b] == e.x[a] && e.r[b] == e.r[a] {
				src[a] = b
				break
			}
		}
		if src[a] != a {
			continue
		}
		ra := e.r[a]
		for k, y := range e.uv {
			delta := math.Abs(e.x[a] - y)
			if delta == 0 {
				continue
			}
			slot := int32(a*w + 3*k)
			add(delta/e.span, ra, slot)
			add(0.5-(0.5*delta)/e.span, ra, slot+1)
			add(0.5+(0.5*delta)/e.span, ra, slot+2)
		}
		add(0.5, ra, int32(a*w+3*nu))
	}
	out := e.pr[:0]
	if cap(out) < len(e.pb) {
		out = make([]float64, len(e.pb))
	}
	out = out[:len(e.pb)]
	e.pr = out
	powBatch(e.pb, e.pe, out)
	for t, slot := range e.pi {
		e.po[slot] = out[t]
	}
	for a := 0; a < n; a++ {
		base := src[a] * w
		for b := 0; b < n; b++ {
			k := e.ux[b]
			if e.x[a] == e.uv[k] {
				e.d[a*n+b] = 0
				continue
			}
			e.d[a*n+b] = e.po[base+3*k]
			e.us[a*n+b] = 2 - float64(4*e.po[base+3*k+1])
			e.uf[a*n+b] = 2 - float64(4*e.po[base+3*k+2])
		}
		e.usq[a] = 2 - float64(4*e.po[base+3*nu])
	}
	e.denominator()
}

// bid is what actor i makes of actor j: A = E^i(U_ij), B = E^i(U_ji).
type bid struct {
	from int
	x    float64 // x_j
	a, b float64
}

// offer is one offer received by an actor.
type offer struct {
	from   int
	kind   MoveKind
	target float64
	a, b   float64
}

// round runs one round: risk exponents, offers, simultaneous moves.
func (e *engine) round() error {
	if err := e.risk(); err != nil {
		return err
	}
	n := e.n
	copy(e.next, e.x)
	if e.span == 0 {
		return nil // corrected mode: nothing can move
	}
	e.tables()
	if e.z == 0 && e.mode == Corrected {
		return nil // nobody has clout (every c·s is 0) or all agree: nothing moves
	}
	if err := e.probabilities(); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		e.bids = e.bids[:0]
		for j := 0; j < n; j++ {
			if e.x[j] != e.x[i] { // co-located actors send no offers
				a, b := e.expected(i, j)
				e.bids = append(e.bids, bid{from: j, x: e.x[j], a: a, b: b})
			}
		}
		var best offer
		var found bool
		if e.mode == Faithful {
			best, found = chooseFaithful(e.x[i], e.bids)
		} else {
			best, found = chooseCorrected(e.x[i], e.bids)
		}
		if !found {
			continue
		}
		e.next[i] = best.target
		if e.record {
			e.moves = append(e.moves, Move{
				Actor: e.names[i], Toward: e.names[best.from], Kind: best.kind,
				From: e.x[i], To: best.target, EUOwn: best.a, EUOther: best.b,
			})
		}
	}
	copy(e.x, e.next)
	return nil
}

// expected returns A = E^i(U_ij) and B = E^i(U_ji).
func (e *engine) expected(i, j int) (a, b float64) {
	pij, pji := e.prob(i, j)
	k := i*e.n + j
	us, uf, usq := e.us[k], e.uf[k], e.usq[i]
	return eu(e.s[j], pij, us, uf, usq), eu(e.s[i], pji, us, uf, usq)
}
