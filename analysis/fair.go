package analysis

import (
	"math"
	"math/big"
)

// screenTol is the relative tolerance of the float screen: a criterion's
// float value is within far less than this of its exact value, so points
// whose float score is further than this below the best cannot be optimal
// and only the rest are compared exactly.
const screenTol = 1e-9

// criterion is one fair-point rule: a float score to screen with, the
// scale of its rounding error, and the exact score that decides.
type criterion struct {
	float func(*Point) float64
	scale float64
	exact func(*Point) *big.Rat
}

// argmax returns every frontier point whose exact score equals the best.
// Only points whose float score is within tolerance of the best float
// score are scored exactly.
func argmax(pts []Point, c criterion) []Point {
	if len(pts) == 0 {
		return nil
	}
	fs := make([]float64, len(pts))
	bestF := math.Inf(-1)
	for i := range pts {
		fs[i] = c.float(&pts[i])
		bestF = math.Max(bestF, fs[i])
	}
	tol := screenTol * (c.scale + math.Abs(bestF))
	if math.IsInf(bestF, 0) || math.IsNaN(bestF) || math.IsNaN(tol) || math.IsInf(tol, 0) {
		tol = math.Inf(1) // no screening
	}
	var best *big.Rat
	scores := make([]*big.Rat, len(pts))
	for i := range pts {
		if fs[i] < bestF-tol {
			continue
		}
		scores[i] = c.exact(&pts[i])
		if best == nil || scores[i].Cmp(best) > 0 {
			best = scores[i]
		}
	}
	var out []Point
	for i := range pts {
		if scores[i] != nil && scores[i].Cmp(best) == 0 {
			out = append(out, pts[i])
		}
	}
	return out
}

// fairPoints fills the Nash, Kalai–Smorodinsky, egalitarian and max-welfare
// points from the frontier; every decision is exact.
func (r *Result) fairPoints() {
	n := len(r.Parties)
	d, mx := r.ExactDisagreement, r.ExactMax
	fd, fmx := r.Disagreement, r.Max
	mag := 0.0 // a bound on |u| + |d| over parties
	nashScale := 1.0
	ksScale := 1.0
	for i := 0; i < n; i++ {
		m := math.Abs(fmx[i]) + math.Abs(r.Min[i]) + math.Abs(fd[i]) + 1
		mag = math.Max(mag, m)
		nashScale *= m
		if gap := fmx[i] - fd[i]; gap > 0 {
			ksScale += m / gap
		} else {
			ksScale = math.Inf(1)
		}
	}
	r.Nash = argmax(r.Pareto, criterion{
		float: func(p *Point) float64 {
			prod := 1.0
			for i, u := range p.Utilities {
				prod *= u - fd[i]
			}
			return prod
		},
		scale: nashScale,
		exact: func(p *Point) *big.Rat {
			prod := big.NewRat(1, 1)
			for i, u := range p.Exact {
				prod.Mul(prod, new(big.Rat).Sub(u, d[i]))
			}
			return prod
		},
	})
	r.KalaiSmorodinsky = argmax(r.Pareto, criterion{
		float: func(p *Point) float64 {
			lo, hi := math.Inf(1), math.Inf(-1)
			for i, u := range p.Utilities {
				g := KSGain(u, fd[i], fmx[i])
				lo, hi = math.Min(lo, g), math.Max(hi, g)
			}
			return lo - hi
		},
		scale: ksScale,
		exact: func(p *Point) *big.Rat {
			var lo, hi *big.Rat
			for i, u := range p.Exact {
				g := ExactKSGain(u, d[i], mx[i])
				if lo == nil || g.Cmp(lo) < 0 {
					lo = g
				}
				if hi == nil || g.Cmp(hi) > 0 {
					hi = g
				}
			}
			return new(big.Rat).Sub(lo, hi)
		},
	})
	r.Egalitarian = argmax(r.Pareto, criterion{
		float: func(p *Point) float64 {
			m := math.Inf(1)
			for i, u := range p.Utilities {
				m = math.Min(m, u-fd[i])
			}
			return m
		},
		scale: mag,
		exact: func(p *Point) *big.Rat {
			var m *big.Rat
			for i, u := range p.Exact {
				g := new(big.Rat).Sub(u, d[i])
				if m == nil || g.Cmp(m) < 0 {
					m = g
				}
			}
			return m
		},
	})
	r.MaxWelfare = argmax(r.Pareto, criterion{
		float: func(p *Point) float64 { return p.Welfare() },
		scale: mag * float64(n),
		exact: func(p *Point) *big.Rat { return p.ExactWelfare() },
	})
}

// KSGain is a party's normalised gain (u − d)/(max − d) used by the
// Kalai–Smorodinsky point; 1 when the party cannot gain anything
// (max ≤ d).
func KSGain(u, d, max float64) float64 {
	if max <= d {
		return 1
	}
	return (u - d) / (max - d)
}

// ExactKSGain is KSGain in exact arithmetic.
func ExactKSGain(u, d, max *big.Rat) *big.Rat {
	if max.Cmp(d) <= 0 {
		return big.NewRat(1, 1)
	}
	g := new(big.Rat).Sub(u, d)
	return g.Quo(g, new(big.Rat).Sub(max, d))
}
