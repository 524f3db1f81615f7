package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Load reads and validates the scenario file at path (YAML or JSON).
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes and validates a scenario from YAML or JSON bytes. name is the
// file name used in error messages. Unknown fields are errors. On failure the
// error is Problems, listing every problem found.
func Parse(data []byte, name string) (*Scenario, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, Problems{{File: name, Msg: "empty file"}}
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, Problems{yamlProblem(name, err)}
	}
	if len(file.Docs) != 1 || file.Docs[0].Body == nil {
		return nil, Problems{{File: name, Msg: fmt.Sprintf("want exactly one document, found %d", len(file.Docs))}}
	}
	root := file.Docs[0].Body
	var ps Problems
	checkShape(root, reflect.TypeFor[Scenario](), nil, func(n ast.Node, p Path, msg string) {
		pr := Problem{File: name, Field: p.String(), Msg: msg}
		pr.Line, pr.Column = position(n)
		ps = append(ps, pr)
	})
	if len(ps) > 0 {
		return nil, ps
	}
	var s Scenario
	if err := yaml.UnmarshalWithOptions(data, &s, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return nil, Problems{yamlProblem(name, err)}
	}
	s.File = name
	if l := s.validate(); len(l) > 0 {
		ps := l.problems()
		for i := range ps {
			ps[i].File = name
			ps[i].Line, ps[i].Column = locate(root, l[i].path)
		}
		return nil, ps
	}
	return &s, nil
}

func yamlProblem(name string, err error) Problem {
	p := Problem{File: name, Msg: err.Error()}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p.Msg = ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Column = tk.Position.Line, tk.Position.Column
		}
	}
	return p
}

func position(n ast.Node) (int, int) {
	if n == nil {
		return 0, 0
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return 0, 0
	}
	return tk.Position.Line, tk.Position.Column
}

// unwrap skips anchors and tags.
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

func keyText(k ast.MapKeyNode) string {
	if tk := k.GetToken(); tk != nil {
		return tk.Value
	}
	return k.String()
}

// mapping returns the key/value pairs of a mapping node (flow or block).
func mapping(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch v := n.(type) {
	case *ast.MappingNode:
		return v.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{v}, true
	}
	return nil, false
}

// checkShape walks the YAML tree against the Go type of the schema and reports
// every unknown field, every map or list where a scalar belongs (and the
// reverse), and every non-integer where an integer belongs. It lets Parse
// report all such problems at once, where the decoder stops at the first.
func checkShape(n ast.Node, t reflect.Type, p Path, report func(ast.Node, Path, string)) {
	n = unwrap(n)
	if n == nil {
		return
	}
	if _, ok := n.(*ast.NullNode); ok {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		pairs, ok := mapping(n)
		if !ok {
			report(n, p, "want a mapping of fields")
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f.Type
			names = append(names, tag)
		}
		for _, kv := range pairs {
			k := keyText(kv.Key)
			ft, ok := fields[k]
			if !ok {
				report(kv.Key, p.with(k), fmt.Sprintf("unknown field %q (known: %s)", k, strings.Join(names, ", ")))
				continue
			}
			checkShape(kv.Value, ft, p.with(k), report)
		}
	case reflect.Map:
		pairs, ok := mapping(n)
		if !ok {
			report(n, p, "want a mapping")
			return
		}
		for _, kv := range pairs {
			checkShape(kv.Value, t.Elem(), p.with(keyText(kv.Key)), report)
		}
	case reflect.Slice, reflect.Array:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			report(n, p, "want a list")
			return
		}
		if t.Kind() == reflect.Array && len(seq.Values) != t.Len() {
			report(n, p, fmt.Sprintf("want a list of %d items, found %d", t.Len(), len(seq.Values)))
		}
		for i, v := range seq.Values {
			checkShape(v, t.Elem(), p.with(i), report)
		}
	case reflect.Int:
		switch unwrap(n).(type) {
		case *ast.IntegerNode:
		default:
			report(n, p, fmt.Sprintf("want an integer, found %q", tokenValue(n)))
		}
	case reflect.Float64:
		switch unwrap(n).(type) {
		case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		default:
			report(n, p, fmt.Sprintf("want a number, found %q", tokenValue(n)))
		}
	case reflect.Bool:
		if _, ok := n.(*ast.BoolNode); !ok {
			report(n, p, fmt.Sprintf("want true or false, found %q", tokenValue(n)))
		}
	case reflect.String:
		switch n.(type) {
		case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
			report(n, p, "want a single value, found a "+map[bool]string{true: "list", false: "mapping"}[isSeq(n)])
		}
	}
}

func isSeq(n ast.Node) bool { _, ok := n.(*ast.SequenceNode); return ok }

func tokenValue(n ast.Node) string {
	if tk := n.GetToken(); tk != nil && tk.Type != token.MappingStartType && tk.Type != token.SequenceStartType {
		return tk.Value
	}
	return strings.TrimSpace(n.String())
}

// locate finds the line and column of the node at path p, or of its nearest
// ancestor present in the file.
func locate(root ast.Node, p Path) (int, int) {
	n := unwrap(root)
	line, col := position(n)
	for _, seg := range p {
		var next ast.Node
		switch seg := seg.(type) {
		case string:
			pairs, _ := mapping(n)
			for _, kv := range pairs {
				if keyText(kv.Key) == seg {
					next = kv.Value
					if _, isNull := unwrap(kv.Value).(*ast.NullNode); isNull || kv.Value == nil {
						next = kv.Key
					}
					break
				}
			}
		case int:
			if seq, ok := n.(*ast.SequenceNode); ok && seg < len(seq.Values) {
				next = seq.Values[seg]
			}
		}
		if next == nil {
			break
		}
		n = unwrap(next)
		if l, c := position(n); l > 0 {
			line, col = l, c
		}
	}
	return line, col
}
