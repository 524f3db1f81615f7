package forecast

import (
	"math"
	"math/big"
	"sync"
)

// crPow returns x**y correctly rounded to the nearest float64 (ties to even),
// as the C library's pow does on the platforms the Scholz replication ran on.
// Go's math.Pow is off by an ulp or more on about a third of the model's
// inputs, which would break bit-exact reproduction, so the faithful model
// uses this instead.
//
// The fast path evaluates exp(y·ln x) in double-double arithmetic (relative
// error below 2^-85) and accepts the rounded result when it is farther than
// 2^-70 (relative) from a rounding boundary; otherwise it recomputes with
// math/big at 320 bits. Negative, infinite and NaN arguments and results
// outside [e^-700, e^700] go to the slow path or math.Pow.
func crPow(x, y float64) float64 {
	switch {
	case y == 1:
		return x
	case y == 0 || x == 1:
		return 1
	case y == 2:
		return x * x
	case y == 0.5 && x > 0 && !math.IsInf(x, 1):
		return math.Sqrt(x)
	case x == 0:
		if y > 0 {
			return 0
		}
		return math.Pow(x, y)
	case x < 0 || math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0):
		return math.Pow(x, y)
	}
	powOnce.Do(powInit)
	lh, ll := ddLog(x)
	th, tl := twoProd(y, lh)
	tl += y * ll
	th, tl = fastTwoSum(th, tl)
	if th < -700 || th > 700 {
		return powSlow(x, y)
	}
	zh, zl, k := ddExp(th, tl)
	// Is zh+zl too close to a rounding boundary of zh to trust zh? zh is
	// positive and normal (about 2^(j/256) < 2); half an ulp above it is
	// 2^(e−53), below it the same except at a power of two.
	bits := math.Float64bits(zh)
	half := math.Float64frombits((bits>>52)<<52) * 0x1p-53
	below := half
	if bits&(1<<52-1) == 0 {
		below = half / 2
	}
	bound := zh * 0x1p-70
	if zl >= 0 {
		if half-zl <= bound {
			return powSlow(x, y)
		}
	} else if below+zl <= bound {
		return powSlow(x, y)
	}
	return zh * math.Float64frombits(uint64(k+1023)<<52)
}

func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return s, e
}

func fastTwoSum(a, b float64) (s, e float64) {
	s = a + b
	e = b - (s - a)
	return s, e
}

func twoProd(a, b float64) (p, e float64) {
	p = a * b
	e = math.FMA(a, b, -p)
	return p, e
}

// ddDiv divides the double-double (h, l) by a small integer d.
func ddDiv(h, l, d float64) (float64, float64) {
	q := h / d
	r := math.FMA(-q, d, h)
	return q, (r + l) / d
}

var (
	powOnce   sync.Once
	ln2Hi     float64
	ln2Lo     float64
	expCHi    float64 // ln2/256
	expCLo    float64
	expTabHi  [256]float64 // 2^(j/256)
	expTabLo  [256]float64
	logInvC   [182]float64 // 128/k rounded, k = 91..181
	logTabHi  [182]float64 // -ln(logInvC[k])
	logTabLo  [182]float64
	bigLn2Val *big.Float
)

const bigPrec = 320

func powInit() {
	bigLn2Val = bigAtanh2(new(big.Float).SetPrec(bigPrec).Quo(big.NewFloat(1).SetPrec(bigPrec), big.NewFloat(3).SetPrec(bigPrec)))
	ln2Hi, ln2Lo = split(bigLn2Val)
	c := new(big.Float).SetPrec(bigPrec).Quo(bigLn2Val, big.NewFloat(256))
	expCHi, expCLo = split(c)
	for j := 0; j < 256; j++ {
		t := new(big.Float).SetPrec(bigPrec).Mul(c, big.NewFloat(float64(j)))
		expTabHi[j], expTabLo[j] = split(bigExp(t))
	}
	for k := 91; k <= 181; k++ {
		logInvC[k] = 128 / float64(k)
		l := bigLn(logInvC[k])
		l.Neg(l)
		logTabHi[k], logTabLo[k] = split(l)
	}
}

// split rounds v to a double-double.
func split(v *big.Float) (hi, lo float64) {
	hi, _ = v.Float64()
	r := new(big.Float).SetPrec(bigPrec).Sub(v, big.NewFloat(hi))
	lo, _ = r.Float64()
	return hi, lo
}

// ddLog returns ln x as a double-double, for finite x > 0.
func ddLog(x float64) (float64, float64) {
	var m float64
	var e int
	if b := math.Float64bits(x); b>>52 != 0 { // normal: m in [0.5, 1) from the bits
		m = math.Float64frombits(b&(1<<52-1) | 1022<<52)
		e = int(b>>52) - 1022
	} else {
		m, e = math.Frexp(x)
	}
	if m < math.Sqrt2/2 {
		m *= 2
		e--
	}
	k := int(m*128 + 0.5)
	ph, pl := twoProd(m, logInvC[k])
	rh, rl := twoSum(ph-1, pl)
	// ln(1+r) = r - r²/2 + r³/3 - r⁴/4 + tail, |r| < 2^-7.5.
	sh, sl := twoProd(rh, rh)
	sl += 2 * rh * rl
	ch, cl := twoProd(sh, rh)
	cl += sl*rh + sh*rl
	c3h, c3l := ddDiv(ch, cl, 3)
	fh, fl := twoProd(sh, sh)
	fl += 2 * sh * sl
	r := rh
	tail := sh * ch * (1.0/5 + r*(-1.0/6+r*(1.0/7+r*(-1.0/8+r*(1.0/9+r*(-1.0/10+r*(1.0/11+r*(-1.0/12))))))))
	hi, lo := rh, rl
	var err float64
	hi, err = twoSum(hi, -sh/2)
	lo += err - sl/2
	hi, err = twoSum(hi, c3h)
	lo += err + c3l
	hi, err = twoSum(hi, -fh/4)
	lo += err - fl/4
	hi, err = twoSum(hi, tail)
	lo += err
	// + L_k + e·ln2
	hi, err = twoSum(hi, logTabHi[k])
	lo += err + logTabLo[k]
	eh, el := twoProd(float64(e), ln2Hi)
	el += float64(e) * ln2Lo
	hi, err = twoSum(eh, hi)
	lo += err + el
	return fastTwoSum(hi, lo)
}

// ddExp returns exp(th+tl) as (zh+zl)·2^k, |th| ≤ 700.
func ddExp(th, tl float64) (zh, zl float64, k int) {
	n := int(math.Floor(th*(256/math.Ln2) + 0.5))
	nf := float64(n)
	ph, pl := twoProd(nf, expCHi)
	pl += nf * expCLo
	rh, err := twoSum(th, -ph)
	rl := err + tl - pl
	rh, rl = fastTwoSum(rh, rl)
	// exp(r) - 1 = r + r²/2 + r³/6 + tail, |r| < 2^-9.4.
	sh, sl := twoProd(rh, rh)
	sl += 2 * rh * rl
	ch, cl := twoProd(sh, rh)
	cl += sl*rh + sh*rl
	c6h, c6l := ddDiv(ch, cl, 6)
	r := rh
	tail := sh * sh * (1.0/24 + r*(1.0/120+r*(1.0/720+r*(1.0/5040+r*(1.0/40320+r*(1.0/362880))))))
	hi, lo := rh, rl
	hi, err = twoSum(hi, sh/2)
	lo += err + sl/2
	hi, err = twoSum(hi, c6h)
	lo += err + c6l
	hi, err = twoSum(hi, tail)
	lo += err
	hi, lo = fastTwoSum(hi, lo)
	j := n & 255
	k = n >> 8
	Th, Tl := expTabHi[j], expTabLo[j]
	mh, ml := twoProd(Th, hi)
	ml += Th*lo + Tl*hi
	zh, err = twoSum(Th, mh)
	zl = err + ml + Tl
	zh, zl = fastTwoSum(zh, zl)
	return zh, zl, k
}

// powSlow computes x**y with math/big and rounds once.
func powSlow(x, y float64) float64 {
	if !(x > 0) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
		return math.Pow(x, y)
	}
	powOnce.Do(powInit)
	t := bigLn(x)
	t.Mul(t, new(big.Float).SetPrec(bigPrec).SetFloat64(y))
	if f, _ := t.Float64(); f > 710 {
		return math.Inf(1)
	} else if f < -746 {
		return 0
	}
	z, _ := bigExp(t).Float64()
	return z
}

// bigAtanh2 returns 2·atanh(u) = ln((1+u)/(1-u)) for |u| ≤ 1/3.
func bigAtanh2(u *big.Float) *big.Float {
	u2 := new(big.Float).SetPrec(bigPrec).Mul(u, u)
	term := new(big.Float).SetPrec(bigPrec).Set(u)
	sum := new(big.Float).SetPrec(bigPrec).Set(u)
	eps := new(big.Float).SetMantExp(big.NewFloat(1), -bigPrec-8)
	tmp := new(big.Float).SetPrec(bigPrec)
	for n := 3; ; n += 2 {
		term.Mul(term, u2)
		tmp.Quo(term, big.NewFloat(float64(n)))
		sum.Add(sum, tmp)
		if tmp.Sign() == 0 || new(big.Float).Abs(tmp).Cmp(eps) < 0 {
			break
		}
	}
	return sum.Mul(sum, big.NewFloat(2))
}

// bigLn returns ln x for finite x > 0.
func bigLn(x float64) *big.Float {
	m, e := math.Frexp(x)
	bm := new(big.Float).SetPrec(bigPrec).SetFloat64(m)
	one := new(big.Float).SetPrec(bigPrec).SetInt64(1)
	num := new(big.Float).SetPrec(bigPrec).Sub(bm, one)
	den := new(big.Float).SetPrec(bigPrec).Add(bm, one)
	u := num.Quo(num, den)
	l := bigAtanh2(u)
	el := new(big.Float).SetPrec(bigPrec).Mul(bigLn2Val, new(big.Float).SetInt64(int64(e)))
	return l.Add(l, el)
}

// bigExp returns e^t for |t| < 1000.
func bigExp(t *big.Float) *big.Float {
	q := new(big.Float).SetPrec(bigPrec).Quo(t, bigLn2Val)
	qf, _ := q.Float64()
	n := int64(math.Round(qf))
	r := new(big.Float).SetPrec(bigPrec).Mul(bigLn2Val, new(big.Float).SetInt64(n))
	r.Sub(t, r)
	const sq = 16
	r.SetMantExp(r, -sq)
	sum := new(big.Float).SetPrec(bigPrec).SetInt64(1)
	term := new(big.Float).SetPrec(bigPrec).SetInt64(1)
	eps := new(big.Float).SetMantExp(big.NewFloat(1), -bigPrec-8)
	for i := 1; i < 200; i++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetInt64(int64(i)))
		sum.Add(sum, term)
		if term.Sign() == 0 || new(big.Float).Abs(term).Cmp(eps) < 0 {
			break
		}
	}
	for i := 0; i < sq; i++ {
		sum.Mul(sum, sum)
	}
	return sum.SetMantExp(sum, int(n))
}
