package negotiation_test

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"parley/negotiation"
	"parley/negotiator"
	"parley/negotiator/negotiatortest"
	"parley/protocol"
	"parley/scenario"
	"parley/utility"
)

// private reports whether a type carries preferences: a utility function, a
// profile, scenario preferences or a scenario party (which holds them).
func private(t reflect.Type) bool {
	if t.Kind() == reflect.Interface && t.Implements(reflect.TypeFor[utility.Func]()) {
		return true
	}
	if t.PkgPath() == "parley/utility" {
		return true
	}
	return t == reflect.TypeFor[scenario.Preferences]() || t == reflect.TypeFor[scenario.Party]()
}

// leaks walks every type reachable from t (fields, exported or not, element
// types of pointers, slices, arrays and maps) and returns the path to the
// first that could hold another party's preferences: a private type, or an
// interface (which could hold anything). skip names fields not walked.
func leaks(t reflect.Type, path string, seen map[reflect.Type]bool, skip map[string]bool) string {
	if seen[t] {
		return ""
	}
	seen[t] = true
	if private(t) {
		return path + " (" + t.String() + ")"
	}
	switch t.Kind() {
	case reflect.Interface:
		if t == reflect.TypeFor[error]() {
			return ""
		}
		return path + " (interface " + t.String() + ")"
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return path + " (" + t.String() + ")"
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return leaks(t.Elem(), path+"[]", seen, skip)
	case reflect.Map:
		if l := leaks(t.Key(), path+"{key}", seen, skip); l != "" {
			return l
		}
		return leaks(t.Elem(), path+"{}", seen, skip)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := t.Name() + "." + f.Name
			if skip[name] {
				continue
			}
			if l := leaks(f.Type, path+"."+f.Name, seen, skip); l != "" {
				return l
			}
		}
	}
	return ""
}

// TestNegotiatorCannotReachOthersUtility proves by the types that nothing a
// negotiator is given can hold another party's preferences: every argument
// of every Negotiator, Objector and Listener method, walked through all its fields,
// contains no utility function, profile, preferences, party record,
// interface or function — except Setup.Profile, the negotiator's own profile
// (checked by value below), and Setup.Rand, its own random source.
func TestNegotiatorCannotReachOthersUtility(t *testing.T) {
	skip := map[string]bool{"Setup.Profile": true, "Setup.Rand": true}
	for _, it := range []reflect.Type{reflect.TypeFor[negotiation.Negotiator](), reflect.TypeFor[negotiation.Objector](), reflect.TypeFor[negotiation.Listener]()} {
		for i := 0; i < it.NumMethod(); i++ {
			m := it.Method(i)
			for j := 0; j < m.Type.NumIn(); j++ {
				in := m.Type.In(j)
				if l := leaks(in, it.Name()+"."+m.Name+"#"+in.String(), map[reflect.Type]bool{}, skip); l != "" {
					t.Errorf("a negotiator can reach private data through %s", l)
				}
			}
		}
	}
	// The mediator's Trusted view, by contrast, does hold every profile.
	if l := leaks(reflect.TypeFor[negotiation.Trusted](), "Trusted", map[reflect.Type]bool{}, map[string]bool{"Trusted.Rand": true}); !strings.Contains(l, "Profiles") {
		t.Errorf("Trusted should carry the profiles, walk found %q", l)
	}
	if reflect.TypeFor[rand.Rand]().PkgPath() != "math/rand/v2" {
		t.Error("Setup.Rand is not the standard random source")
	}
}

// spy records what it is given.
type spy struct {
	setup *negotiation.Setup
	inner negotiation.Negotiator
}

func (s *spy) Init(st *negotiation.Setup) error { s.setup = st; return s.inner.Init(st) }
func (s *spy) Propose(st *negotiation.State) ([]int, error) {
	return s.inner.Propose(st)
}
func (s *spy) Respond(st *negotiation.State, o []int) (negotiation.Response, error) {
	return s.inner.Respond(st, o)
}

// TestSetupProfileIsOwn checks by value that the one profile a negotiator
// gets is its own, and a copy: changing it changes nothing for the session.
func TestSetupProfileIsOwn(t *testing.T) {
	sc := negotiatortest.MustScenario(t, "bilateral")
	a, b := &spy{inner: negotiator.Boulware()}, &spy{inner: negotiator.Boulware()}
	res, err := negotiation.Run(negotiation.Config{Scenario: sc, Protocol: protocol.SAOP{}, Negotiators: []negotiation.Negotiator{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status == negotiation.Failed {
		t.Fatal(res.Err)
	}
	for i, s := range []*spy{a, b} {
		name := sc.Parties[sc.Participants()[i]].Name
		if s.setup.Profile.Name != name || s.setup.Self != i {
			t.Errorf("party %d got profile of %q (self %d), want %q", i, s.setup.Profile.Name, s.setup.Self, name)
		}
		if want := *sc.Parties[sc.Participants()[i]].Reservation; s.setup.Profile.Reservation != want {
			t.Errorf("party %d reservation %v, want its own %v", i, s.setup.Profile.Reservation, want)
		}
	}
	if a.setup.Profile == b.setup.Profile || a.setup.Profile.Func == b.setup.Profile.Func {
		t.Error("parties share a profile")
	}
}
