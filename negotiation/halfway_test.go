package negotiation_test

import (
	"testing"

	"parley/negotiation"
	"parley/negotiator"
	"parley/negotiator/negotiatortest"
)

// TestHalfwayConforms runs the conformance suite on the example's
// user-written negotiator, as a user would on theirs.
func TestHalfwayConforms(t *testing.T) {
	negotiatortest.Conformance(t, func() negotiation.Negotiator { return &Halfway{} },
		negotiatortest.Options{Partner: func() negotiation.Negotiator { return negotiator.Boulware() }})
}
