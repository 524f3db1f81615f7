package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"parley"
)

// Path locates a field in a scenario file: a list of map keys (string) and
// list indices (int), from the top of the document.
type Path []any

// String writes the path as parties[1].preferences.linear.issues.x.weight.
func (p Path) String() string {
	var b strings.Builder
	for _, s := range p {
		switch s := s.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(s) + "]")
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			if s == "" || strings.ContainsAny(s, ".[] ") {
				s = strconv.Quote(s)
			}
			b.WriteString(s)
		}
	}
	return b.String()
}

func (p Path) with(s ...any) Path {
	q := make(Path, 0, len(p)+len(s))
	return append(append(q, p...), s...)
}

// Problem is one thing wrong with a scenario file, at a place in it.
type Problem struct {
	File   string // file name, if known
	Line   int    // 1-based; 0 if unknown
	Column int    // 1-based; 0 if unknown
	Field  string // the field's path, e.g. parties[0].role
	Msg    string
}

// Error writes FILE:LINE:COL: FIELD: MSG.
func (p Problem) Error() string {
	var b strings.Builder
	file := p.File
	if file == "" {
		file = "<input>"
	}
	b.WriteString(file)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in a scenario file; it is the error
// returned by Load, Parse and Validate.
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// ErrorCode reports parley.EINVALID: problems are always bad input.
func (ps Problems) ErrorCode() string { return parley.EINVALID }
