package tournament

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
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
// parameters set. For package negotiator's strategies, parameters are those
// of negotiator.New ("boulware(k=0.1)": e and k of the time-dependent
// family, p of random, beta of aspiration, e and window of hardheaded, e of
// threshold, t0 of annealer), checked there. For strategies added with
// Register, a parameter names an exported field of the strategy's type,
// case and underscores ignored (accept_prob sets AcceptProb).
func (c *Competitor) New() (negotiation.Negotiator, error) {
	registry.RLock()
	f, registered := registry.m[strings.ToLower(c.Strategy)]
	registry.RUnlock()
	if registered {
		return setFields(f(), c.Strategy, c.Params)
	}
	spec, err := c.Spec()
	if err != nil {
		return nil, err
	}
	n, err := negotiator.New(spec)
	if err != nil {
		if _, berr := negotiator.New(baseName(c.Strategy)); berr != nil {
			return nil, parley.Errorf(parley.EINVALID, "unknown strategy %q (known: %s)", c.Strategy, strings.Join(StrategyNames(), ", "))
		}
		// Find the parameter at fault, for a precise message.
		for _, p := range c.Params {
			one := Competitor{Strategy: c.Strategy, Params: []Param{p}}
			s, _ := one.Spec()
			if _, perr := negotiator.New(s); perr != nil {
				return nil, &ParamError{Param: p.Name, Msg: message(perr)}
			}
		}
		return nil, fmt.Errorf("strategy %q: %w", spec, err)
	}
	return n, nil
}

// Spec returns the competitor's strategy with its parameters in the syntax
// of negotiator.New and `parley run --agents`, e.g. "boulware(e=0.1; k=0.05)".
func (c *Competitor) Spec() (string, error) {
	if len(c.Params) == 0 {
		return NormalSpec(c.Strategy), nil
	}
	if strings.Contains(c.Strategy, "(") {
		return "", &ParamError{Param: c.Params[0].Name, Msg: fmt.Sprintf("strategy %q already has parameters in its name; give them in one place", c.Strategy)}
	}
	parts := make([]string, len(c.Params))
	for i, p := range c.Params {
		x, ok := p.Value.(float64)
		if !ok {
			return "", &ParamError{Param: p.Name, Msg: fmt.Sprintf("want a number, found %v", p.Value)}
		}
		parts[i] = p.Name + "=" + strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.TrimSpace(c.Strategy) + "(" + strings.Join(parts, ";") + ")", nil
}

// NormalSpec writes a strategy name with parameters without spaces:
// "hardheaded(e=0.05; window=40)" becomes "hardheaded(e=0.05;window=40)",
// usable as a competitor name and as one --agents item.
func NormalSpec(s string) string {
	base, args, ok := strings.Cut(s, "(")
	base = strings.TrimSpace(base)
	if !ok {
		return base
	}
	args = strings.TrimSuffix(strings.TrimSpace(args), ")")
	fields := strings.FieldsFunc(args, func(r rune) bool { return r == ';' || r == ' ' })
	return base + "(" + strings.Join(fields, ";") + ")"
}

// baseName strips parameters from a strategy name.
func baseName(s string) string {
	b, _, _ := strings.Cut(s, "(")
	return strings.TrimSpace(b)
}

// setFields sets a registered strategy's exported fields from params.
func setFields(n negotiation.Negotiator, strategy string, params []Param) (negotiation.Negotiator, error) {
	if len(params) == 0 {
		return n, nil
	}
	v := reflect.ValueOf(n)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, &ParamError{Param: params[0].Name, Msg: fmt.Sprintf("strategy %q takes no parameters", strategy)}
	}
	v = v.Elem()
	for _, p := range params {
		f, known := field(v, p.Name)
		if !f.IsValid() {
			return nil, &ParamError{Param: p.Name, Msg: fmt.Sprintf("strategy %q has no such parameter (known: %s)", strategy, strings.Join(known, ", "))}
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
