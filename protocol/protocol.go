// Package protocol implements Parley's negotiation protocols on the engine of
// package negotiation: stacked alternating offers (SAOP), alternating
// multiple offers (AMOP), the mediated single text protocol with a
// random-flip mediator, and Parley's broker. docs/protocols.md gives their
// semantics.
package protocol

import (
	"sort"
	"strings"

	"parley"
	"parley/negotiation"
)

// Names lists the protocols ByName knows.
func Names() []string { return []string{"saop", "amop", "singletext", "broker"} }

// ByName returns the protocol with the given name and, for mediated
// protocols, its default mediator (random flip for singletext, the Nash
// broker for broker).
func ByName(name string) (negotiation.Protocol, negotiation.Mediator, error) {
	switch strings.ToLower(name) {
	case "saop", "sao", "alternating":
		return SAOP{}, nil, nil
	case "amop":
		return AMOP{}, nil, nil
	case "singletext", "single-text", "st":
		return SingleText{}, &RandomFlip{}, nil
	case "broker":
		return SingleText{Broker: true}, &Broker{}, nil
	}
	names := Names()
	sort.Strings(names)
	return nil, nil, parley.Errorf(parley.EINVALID, "unknown protocol %q (known: %s)", name, strings.Join(names, ", "))
}

// check is a compile-time list of the protocols.
var _ = []negotiation.Protocol{SAOP{}, AMOP{}, SingleText{}}
