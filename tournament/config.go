package tournament

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"parley"
	"parley/protocol"
	"parley/scenario"
)

// Config describes a tournament. Its fields are the fields of the
// configuration file (see docs/tournaments.md); LoadConfig and ParseConfig
// read them strictly.
type Config struct {
	// Name names the tournament in reports.
	Name string `json:"name,omitempty"`
	// Competitors are the negotiators that compete, each under a unique name.
	Competitors []Competitor `json:"competitors"`
	// Scenarios are scenario files or folders, or globs of them.
	Scenarios []ScenarioSpec `json:"scenarios"`
	// Protocol is the protocol's name (saop, amop, singletext, broker).
	Protocol string `json:"protocol"`
	// Rule is the broker's fairness rule (protocol broker only).
	Rule string `json:"rule,omitempty"`
	// Rounds is the deadline in rounds; 0 takes each scenario's deadline, or
	// 100 rounds when it has none.
	Rounds int `json:"rounds,omitempty"`
	// Time is a deadline in wall time (0 for none). A time deadline makes
	// results depend on the machine's speed.
	Time time.Duration `json:"time,omitempty"`
	// CallLimit bounds each call to a competitor (0: none); a call that
	// overruns it fails the negotiation, blaming the competitor.
	CallLimit time.Duration `json:"call_limit,omitempty"`
	// Timeout bounds each negotiation in wall time (0: none); a negotiation
	// that overruns it is abandoned and recorded as failed, blaming the
	// competitor whose call was running.
	Timeout time.Duration `json:"timeout,omitempty"`
	// SelfPlay lets one competitor hold more than one role of a negotiation.
	SelfPlay bool `json:"self_play"`
	// Rotate plays every assignment of competitors to roles; false plays each
	// set of competitors once, in one assignment (competitors in file order).
	Rotate bool `json:"rotate"`
	// Repetitions is how many times each assignment is negotiated, each with
	// its own seed.
	Repetitions int `json:"repetitions"`
	// Seed is the master seed from which every negotiation's seed is derived.
	Seed uint64 `json:"seed"`
	// RankBy is the score competitors are ranked by (see ScoreNames).
	RankBy string `json:"rank_by,omitempty"`

	// Dir is the folder relative scenario paths are resolved against (the
	// configuration file's folder). It is not part of the file.
	Dir string `json:"-"`
	// File is the configuration file's path, if any.
	File string `json:"-"`
}

// Competitor is one competing negotiator: a strategy with parameters, under
// a name unique in the tournament.
type Competitor struct {
	// Name identifies the competitor in keys, results and scores: letters,
	// digits, '_', '-' and '.'.
	Name string `json:"name"`
	// Strategy is the negotiator's name (see StrategyNames).
	Strategy string `json:"strategy"`
	// Params set the strategy's exported fields by name, e.g. {e: 0.5}.
	Params []Param `json:"params,omitempty"`
}

// Param is one strategy parameter.
type Param struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// ScenarioSpec is one entry of the scenarios list.
type ScenarioSpec struct {
	// Path is a scenario file or folder, or a glob of them.
	Path string `json:"path"`
	// ID names the scenario in keys; by default the file or folder name
	// without extension. Not allowed with globs.
	ID string `json:"id,omitempty"`
	// Optional entries may match nothing (e.g. domains that are not always
	// present).
	Optional bool `json:"optional,omitempty"`
}

// Defaults returns a Config with every default set: protocol saop,
// rotation on, self-play off, one repetition, seed 1, ranked by advantage.
func Defaults() Config {
	return Config{Protocol: "saop", Rotate: true, Repetitions: 1, Seed: 1, RankBy: "advantage"}
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	// competitor names may also carry parameters: boulware(k=0.1;e=0.5).
	competitorRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.()=;+-]*$`)
)

// LoadConfig reads and checks the tournament configuration at path (YAML or
// JSON). Unknown fields are errors; every problem is reported with its file,
// line, column and field as scenario.Problems.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tournament config: %w", err)
	}
	cfg, err := ParseConfig(data, path)
	if err != nil {
		return nil, err
	}
	cfg.Dir = filepath.Dir(path)
	return cfg, nil
}

// ParseConfig decodes and checks a tournament configuration. name is the
// file name used in error messages.
func ParseConfig(data []byte, name string) (*Config, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, scenario.Problems{{File: name, Msg: "empty file"}}
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		p := scenario.Problem{File: name, Msg: err.Error()}
		var ye yaml.Error
		if errors.As(err, &ye) {
			p.Msg = ye.GetMessage()
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				p.Line, p.Column = tk.Position.Line, tk.Position.Column
			}
		}
		return nil, scenario.Problems{p}
	}
	if len(file.Docs) != 1 || file.Docs[0].Body == nil {
		return nil, scenario.Problems{{File: name, Msg: fmt.Sprintf("want exactly one document, found %d", len(file.Docs))}}
	}
	d := &decoder{file: name}
	cfg := Defaults()
	cfg.File = name
	d.config(file.Docs[0].Body, &cfg)
	if len(d.ps) > 0 {
		return nil, d.ps
	}
	return &cfg, nil
}

// Check validates a configuration built in code or from flags. Problems
// carry field paths but no positions.
func (c *Config) Check() error {
	d := &decoder{file: c.File}
	d.check(c)
	if len(d.ps) > 0 {
		return d.ps
	}
	return nil
}

// decoder walks the YAML syntax tree, so every problem has a position.
type decoder struct {
	file string
	ps   scenario.Problems
	pos  map[string]ast.Node // node of each field path read
}

// at returns the node of field, or of its nearest ancestor read.
func (d *decoder) at(field string) ast.Node {
	for field != "" {
		if n, ok := d.pos[field]; ok {
			return n
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return nil
}

func (d *decoder) fail(n ast.Node, field, format string, args ...any) {
	p := scenario.Problem{File: d.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		if tk := n.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Column = tk.Position.Line, tk.Position.Column
		}
	}
	d.ps = append(d.ps, p)
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

func pairs(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch v := unwrap(n).(type) {
	case *ast.MappingNode:
		return v.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{v}, true
	}
	return nil, false
}

func keyOf(kv *ast.MappingValueNode) string {
	if tk := kv.Key.GetToken(); tk != nil {
		return tk.Value
	}
	return kv.Key.String()
}

func text(n ast.Node) string {
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return strings.TrimSpace(n.String())
}

// configFields are the fields of the file, in documentation order.
var configFields = []string{"name", "competitors", "scenarios", "protocol", "rule", "rounds", "time",
	"call_limit", "timeout", "self_play", "rotate", "repetitions", "seed", "rank_by"}

func (d *decoder) config(root ast.Node, c *Config) {
	kvs, ok := pairs(root)
	if !ok {
		d.fail(root, "", "want a mapping of fields (%s)", strings.Join(configFields, ", "))
		return
	}
	d.pos = map[string]ast.Node{}
	seen := map[string]bool{}
	for _, kv := range kvs {
		k, v := keyOf(kv), kv.Value
		if seen[k] {
			d.fail(kv.Key, k, "field given twice")
			continue
		}
		seen[k] = true
		d.pos[k] = v
		switch k {
		case "name":
			c.Name = d.str(v, k)
		case "competitors":
			c.Competitors = d.competitors(v, k)
		case "scenarios":
			c.Scenarios = d.scenarios(v, k)
		case "protocol":
			c.Protocol = d.str(v, k)
		case "rule":
			c.Rule = d.str(v, k)
		case "rounds":
			c.Rounds = d.int(v, k)
		case "time":
			c.Time = d.duration(v, k)
		case "call_limit":
			c.CallLimit = d.duration(v, k)
		case "timeout":
			c.Timeout = d.duration(v, k)
		case "self_play":
			c.SelfPlay = d.bool(v, k)
		case "rotate":
			c.Rotate = d.bool(v, k)
		case "repetitions":
			c.Repetitions = d.int(v, k)
		case "seed":
			c.Seed = uint64(d.int(v, k))
		case "rank_by":
			c.RankBy = d.str(v, k)
		default:
			d.fail(kv.Key, k, "unknown field %q (known: %s)", k, strings.Join(configFields, ", "))
		}
	}
	if len(d.ps) == 0 {
		d.check(c)
	}
}

// check validates c, with positions of the fields read from a file.
func (d *decoder) check(c *Config) {
	at := d.at
	if len(c.Competitors) == 0 {
		d.fail(at("competitors"), "competitors", "no competitors")
	}
	if len(c.Competitors) == 1 && !c.SelfPlay {
		d.fail(at("competitors"), "competitors", "one competitor and self_play off: nothing to play")
	}
	names := map[string]bool{}
	for i, cp := range c.Competitors {
		f := fmt.Sprintf("competitors[%d]", i)
		if !competitorRE.MatchString(cp.Name) {
			d.fail(at(f+".name"), f+".name", "name %q: use letters, digits, '_', '-', '.' (and '(', ')', '=', ';' for parameters), starting with a letter or digit", cp.Name)
		}
		if names[cp.Name] {
			d.fail(at(f+".name"), f+".name", "name %q is used twice; give each competitor a unique name", cp.Name)
		}
		names[cp.Name] = true
		if _, err := cp.New(); err != nil {
			var pe *ParamError
			if errors.As(err, &pe) {
				d.fail(at(f+".params."+pe.Param), f+".params."+pe.Param, "%s", pe.Msg)
			} else {
				d.fail(at(f+".strategy"), f+".strategy", "%s", message(err))
			}
		}
	}
	if len(c.Scenarios) == 0 {
		d.fail(at("scenarios"), "scenarios", "no scenarios")
	}
	for i, s := range c.Scenarios {
		f := fmt.Sprintf("scenarios[%d]", i)
		if s.Path == "" {
			d.fail(at(f+".path"), f+".path", "empty path")
		}
		if s.ID != "" && !nameRE.MatchString(s.ID) {
			d.fail(at(f+".id"), f+".id", "id %q: use letters, digits, '_', '-' and '.'", s.ID)
		}
		if s.ID != "" && isGlob(s.Path) {
			d.fail(at(f+".id"), f+".id", "an id names one scenario; %q is a glob", s.Path)
		}
	}
	if _, _, err := protocol.ByName(c.Protocol); err != nil {
		d.fail(at("protocol"), "protocol", "%s", message(err))
	}
	if c.Rule != "" {
		if !strings.EqualFold(c.Protocol, "broker") {
			d.fail(at("rule"), "rule", "a fairness rule applies to protocol broker only")
		} else if !slices.Contains(protocol.Rules(), protocol.Rule(strings.ToLower(c.Rule))) {
			d.fail(at("rule"), "rule", "unknown fairness rule %q", c.Rule)
		}
	}
	if c.Rounds < 0 {
		d.fail(at("rounds"), "rounds", "must not be negative")
	}
	for _, x := range []struct {
		f string
		v time.Duration
	}{{"time", c.Time}, {"call_limit", c.CallLimit}, {"timeout", c.Timeout}} {
		if x.v < 0 {
			d.fail(at(x.f), x.f, "must not be negative")
		}
	}
	if c.Repetitions < 1 {
		d.fail(at("repetitions"), "repetitions", "must be at least 1, found %d", c.Repetitions)
	}
	if c.RankBy != "" && !slices.Contains(ScoreNames(), c.RankBy) {
		d.fail(at("rank_by"), "rank_by", "unknown score %q (known: %s)", c.RankBy, strings.Join(ScoreNames(), ", "))
	}
}

func (d *decoder) str(n ast.Node, field string) string {
	switch v := unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value
	case *ast.LiteralNode:
		return v.Value.Value
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return text(v)
	}
	d.fail(n, field, "want a single value")
	return ""
}

func (d *decoder) int(n ast.Node, field string) int {
	v, ok := unwrap(n).(*ast.IntegerNode)
	if !ok {
		d.fail(n, field, "want an integer, found %q", text(n))
		return 0
	}
	switch x := v.Value.(type) {
	case int64:
		if x < 0 && field == "seed" {
			d.fail(n, field, "must not be negative")
		}
		return int(x)
	case uint64:
		if x > math.MaxInt64 {
			d.fail(n, field, "too large")
		}
		return int(x)
	}
	d.fail(n, field, "want an integer, found %q", text(n))
	return 0
}

func (d *decoder) bool(n ast.Node, field string) bool {
	v, ok := unwrap(n).(*ast.BoolNode)
	if !ok {
		d.fail(n, field, "want true or false, found %q", text(n))
		return false
	}
	return v.Value
}

// duration reads "2s", "150ms" or a number of seconds.
func (d *decoder) duration(n ast.Node, field string) time.Duration {
	switch v := unwrap(n).(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		x, err := strconv.ParseFloat(text(v), 64)
		if err == nil {
			return time.Duration(x * float64(time.Second))
		}
	case *ast.StringNode:
		t, err := time.ParseDuration(v.Value)
		if err == nil {
			return t
		}
		d.fail(n, field, "want a duration such as 2s or 150ms, found %q", v.Value)
		return 0
	}
	d.fail(n, field, "want a duration such as 2s or 150ms, found %q", text(n))
	return 0
}

func (d *decoder) seq(n ast.Node, field string) []ast.Node {
	v, ok := unwrap(n).(*ast.SequenceNode)
	if !ok {
		d.fail(n, field, "want a list")
		return nil
	}
	return v.Values
}

func (d *decoder) competitors(n ast.Node, field string) []Competitor {
	var out []Competitor
	for i, item := range d.seq(n, field) {
		f := fmt.Sprintf("%s[%d]", field, i)
		d.pos[f] = item
		kvs, isMap := pairs(item)
		if !isMap {
			s := d.str(item, f)
			out = append(out, Competitor{Name: NormalSpec(s), Strategy: s})
			continue
		}
		var c Competitor
		for _, kv := range kvs {
			k := keyOf(kv)
			d.pos[f+"."+k] = kv.Value
			switch k {
			case "name":
				c.Name = d.str(kv.Value, f+".name")
			case "strategy":
				c.Strategy = d.str(kv.Value, f+".strategy")
			case "params":
				c.Params = d.params(kv.Value, f+".params")
			default:
				d.fail(kv.Key, f+"."+k, "unknown field %q (known: name, strategy, params)", k)
			}
		}
		if c.Strategy == "" {
			d.fail(item, f+".strategy", "missing strategy")
		}
		if c.Name == "" {
			c.Name = c.Strategy
		}
		out = append(out, c)
	}
	return out
}

func (d *decoder) params(n ast.Node, field string) []Param {
	kvs, ok := pairs(n)
	if !ok {
		d.fail(n, field, "want a mapping of parameter names to values")
		return nil
	}
	var out []Param
	for _, kv := range kvs {
		k := keyOf(kv)
		d.pos[field+"."+k] = kv.Value
		var v any
		switch x := unwrap(kv.Value).(type) {
		case *ast.IntegerNode, *ast.FloatNode:
			f, err := strconv.ParseFloat(text(x), 64)
			if err != nil {
				d.fail(kv.Value, field+"."+k, "want a number, found %q", text(x))
			}
			v = f
		case *ast.BoolNode:
			v = x.Value
		case *ast.StringNode:
			v = x.Value
		default:
			d.fail(kv.Value, field+"."+k, "want a number, true/false or a string")
		}
		out = append(out, Param{Name: k, Value: v})
	}
	slices.SortFunc(out, func(a, b Param) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (d *decoder) scenarios(n ast.Node, field string) []ScenarioSpec {
	var out []ScenarioSpec
	for i, item := range d.seq(n, field) {
		f := fmt.Sprintf("%s[%d]", field, i)
		d.pos[f] = item
		kvs, isMap := pairs(item)
		if !isMap {
			out = append(out, ScenarioSpec{Path: d.str(item, f)})
			continue
		}
		var s ScenarioSpec
		for _, kv := range kvs {
			k := keyOf(kv)
			d.pos[f+"."+k] = kv.Value
			switch k {
			case "path":
				s.Path = d.str(kv.Value, f+".path")
			case "id":
				s.ID = d.str(kv.Value, f+".id")
			case "optional":
				s.Optional = d.bool(kv.Value, f+".optional")
			default:
				d.fail(kv.Key, f+"."+k, "unknown field %q (known: path, id, optional)", k)
			}
		}
		out = append(out, s)
	}
	return out
}

func isGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

// message returns an error's text without the code prefix of a
// parley.Error.
func message(err error) string {
	var pe *parley.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}
