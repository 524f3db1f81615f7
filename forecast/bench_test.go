package forecast

import (
	"context"
	"testing"
)

// BenchmarkMonteCarloEC is the performance target: 10,000 shocked
// runs of the EC example, 10 rounds each, faithful mode, on all cores
// (one op = all 10,000 runs).
func BenchmarkMonteCarloEC(b *testing.B) {
	mc := MonteCarlo{
		Options: Options{Rounds: 10, Mode: Faithful},
		Runs:    10000,
		Shock:   Shock{Capability: 0.1, Salience: 0.1, Position: 0.05},
		Seed:    1,
	}
	for b.Loop() {
		if _, err := Shocks(context.Background(), ecInput(), mc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunEC is one recorded 10-round run of the EC example.
func BenchmarkRunEC(b *testing.B) {
	for b.Loop() {
		if _, err := Run(ecInput(), Options{Rounds: 10}); err != nil {
			b.Fatal(err)
		}
	}
}
