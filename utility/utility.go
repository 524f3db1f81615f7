// Package utility evaluates preferences: it compiles a scenario party's
// preferences into a Func over outcomes of the scenario's space, gives each
// Func's exact range, and applies discounting.
package utility

import (
	"fmt"
	"math"

	"parley"
	"parley/scenario"
	"parley/space"
)

// Func is a utility function over the outcomes of one space. Outcomes are
// value indices per issue (see package space).
type Func interface {
	// Utility returns the utility of outcome o.
	Utility(o []int) float64
	// Range returns the smallest and largest utility over the whole space,
	// exactly (every returned bound is the utility of some outcome).
	Range() (lo, hi float64)
}

// Profile is everything private to one party: its utility function, its
// reservation value and its discount factor.
type Profile struct {
	Name string
	Func Func
	// Reservation is the walk-away utility; HasReservation is false when the
	// party has none (no deal is then worse than any deal).
	Reservation    float64
	HasReservation bool
	// Discount is the factor d in (0, 1]; 1 means no discount.
	Discount float64
}

// Discounted returns u·d^t: the worth of utility u reached at relative time
// t ∈ [0, 1] under discount factor d. d ≤ 0 or d ≥ 1 means no discount (as
// in GENIUS).
func Discounted(u, d, t float64) float64 {
	if d <= 0 || d >= 1 {
		return u
	}
	return u * math.Pow(d, t)
}

// At returns the party's utility of o at relative time t, discounted.
func (p *Profile) At(o []int, t float64) float64 {
	return Discounted(p.Func.Utility(o), p.Discount, t)
}

// ReservationAt returns the party's reservation value at time t, discounted
// as GENIUS does; -Inf when it has none.
func (p *Profile) ReservationAt(t float64) float64 {
	if !p.HasReservation {
		return math.Inf(-1)
	}
	return Discounted(p.Reservation, p.Discount, t)
}

// Compile builds the Profile of party index pi of scenario sc.
func Compile(sc *scenario.Scenario, pi int) (*Profile, error) {
	p := &sc.Parties[pi]
	if p.Preferences == nil {
		return nil, parley.Errorf(parley.EINVALID, "party %q has no preferences", p.Name)
	}
	f, err := CompilePreferences(sc, p.Preferences)
	if err != nil {
		return nil, fmt.Errorf("party %q: %w", p.Name, err)
	}
	prof := &Profile{Name: p.Name, Func: f, Discount: 1}
	if p.Reservation != nil {
		prof.Reservation, prof.HasReservation = *p.Reservation, true
	}
	if p.Discount != nil {
		prof.Discount = *p.Discount
	}
	return prof, nil
}

// Participants compiles the profile of every participant, in file order.
func Participants(sc *scenario.Scenario) ([]*Profile, error) {
	var out []*Profile
	for _, i := range sc.Participants() {
		p, err := Compile(sc, i)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// CompilePreferences builds the Func of one set of preferences over sc's
// issues. sc must be valid.
func CompilePreferences(sc *scenario.Scenario, p *scenario.Preferences) (Func, error) {
	switch {
	case p.Linear != nil:
		return compileLinear(sc, p.Linear)
	case p.Spatial != nil:
		return compileSpatial(sc, p.Spatial)
	case p.Table != nil:
		return compileTable(sc, p.Table)
	case p.Constraints != nil:
		return compileConstraints(sc, p.Constraints)
	}
	return nil, parley.Errorf(parley.EINVALID, "preferences of no known kind")
}

// Fill writes the utility of every outcome of sp, in index order, into dst
// (len(dst) must be the space's size). Additive functions are filled by
// expanding partial sums issue by issue, in the same order of additions as
// Utility, so the results are identical.
func Fill(f Func, sp *space.Space, dst []float64) {
	if a, ok := f.(*Additive); ok {
		a.fill(sp, dst)
		return
	}
	it := sp.Iter()
	for i := 0; it.Next(); i++ {
		dst[i] = f.Utility(it.Outcome())
	}
}

// FillBlock writes the utilities of every outcome that starts with prefix
// (the values of the first len(prefix) issues), in index order, into dst,
// whose length must be the number of such outcomes. Additive functions fill
// by expanding partial sums in the same order of additions as Utility, so
// the results are identical to it.
func FillBlock(f Func, sp *space.Space, prefix []int, dst []float64) {
	switch f := f.(type) {
	case *Additive:
		f.fillBlock(prefix, dst)
		return
	case *Constraints:
		f.fillBlock(prefix, dst)
		return
	}
	o := make([]int, sp.Issues())
	copy(o, prefix)
	m := len(prefix)
	for k := range dst {
		dst[k] = f.Utility(o)
		for i := len(o) - 1; i >= m; i-- {
			o[i]++
			if o[i] < sp.Card(i) {
				break
			}
			o[i] = 0
		}
	}
}
