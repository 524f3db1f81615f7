package forecast

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"parley"
)

// Shock sets the size of the random perturbations of a Monte-Carlo run. Each
// is the standard deviation of a normal draw, made independently per actor
// and per run:
//
//   - Capability: relative, c' = max(0, c·(1 + Capability·Z));
//   - Salience: absolute, s' = clamp(s + Salience·Z, 0, 1);
//   - Position: a fraction of the issue's scale width W (the issue's range,
//     else the actors' initial range), x' = clamp(x + Position·W·Z, lo, hi).
type Shock struct {
	Capability float64 `json:"capability"`
	Salience   float64 `json:"salience"`
	Position   float64 `json:"position"`
}

// ParseShock reads "salience=0.1,capability=0.1,position=0.05" (any subset,
// any order).
func ParseShock(s string) (Shock, error) {
	var sh Shock
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return sh, parley.Errorf(parley.EINVALID, "shock %q: want name=size, e.g. salience=0.1", part)
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !finite(x) || x < 0 {
			return sh, parley.Errorf(parley.EINVALID, "shock %q: size must be a number ≥ 0", part)
		}
		switch strings.TrimSpace(k) {
		case "capability":
			sh.Capability = x
		case "salience":
			sh.Salience = x
		case "position":
			sh.Position = x
		default:
			return sh, parley.Errorf(parley.EINVALID, "shock %q: unknown input %q (want capability, salience or position)", part, k)
		}
	}
	return sh, nil
}

// MonteCarlo configures Shocks.
type MonteCarlo struct {
	Options
	Runs  int
	Shock Shock
	// Seed fixes every draw: run i uses a PCG stream seeded with (Seed, i),
	// so results do not depend on Workers.
	Seed uint64
	// Workers is the number of goroutines (0 means GOMAXPROCS).
	Workers int
	// Progress, if set, is called with the number of runs finished so far
	// (from several goroutines, not necessarily in order).
	Progress func(done int)
}

// Distribution is the outcome of a Monte-Carlo run.
type Distribution struct {
	Issue string `json:"issue"`
	Mode  Mode   `json:"mode"`
	Runs  int    `json:"runs"`
	Seed  uint64 `json:"seed"`
	Shock Shock  `json:"shock"`
	// Failed counts runs that hit a degenerate input (faithful mode); they
	// are left out of Forecasts and Means.
	Failed int `json:"failed"`
	// Forecasts and Means are the final weighted medians and means of the
	// other runs, by run number.
	Forecasts []float64 `json:"forecasts"`
	Means     []float64 `json:"means"`
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of the forecasts, by linear
// interpolation between order statistics; NaN when there are none.
func (d *Distribution) Quantile(q float64) float64 {
	return quantile(slices.Sorted(slices.Values(d.Forecasts)), q)
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	h := q * float64(len(sorted)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-lo)*(sorted[i+1]-sorted[i])
}

// Shocks runs the model mc.Runs times on randomly perturbed copies of in,
// on mc.Workers goroutines, and returns the distribution of forecasts. Runs
// that end with every actor at one position count as forecasts of that
// position; other degenerate runs are counted in Failed.
func Shocks(ctx context.Context, in Input, mc MonteCarlo) (*Distribution, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	mode, err := ParseMode(string(mc.Mode))
	if err != nil {
		return nil, parley.Errorf(parley.EINVALID, "%v", err)
	}
	if mc.Runs < 1 {
		return nil, parley.Errorf(parley.EINVALID, "runs must be ≥ 1, found %d", mc.Runs)
	}
	workers := mc.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, mc.Runs)
	lo, hi := in.Lo, in.Hi
	if !(hi > lo) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, a := range in.Actors {
			lo, hi = math.Min(lo, a.Position), math.Max(hi, a.Position)
		}
	}
	rounds := mc.rounds()
	meds := make([]float64, mc.Runs)
	means := make([]float64, mc.Runs)
	failed := make([]bool, mc.Runs)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	const chunk = 16
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var e engine
			pert := in.Clone()
			src := rand.NewPCG(0, 0)
			rng := rand.New(src)
			for ctx.Err() == nil {
				start := int(next.Add(chunk)) - chunk
				if start >= mc.Runs {
					return
				}
				end := min(start+chunk, mc.Runs)
				for i := start; i < end; i++ {
					src.Seed(mc.Seed, uint64(i))
					perturb(&pert, &in, mc.Shock, lo, hi, rng)
					m, x, err := final(&e, &pert, mode, rounds)
					meds[i], means[i], failed[i] = m, x, err != nil
				}
				d := done.Add(int64(end - start))
				if mc.Progress != nil {
					mc.Progress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("monte-carlo forecast of %q: %w", in.Issue, err)
	}
	dist := &Distribution{Issue: in.Issue, Mode: mode, Runs: mc.Runs, Seed: mc.Seed, Shock: mc.Shock}
	for i := range meds {
		if failed[i] {
			dist.Failed++
			continue
		}
		dist.Forecasts = append(dist.Forecasts, meds[i])
		dist.Means = append(dist.Means, means[i])
	}
	return dist, nil
}

// perturb writes into dst a shocked copy of base's actors.
func perturb(dst, base *Input, sh Shock, lo, hi float64, rng *rand.Rand) {
	w := hi - lo
	for i, a := range base.Actors {
		if sh.Capability > 0 {
			a.Capability = math.Max(0, a.Capability*(1+sh.Capability*rng.NormFloat64()))
		}
		if sh.Salience > 0 {
			a.Salience = math.Min(1, math.Max(0, a.Salience+sh.Salience*rng.NormFloat64()))
		}
		if sh.Position > 0 && w > 0 {
			a.Position = math.Min(hi, math.Max(lo, a.Position+sh.Position*w*rng.NormFloat64()))
		}
		dst.Actors[i] = a
	}
}

// final runs the model without recording and returns the last round's
// weighted median and mean.
func final(e *engine, in *Input, mode Mode, rounds int) (median, mean float64, err error) {
	e.reset(in, mode, false)
	for k := 1; k <= rounds; k++ {
		if err := e.round(); err != nil {
			if errors.Is(err, ErrConverged) {
				break
			}
			return 0, 0, err
		}
	}
	return e.summary()
}
