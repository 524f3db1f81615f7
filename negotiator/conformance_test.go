package negotiator_test

import (
	"testing"

	"parley/negotiation"
	"parley/negotiator"
	"parley/negotiator/negotiatortest"
)

// TestConformance runs the conformance suite on every strategy, under every
// protocol, in self-play and against a Boulware partner.
func TestConformance(t *testing.T) {
	for _, name := range negotiator.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			mk := func() negotiation.Negotiator {
				n, err := negotiator.New(name)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			negotiatortest.Conformance(t, mk, negotiatortest.Options{
				Partner: func() negotiation.Negotiator { return negotiator.Boulware() },
			})
		})
	}
}
