package genius

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of elements read, so hostile input cannot
// exhaust memory through depth alone.
const maxDepth = 64

// node is one XML element: its name, attributes, child elements and where
// it starts. GENIUS files carry everything in attributes; character data is
// ignored.
type node struct {
	name  string
	attrs []xml.Attr
	kids  []*node
	line  int
	path  string // e.g. utility_space/objective/issue[2]
}

// parseXML reads a whole document into a tree. file names the input in
// errors.
func parseXML(data []byte, file string) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "us-ascii", "ascii", "utf-8", "utf8":
			return r, nil
		case "iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
			return latin1Reader(r), nil
		}
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	var root *node
	var stack []*node
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: malformed XML: %w", file, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := d.InputPos()
			n := &node{name: t.Name.Local, attrs: t.Attr, line: line}
			if len(stack) == 0 {
				if root != nil {
					return nil, fmt.Errorf("%s:%d: more than one root element (<%s> after <%s>)", file, line, n.name, root.name)
				}
				root = n
				n.path = n.name
			} else {
				parent := stack[len(stack)-1]
				k := 1
				for _, s := range parent.kids {
					if s.name == n.name {
						k++
					}
				}
				n.path = fmt.Sprintf("%s/%s[%d]", parent.path, n.name, k)
				parent.kids = append(parent.kids, n)
			}
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("%s:%d: elements nested deeper than %d", file, line, maxDepth)
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%s: no XML element found", file)
	}
	return root, nil
}

func latin1Reader(r io.Reader) io.Reader {
	data, err := io.ReadAll(r)
	if err != nil {
		return &errReader{err}
	}
	var b strings.Builder
	for _, c := range data {
		b.WriteRune(rune(c))
	}
	return strings.NewReader(b.String())
}

type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }

// attr returns the value of the named attribute and whether it is present.
func (n *node) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return strings.TrimSpace(a.Value), true
		}
	}
	return "", false
}

// children returns the direct children with the given name.
func (n *node) children(name string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// child returns the first direct child with the given name, or nil.
func (n *node) child(name string) *node {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// errAt is an error located at element n of file.
func errAt(file string, n *node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: <%s> (%s): %s", file, n.line, n.name, n.path, fmt.Sprintf(format, args...))
}

// number reads a required numeric attribute.
func (n *node) number(file, name string) (float64, error) {
	s, ok := n.attr(name)
	if !ok {
		return 0, errAt(file, n, "missing attribute %s", name)
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x != x || x > 1e300 || x < -1e300 {
		return 0, errAt(file, n, "attribute %s=%q is not a finite number", name, s)
	}
	return x, nil
}

// integer reads a required integer attribute.
func (n *node) integer(file, name string) (int, error) {
	s, ok := n.attr(name)
	if !ok {
		return 0, errAt(file, n, "missing attribute %s", name)
	}
	x, err := strconv.Atoi(s)
	if err != nil {
		// GENIUS parses bounds with Integer.valueOf; accept "5.0" too.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int(f)) || f > 1<<40 || f < -(1<<40) {
			return 0, errAt(file, n, "attribute %s=%q is not an integer", name, s)
		}
		x = int(f)
	}
	return x, nil
}
