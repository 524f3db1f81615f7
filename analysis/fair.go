package analysis

import "math"

// tieTolerance is the relative difference under which two criterion values
// are taken as a tie.
const tieTolerance = 1e-12

// argmax returns every frontier point whose score is within tieTolerance of
// the best.
func argmax(pts []Point, score func(*Point) float64) []Point {
	if len(pts) == 0 {
		return nil
	}
	scores := make([]float64, len(pts))
	best := math.Inf(-1)
	for i := range pts {
		scores[i] = score(&pts[i])
		best = math.Max(best, scores[i])
	}
	tol := tieTolerance * math.Max(1, math.Abs(best))
	var out []Point
	for i := range pts {
		if scores[i] >= best-tol {
			out = append(out, pts[i])
		}
	}
	return out
}

// fairPoints fills the Nash, Kalai–Smorodinsky, egalitarian and max-welfare
// points from the frontier.
func (r *Result) fairPoints() {
	d, mx := r.Disagreement, r.Max
	r.Nash = argmax(r.Pareto, func(p *Point) float64 {
		prod := 1.0
		for i, u := range p.Utilities {
			prod *= u - d[i]
		}
		return prod
	})
	r.KalaiSmorodinsky = argmax(r.Pareto, func(p *Point) float64 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i, u := range p.Utilities {
			g := KSGain(u, d[i], mx[i])
			lo, hi = math.Min(lo, g), math.Max(hi, g)
		}
		return -(hi - lo)
	})
	r.Egalitarian = argmax(r.Pareto, func(p *Point) float64 {
		m := math.Inf(1)
		for i, u := range p.Utilities {
			m = math.Min(m, u-d[i])
		}
		return m
	})
	r.MaxWelfare = argmax(r.Pareto, func(p *Point) float64 { return p.Welfare() })
}

// KSGain is a party's normalised gain (u − d)/(max − d) used by the
// Kalai–Smorodinsky point; 1 when the party cannot gain anything
// (max = d).
func KSGain(u, d, max float64) float64 {
	if max <= d {
		return 1
	}
	return (u - d) / (max - d)
}
