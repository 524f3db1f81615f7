package tournament

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"parley"
)

// ResultsFile is the name of the results file in a tournament folder.
const ResultsFile = "results.csv"

// fixedColumns are the columns before the per-role groups.
var fixedColumns = []string{"index", "key", "scenario", "repetition", "seed", "status", "outcome", "rounds", "t",
	"blame", "error", "welfare", "pareto_distance", "nash_distance"}

// roleColumns are the columns of each role's group, suffixed _1, _2, ….
var roleColumns = []string{"competitor", "utility", "advantage"}

// Header returns the results header for plans with at most roles roles.
func Header(roles int) []string {
	h := append([]string(nil), fixedColumns...)
	for r := 1; r <= roles; r++ {
		for _, c := range roleColumns {
			h = append(h, fmt.Sprintf("%s_%d", c, r))
		}
	}
	return h
}

// formatFloat writes x as briefly as reads back exactly; NaN as empty.
func formatFloat(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

func parseFloat(s string) (float64, error) {
	if s == "" {
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}

// Row returns the record as a results row for plans with at most roles
// roles.
func (r *Record) Row(roles int) []string {
	row := make([]string, 0, len(fixedColumns)+3*roles)
	outcome := ""
	if r.Outcome >= 0 {
		outcome = strconv.FormatInt(r.Outcome, 10)
	}
	row = append(row, strconv.FormatInt(r.Index, 10), r.Key, r.Scenario, strconv.Itoa(r.Repetition),
		strconv.FormatUint(r.Seed, 10), r.Status, outcome, strconv.Itoa(r.Rounds), formatFloat(r.T),
		r.Blame, r.Error, formatFloat(r.Welfare), formatFloat(r.Pareto), formatFloat(r.Nash))
	for i := 0; i < roles; i++ {
		if i < len(r.Competitors) {
			row = append(row, r.Competitors[i], formatFloat(r.Utilities[i]), formatFloat(r.Advantages[i]))
		} else {
			row = append(row, "", "", "")
		}
	}
	return row
}

// ParseRow reads a results row back into a Record.
func ParseRow(row []string) (Record, error) {
	var r Record
	if len(row) < len(fixedColumns) || (len(row)-len(fixedColumns))%len(roleColumns) != 0 {
		return r, parley.Errorf(parley.EINVALID, "%d columns; want %d plus %d per role", len(row), len(fixedColumns), len(roleColumns))
	}
	var errs []string
	num := func(col string, s string, f func(string) error) {
		if err := f(s); err != nil {
			errs = append(errs, fmt.Sprintf("%s %q", col, s))
		}
	}
	var err error
	num("index", row[0], func(s string) error { r.Index, err = strconv.ParseInt(s, 10, 64); return err })
	r.Key, r.Scenario = row[1], row[2]
	num("repetition", row[3], func(s string) error { r.Repetition, err = strconv.Atoi(s); return err })
	num("seed", row[4], func(s string) error { r.Seed, err = strconv.ParseUint(s, 10, 64); return err })
	r.Status = row[5]
	r.Outcome = -1
	if row[6] != "" {
		num("outcome", row[6], func(s string) error { r.Outcome, err = strconv.ParseInt(s, 10, 64); return err })
	}
	num("rounds", row[7], func(s string) error { r.Rounds, err = strconv.Atoi(s); return err })
	num("t", row[8], func(s string) error { r.T, err = parseFloat(s); return err })
	r.Blame, r.Error = row[9], row[10]
	num("welfare", row[11], func(s string) error { r.Welfare, err = parseFloat(s); return err })
	num("pareto_distance", row[12], func(s string) error { r.Pareto, err = parseFloat(s); return err })
	num("nash_distance", row[13], func(s string) error { r.Nash, err = parseFloat(s); return err })
	for i := len(fixedColumns); i < len(row); i += 3 {
		if row[i] == "" {
			break
		}
		var u, a float64
		num("utility", row[i+1], func(s string) error { u, err = parseFloat(s); return err })
		num("advantage", row[i+2], func(s string) error { a, err = parseFloat(s); return err })
		r.Competitors = append(r.Competitors, row[i])
		r.Utilities = append(r.Utilities, u)
		r.Advantages = append(r.Advantages, a)
	}
	if len(errs) > 0 {
		return r, parley.Errorf(parley.EINVALID, "bad %s", strings.Join(errs, ", "))
	}
	return r, nil
}

// Reader reads a results file record by record.
type Reader struct {
	cr    *csv.Reader
	name  string
	roles int
	line  int
}

// NewReader reads the header of a results file; name is used in errors.
func NewReader(r io.Reader, name string) (*Reader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	h, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	roles := (len(h) - len(fixedColumns)) / len(roleColumns)
	if roles < 0 || strings.Join(h, ",") != strings.Join(Header(roles), ",") {
		return nil, parley.Errorf(parley.EINVALID, "%s:1: not a tournament results header", name)
	}
	return &Reader{cr: cr, name: name, roles: roles, line: 1}, nil
}

// Roles returns the number of per-role column groups.
func (r *Reader) Roles() int { return r.roles }

// Read returns the next record, or io.EOF.
func (r *Reader) Read() (Record, error) {
	row, err := r.cr.Read()
	if err == io.EOF {
		return Record{}, io.EOF
	}
	r.line++
	if err != nil {
		return Record{}, fmt.Errorf("%s:%d: %w", r.name, r.line, err)
	}
	rec, err := ParseRow(row)
	if err != nil {
		return rec, fmt.Errorf("%s:%d: %w", r.name, r.line, err)
	}
	return rec, nil
}

// Offset returns the byte offset just after the last record read.
func (r *Reader) Offset() int64 { return r.cr.InputOffset() }

// Writer writes results rows.
type Writer struct {
	cw    *csv.Writer
	roles int
}

// NewWriter returns a Writer for plans with at most roles roles. It writes
// the header when header is true.
func NewWriter(w io.Writer, roles int, header bool) (*Writer, error) {
	cw := csv.NewWriter(w)
	if header {
		if err := cw.Write(Header(roles)); err != nil {
			return nil, fmt.Errorf("write results header: %w", err)
		}
	}
	return &Writer{cw: cw, roles: roles}, nil
}

// Write writes one record (buffered; see Flush).
func (w *Writer) Write(r *Record) error {
	if err := w.cw.Write(r.Row(w.roles)); err != nil {
		return fmt.Errorf("write result %s: %w", r.Key, err)
	}
	return nil
}

// Flush writes the buffered rows.
func (w *Writer) Flush() error {
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}
