package genius

import (
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"parley"
	"parley/scenario"
	"parley/utility"
)

// Export returns the GENIUS files of a scenario: a domain file and one
// profile per participant, named after the party. Only linear preferences
// can be written. Categorical issues become discrete issues; integer issues
// on which every participant's value function is linear with values in
// [0, 1] become integer issues with a linear evaluator; other numeric issues
// become discrete issues listing their values. Discrete evaluations are
// written divided by the issue's largest value utility, with the weight
// multiplied by it, so that GENIUS's normalisation gives back the same
// utilities. warn, if not nil, receives what is lost (mediators and
// observers, issue types).
func Export(sc *scenario.Scenario, warn func(string)) ([]File, error) {
	say := func(format string, args ...any) {
		if warn != nil {
			warn(fmt.Sprintf(format, args...))
		}
	}
	var parties []*scenario.Party
	for i := range sc.Parties {
		p := &sc.Parties[i]
		if p.Role != scenario.Participant {
			say("party %q (%s) not written: GENIUS profiles are participants", p.Name, p.Role)
			continue
		}
		if k := p.Preferences.Kind(); k != "linear" {
			return nil, parley.Errorf(parley.EUNSUPPORTED, "party %q has %s preferences: GENIUS XML export writes linear additive preferences only", p.Name, k)
		}
		parties = append(parties, p)
	}
	if len(parties) == 0 {
		return nil, parley.Errorf(parley.EUNSUPPORTED, "scenario %q has no participant to write", sc.Name)
	}
	// An integer issue stays integer when every party's value function on
	// it is a line within [0, 1] (GENIUS clamps to [0, 1]).
	asInteger := make([]bool, len(sc.Issues))
	for i := range sc.Issues {
		is := &sc.Issues[i]
		if is.Type != scenario.Integer || *is.Max == *is.Min {
			if is.Type != scenario.Categorical {
				say("issue %q written as a discrete issue listing its %d values", is.Name, is.Cardinality())
			}
			continue
		}
		ok := true
		for _, p := range parties {
			li, listed := p.Preferences.Linear.Issues[is.Name]
			if !listed {
				continue
			}
			f := li.Function
			if f.Shape != scenario.ShapeLinear || !in01(*f.AtMin) || !in01(*f.AtMax) || li.Scale != nil {
				ok = false
			}
		}
		asInteger[i] = ok
		if !ok {
			say("issue %q written as a discrete issue: a value function is not a line within [0, 1]", is.Name)
		}
	}

	var files []File
	names := map[string]string{}
	domName := fileName(sc.Name) + "-domain.xml"
	names[domName] = "the domain"
	var b strings.Builder
	b.WriteString("<negotiation_template>\n")
	fmt.Fprintf(&b, "<utility_space number_of_issues=\"%d\">\n", len(sc.Issues))
	fmt.Fprintf(&b, "<objective index=\"0\" etype=\"objective\" type=\"objective\" description=\"\" name=%s>\n", attr(sc.Name))
	for i := range sc.Issues {
		writeIssue(&b, &sc.Issues[i], i+1, asInteger[i], nil)
	}
	b.WriteString("</objective>\n</utility_space>\n</negotiation_template>\n")
	files = append(files, File{Name: domName, Data: []byte(b.String())})

	for _, p := range parties {
		name := fileName(p.Name) + ".xml"
		if other, dup := names[name]; dup {
			return nil, parley.Errorf(parley.EUNSUPPORTED, "party %q would be written to %s, as is %s", p.Name, name, other)
		}
		names[name] = fmt.Sprintf("party %q", p.Name)
		if name != p.Name+".xml" {
			say("party %q written to %s: it will read back as %q", p.Name, name, strings.TrimSuffix(name, ".xml"))
		}
		var b strings.Builder
		b.WriteString("<utility_space>\n")
		fmt.Fprintf(&b, "<objective index=\"0\" etype=\"objective\" type=\"objective\" description=\"\" name=%s>\n", attr(sc.Name))
		weights := make([]float64, len(sc.Issues))
		for i := range sc.Issues {
			is := &sc.Issues[i]
			li, listed := p.Preferences.Linear.Issues[is.Name]
			if !listed {
				li = scenario.LinearIssue{Weight: 0}
			}
			w, err := writeIssueEval(&b, is, i+1, asInteger[i], li, listed)
			if err != nil {
				return nil, fmt.Errorf("party %q: %w", p.Name, err)
			}
			weights[i] = w
		}
		for i, w := range weights {
			fmt.Fprintf(&b, "<weight index=\"%d\" value=\"%s\">\n</weight>\n", i+1, num(w))
		}
		b.WriteString("</objective>\n")
		if p.Discount != nil && *p.Discount < 1 {
			fmt.Fprintf(&b, "<discount_factor value=\"%s\">\n</discount_factor>\n", num(*p.Discount))
		}
		if p.Reservation != nil {
			fmt.Fprintf(&b, "<reservation value=\"%s\">\n</reservation>\n", num(*p.Reservation))
		}
		b.WriteString("</utility_space>\n")
		files = append(files, File{Name: name, Data: []byte(b.String())})
	}
	return files, nil
}

// WriteDir writes Export's files into dir, creating it if needed.
func WriteDir(sc *scenario.Scenario, dir string, warn func(string)) error {
	files, err := Export(sc, warn)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write GENIUS folder: %w", err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			return fmt.Errorf("write GENIUS folder: %w", err)
		}
	}
	return nil
}

func in01(x float64) bool { return x >= 0 && x <= 1 }

// num writes a number so that it reads back exactly.
func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// attr quotes an attribute value.
func attr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	_ = xml.EscapeText(&b, []byte(s))
	b.WriteByte('"')
	return b.String()
}

// fileName turns a name into a safe file name.
func fileName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "scenario"
	}
	return b.String()
}

// writeIssue writes the domain's <issue> element, or its opening and items
// when evals is not nil (a profile).
func writeIssue(b *strings.Builder, is *scenario.Issue, index int, integer bool, evals []float64) {
	if integer {
		fmt.Fprintf(b, "<issue index=\"%d\" etype=\"integer\" type=\"integer\" vtype=\"integer\" name=%s lowerbound=\"%s\" upperbound=\"%s\">\n",
			index, attr(is.Name), num(*is.Min), num(*is.Max))
		if evals == nil {
			b.WriteString("</issue>\n")
		}
		return
	}
	fmt.Fprintf(b, "<issue index=\"%d\" etype=\"discrete\" type=\"discrete\" vtype=\"discrete\" name=%s>\n", index, attr(is.Name))
	for k := 0; k < is.Cardinality(); k++ {
		if evals == nil {
			fmt.Fprintf(b, "<item index=\"%d\" value=%s>\n</item>\n", k+1, attr(is.Label(k)))
		} else {
			fmt.Fprintf(b, "<item index=\"%d\" value=%s evaluation=\"%s\">\n</item>\n", k+1, attr(is.Label(k)), num(evals[k]))
		}
	}
	if evals == nil {
		b.WriteString("</issue>\n")
	}
}

// writeIssueEval writes a profile's <issue> and returns the weight to give
// it.
func writeIssueEval(b *strings.Builder, is *scenario.Issue, index int, integer bool, li scenario.LinearIssue, listed bool) (float64, error) {
	if integer {
		writeIssue(b, is, index, true, []float64{})
		offset, slope := 0.0, 0.0
		if listed {
			offset, slope = *li.Function.AtMin, exactSlope(*li.Function.AtMin, *li.Function.AtMax, *is.Max-*is.Min)
		}
		fmt.Fprintf(b, "<evaluator ftype=\"linear\" offset=\"%s\" slope=\"%s\">\n</evaluator>\n</issue>\n", num(offset), num(slope))
		return li.Weight, nil
	}
	n := is.Cardinality()
	vals := make([]float64, n)
	if listed {
		for k := range vals {
			if is.Type == scenario.Categorical {
				vals[k] = li.Values[is.Values[k]]
			} else {
				vals[k] = utility.ValueFunction(li.Function, is).At(is.Number(k))
			}
			if vals[k] < 0 {
				return 0, parley.Errorf(parley.EUNSUPPORTED, "issue %q: value %q has utility %v < 0, which GENIUS cannot represent", is.Name, is.Label(k), vals[k])
			}
		}
	}
	m := 0.0
	for _, v := range vals {
		m = math.Max(m, v)
	}
	w := li.Weight
	if li.Scale != nil {
		if *li.Scale == m {
			// Evaluations divided by their largest: exactly GENIUS's
			// normalisation, so they are written as they are.
			writeIssue(b, is, index, false, vals)
			b.WriteString("</issue>\n")
			return w, nil
		}
		for k := range vals {
			vals[k] /= *li.Scale
		}
		m /= *li.Scale
	}
	if m > 0 && m != 1 {
		for k := range vals {
			vals[k] /= m
		}
		w *= m
	}
	writeIssue(b, is, index, false, vals)
	b.WriteString("</issue>\n")
	return w, nil
}

// exactSlope returns a slope s with a + s·d == c in floating point when one
// lies within a few units in the last place of (c − a)/d, so that the line
// reads back with the same endpoint utilities.
func exactSlope(a, c, d float64) float64 {
	s0 := (c - a) / d
	up, down := s0, s0
	for range 8 {
		if a+up*d == c {
			return up
		}
		if a+down*d == c {
			return down
		}
		up, down = math.Nextafter(up, math.Inf(1)), math.Nextafter(down, math.Inf(-1))
	}
	return s0
}
