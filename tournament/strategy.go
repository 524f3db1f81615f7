package tournament

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"parley"
	"parley/negotiation"
	"parley/negotiator"
)

// registry holds strategies registered with Register, on top of package
// negotiator's library.
var registry struct {
	sync.RWMutex
	m map[string]func() negotiation.Negotiator
}

// Register makes a strategy available to tournaments under name (case
// insensitive), in addition to package negotiator's strategies, which it
// may not shadow. It is meant for strategies written outside Parley and
// for tests.
func Register(name string, f func() negotiation.Negotiator) error {
	name = strings.ToLower(name)
	if _, err := negotiator.New(name); err == nil {
		return parley.Errorf(parley.ECONFLICT, "strategy %q is already in package negotiator", name)
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.m == nil {
		registry.m = map[string]func() negotiation.Negotiator{}
	}
	registry.m[name] = f
	return nil
}

// StrategyNames lists every strategy a competitor may use, sorted.
func StrategyNames() []string {
	ns := negotiator.Names()
	registry.RLock()
	for n := range registry.m {
		ns = append(ns, n)
	}
	registry.RUnlock()
	slices.Sort(ns)
	return ns
}

// newStrategy returns a fresh negotiator of the named strategy.
func newStrategy(name string) (negotiation.Negotiator, error) {
	registry.RLock()
	f, ok := registry.m[strings.ToLower(name)]
	registry.RUnlock()
	if ok {
		return f(), nil
	}
	n, err := negotiator.New(name)
	if err != nil {
		return nil, parley.Errorf(parley.EINVALID, "unknown strategy %q (known: %s)", name, strings.Join(StrategyNames(), ", "))
	}
	return n, nil
}

// ParamError is a strategy parameter that does not fit the strategy.
type ParamError struct {
	Param string
	Msg   string
}

// Error implements error.
func (e *ParamError) Error() string { return fmt.Sprintf("parameter %q: %s", e.Param, e.Msg) }

// ErrorCode reports parley.EINVALID.
func (e *ParamError) ErrorCode() string { return parley.EINVALID }

// New returns a fresh negotiator for the competitor: its strategy with its
// parameters set. A parameter names an exported field of the strategy's
// type, case and underscores ignored (accept_prob sets AcceptProb).
func (c *Competitor) New() (negotiation.Negotiator, error) {
	n, err := newStrategy(c.Strategy)
	if err != nil {
		return nil, err
	}
	if len(c.Params) == 0 {
		return n, nil
	}
	v := reflect.ValueOf(n)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, &ParamError{Param: c.Params[0].Name, Msg: fmt.Sprintf("strategy %q takes no parameters", c.Strategy)}
	}
	v = v.Elem()
	for _, p := range c.Params {
		f, known := field(v, p.Name)
		if !f.IsValid() {
			return nil, &ParamError{Param: p.Name, Msg: fmt.Sprintf("strategy %q has no such parameter (known: %s)", c.Strategy, strings.Join(known, ", "))}
		}
		if err := set(f, p.Value); err != nil {
			return nil, &ParamError{Param: p.Name, Msg: err.Error()}
		}
	}
	return n, nil
}

func norm(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// field finds the exported field named name; it also returns the names of
// the settable fields, for messages.
func field(v reflect.Value, name string) (reflect.Value, []string) {
	var known []string
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		switch f.Type.Kind() {
		case reflect.Float64, reflect.Int, reflect.Bool, reflect.String, reflect.Int64:
		default:
			continue
		}
		known = append(known, strings.ToLower(f.Name))
		if norm(f.Name) == norm(name) {
			return v.Field(i), known
		}
	}
	if len(known) == 0 {
		known = []string{"none"}
	}
	return reflect.Value{}, known
}

func set(f reflect.Value, val any) error {
	switch f.Kind() {
	case reflect.Float64:
		x, ok := val.(float64)
		if !ok {
			return fmt.Errorf("want a number, found %v", val)
		}
		f.SetFloat(x)
	case reflect.Int:
		x, ok := val.(float64)
		if !ok || x != float64(int(x)) {
			return fmt.Errorf("want an integer, found %v", val)
		}
		f.SetInt(int64(x))
	case reflect.Int64: // time.Duration
		switch x := val.(type) {
		case string:
			d, err := time.ParseDuration(x)
			if err != nil {
				return fmt.Errorf("want a duration, found %q", x)
			}
			f.SetInt(int64(d))
		case float64:
			f.SetInt(int64(x))
		default:
			return fmt.Errorf("want a number, found %v", val)
		}
	case reflect.Bool:
		x, ok := val.(bool)
		if !ok {
			return fmt.Errorf("want true or false, found %v", val)
		}
		f.SetBool(x)
	case reflect.String:
		x, ok := val.(string)
		if !ok {
			return fmt.Errorf("want a string, found %v", val)
		}
		f.SetString(x)
	}
	return nil
}
