package protocol_test

import (
	"testing"

	"parley/negotiation"
	"parley/negotiator"
	"parley/negotiator/negotiatortest"
	"parley/protocol"
	"parley/utility"
)

// benchSession runs one bilateral SAOP session on the 10×10×10 fixture
// with the given reservation values (nil: the fixture's) and returns its
// result.
func benchConfig(tb testing.TB, a, b func() *negotiator.TimeDependent, res float64) negotiation.Config {
	sc := negotiatortest.MustScenario(tb, "bilateral")
	if res > 0 {
		for _, i := range sc.Participants() {
			r := res
			sc.Parties[i].Reservation = &r
		}
	}
	profiles, err := utility.Participants(sc)
	if err != nil {
		tb.Fatal(err)
	}
	return negotiation.Config{
		Scenario: sc, Protocol: protocol.SAOP{}, Profiles: profiles, Rounds: 1000,
		Negotiators: []negotiation.Negotiator{a(), b()},
	}
}

// BenchmarkSAOP: bilateral SAOP, time-dependent vs time-dependent, 3 issues
// × 10 values (1000 outcomes), 1000-round deadline. One op is one whole
// session, set-up included; rounds/s counts the rounds actually played.
// Sessions reuse compiled profiles (as tournaments do), so orderings of the
// space are shared, except in the cold case.
func BenchmarkSAOP(b *testing.B) {
	cases := []struct {
		name string
		a, c func() *negotiator.TimeDependent
		res  float64
		cold bool
	}{
		// Boulware pair: agree near the deadline.
		{"boulware-boulware", negotiator.Boulware, negotiator.Boulware, 0, false},
		// No zone of agreement: all 1000 rounds are played.
		{"boulware-linear-no-zone", negotiator.Boulware, negotiator.Linear, 0.9, false},
		// Cold: profiles compiled afresh for every session, so each
		// negotiator orders the space again (no shared ordering).
		{"boulware-boulware-cold", negotiator.Boulware, negotiator.Boulware, 0, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cfg := benchConfig(b, c.a, c.c, c.res)
			if c.cold {
				cfg.Profiles = nil
			}
			rounds := 0
			b.ReportAllocs()
			for b.Loop() {
				cfg.Negotiators[0], cfg.Negotiators[1] = c.a(), c.c()
				res, err := negotiation.Run(cfg)
				if err != nil {
					b.Fatal(err)
				}
				rounds += res.Rounds
			}
			b.ReportMetric(float64(rounds)/b.Elapsed().Seconds(), "rounds/s")
			b.ReportMetric(float64(rounds)/float64(b.N), "rounds/op")
		})
	}
}

// TestSAOPNoAllocationPerRound: with the trace off, a 1000-round session
// allocates exactly as much as a 10-round one: rounds allocate nothing.
func TestSAOPNoAllocationPerRound(t *testing.T) {
	allocs := func(rounds int) float64 {
		cfg := benchConfig(t, negotiator.Boulware, negotiator.Linear, 0.9)
		cfg.Rounds = rounds
		return testing.AllocsPerRun(20, func() {
			cfg.Negotiators[0], cfg.Negotiators[1] = negotiator.Boulware(), negotiator.Linear()
			res, err := negotiation.Run(cfg)
			if err != nil || res.Status != negotiation.TimedOut || res.Rounds != rounds {
				t.Fatalf("run: %v %v %d", err, res.Status, res.Rounds)
			}
		})
	}
	short, long := allocs(10), allocs(1000)
	if long != short {
		t.Errorf("10 rounds: %v allocations, 1000 rounds: %v; want equal", short, long)
	}
	t.Logf("allocations per session: %v (any number of rounds)", short)
}
