package forecast

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"parley"
)

// CSVError is a problem in an actor table, at a place in the file.
type CSVError struct {
	File   string
	Line   int // 1-based
	Column int // 1-based field number; 0 if the whole line
	Msg    string
}

// Error writes FILE:LINE:COLUMN: MSG.
func (e *CSVError) Error() string {
	file := e.File
	if file == "" {
		file = "<input>"
	}
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", file, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", file, e.Line, e.Msg)
}

// ErrorCode makes CSV problems invalid input for the command line.
func (e *CSVError) ErrorCode() string { return parley.EINVALID }

// LoadCSV reads an actor table from a file; see ReadCSV.
func LoadCSV(path string) ([]Input, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read actor table: %w", err)
	}
	return ReadCSV(data, path)
}

// ReadCSV reads an actor table in one of two layouts, told apart by the
// first line:
//
//   - 4-column: a header naming the columns actor, capability, position and
//     salience (any order, any case), then one row per actor. A file without
//     a header is read in that column order. Salience is on a 0–1 scale, or on
//     0–100 when any salience exceeds 1 (then all are divided by 100).
//   - KTAB SMP: a first line "scenario,description,ACTORS,DIMENSIONS" (two
//     integers), a header "Actor,Description,Power,Pos1,Sal1,…", then per
//     actor: name,
//     description, power, and a position and a salience (0–100) per
//     dimension. Each dimension is returned as its own issue, named by its
//     header; positions keep their 0–100 scale and saliences are divided by
//     100.
//
// name is used in errors, which give file:line:column. The issue of a
// 4-column table is named after the file.
func ReadCSV(data []byte, name string) ([]Input, error) {
	rows, lines, err := readRecords(data, name)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, &CSVError{File: name, Line: 1, Msg: "empty file: want a header and one row per actor"}
	}
	if isKTAB(rows) {
		return readKTAB(rows, lines, name)
	}
	in, err := readFour(rows, lines, name)
	if err != nil {
		return nil, err
	}
	return []Input{in}, nil
}

func readRecords(data []byte, name string) ([][]string, []int, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.Comment = '#'
	var rows [][]string
	var lines []int
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, nil, &CSVError{File: name, Line: pe.Line, Column: pe.Column, Msg: pe.Err.Error()}
			}
			return nil, nil, fmt.Errorf("read %s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		// Drop trailing empty fields (KTAB files end lines with a comma).
		for len(rec) > 0 && strings.TrimSpace(rec[len(rec)-1]) == "" {
			rec = rec[:len(rec)-1]
		}
		if len(rec) == 0 {
			continue
		}
		if len(rows) == 0 && len(rec[0]) >= 3 && rec[0][:3] == "\xef\xbb\xbf" {
			rec[0] = rec[0][3:]
		}
		rows = append(rows, rec)
		lines = append(lines, line)
	}
	return rows, lines, nil
}

// isKTAB reports whether the table starts like KTAB's: a line
// "scenario,description,ACTORS,DIMENSIONS" (two integers last), then a header
// starting with Actor and at least five columns.
func isKTAB(rows [][]string) bool {
	first := rows[0]
	if len(first) != 4 || len(rows) < 2 || len(rows[1]) < 5 || !strings.EqualFold(strings.TrimSpace(rows[1][0]), "actor") {
		return false
	}
	_, e1 := strconv.Atoi(strings.TrimSpace(first[2]))
	_, e2 := strconv.Atoi(strings.TrimSpace(first[3]))
	return e1 == nil && e2 == nil
}

var fourColumns = []string{"actor", "capability", "position", "salience"}

func readFour(rows [][]string, lines []int, name string) (Input, error) {
	in := Input{Issue: issueName(name)}
	col := map[string]int{}
	start := 0
	if _, err := strconv.ParseFloat(strings.TrimSpace(cell(rows[0], 1)), 64); err != nil || len(rows[0]) < 2 {
		// A header.
		for c, h := range rows[0] {
			key := strings.ToLower(strings.TrimSpace(h))
			for _, want := range fourColumns {
				if key == want {
					if _, dup := col[key]; dup {
						return in, &CSVError{File: name, Line: lines[0], Column: c + 1, Msg: fmt.Sprintf("duplicate column %q", h)}
					}
					col[key] = c
				}
			}
		}
		for _, want := range fourColumns {
			if _, ok := col[want]; !ok {
				return in, &CSVError{File: name, Line: lines[0], Msg: fmt.Sprintf("header has no %q column: want columns actor,capability,position,salience (found %s)", want, strings.Join(rows[0], ","))}
			}
		}
		start = 1
	} else {
		for i, k := range fourColumns {
			col[k] = i
		}
	}
	width := 0
	for _, c := range col {
		width = max(width, c+1)
	}
	percent := false
	for k := start; k < len(rows); k++ {
		row, line := rows[k], lines[k]
		if len(row) < width {
			return in, &CSVError{File: name, Line: line, Column: len(row) + 1, Msg: fmt.Sprintf("want %d columns, found %d", width, len(row))}
		}
		a := Actor{Name: strings.TrimSpace(row[col["actor"]])}
		if a.Name == "" {
			return in, &CSVError{File: name, Line: line, Column: col["actor"] + 1, Msg: "empty actor name"}
		}
		if j := in.Index(a.Name); j >= 0 {
			return in, &CSVError{File: name, Line: line, Column: col["actor"] + 1, Msg: fmt.Sprintf("duplicate actor %q (also line %d)", a.Name, lines[start+j])}
		}
		var err error
		if a.Capability, err = number(row, col["capability"], name, line, "capability", 0, -1); err != nil {
			return in, err
		}
		if a.Position, err = number(row, col["position"], name, line, "position", -1, -1); err != nil {
			return in, err
		}
		if a.Salience, err = number(row, col["salience"], name, line, "salience", 0, 100); err != nil {
			return in, err
		}
		if a.Salience > 1 {
			percent = true
		}
		in.Actors = append(in.Actors, a)
	}
	if len(in.Actors) == 0 {
		return in, &CSVError{File: name, Line: lines[len(lines)-1], Msg: "no actor rows"}
	}
	if percent {
		for i := range in.Actors {
			in.Actors[i].Salience /= 100
		}
	}
	return in, nil
}

func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// number parses row[c] as a finite number, at least lo (if lo ≥ 0) and at
// most hi (if hi ≥ 0).
func number(row []string, c int, file string, line int, what string, lo, hi float64) (float64, error) {
	s := strings.TrimSpace(row[c])
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || !finite(x) {
		return 0, &CSVError{File: file, Line: line, Column: c + 1, Msg: fmt.Sprintf("%s: want a number, found %q", what, s)}
	}
	if lo >= 0 && x < lo {
		return 0, &CSVError{File: file, Line: line, Column: c + 1, Msg: fmt.Sprintf("%s must be ≥ %v, found %v", what, lo, x)}
	}
	if hi >= 0 && x > hi {
		return 0, &CSVError{File: file, Line: line, Column: c + 1, Msg: fmt.Sprintf("%s must be ≤ %v, found %v", what, hi, x)}
	}
	return x, nil
}

func issueName(file string) string {
	base := file[strings.LastIndexAny(file, `/\`)+1:]
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	if base == "" {
		return "issue"
	}
	return base
}

func readKTAB(rows [][]string, lines []int, name string) ([]Input, error) {
	first := rows[0]
	nActors, _ := strconv.Atoi(strings.TrimSpace(first[2]))
	nDims, _ := strconv.Atoi(strings.TrimSpace(first[3]))
	if nActors < 1 || nActors > 10000 {
		return nil, &CSVError{File: name, Line: lines[0], Column: 3, Msg: fmt.Sprintf("number of actors must be from 1 to 10000, found %d", nActors)}
	}
	if nDims < 1 || nDims > 1000 {
		return nil, &CSVError{File: name, Line: lines[0], Column: 4, Msg: fmt.Sprintf("number of dimensions must be from 1 to 1000, found %d", nDims)}
	}
	width := 3 + 2*nDims
	if len(rows) < 2 {
		return nil, &CSVError{File: name, Line: lines[0] + 1, Msg: "missing header line Actor,Description,Power,Pos1,Sal1,…"}
	}
	head := rows[1]
	if len(head) < width {
		return nil, &CSVError{File: name, Line: lines[1], Column: len(head) + 1, Msg: fmt.Sprintf("header: want %d columns for %d dimensions, found %d", width, nDims, len(head))}
	}
	if len(rows)-2 != nActors {
		return nil, &CSVError{File: name, Line: lines[len(lines)-1], Msg: fmt.Sprintf("line 1 announces %d actors, found %d actor rows", nActors, len(rows)-2)}
	}
	ins := make([]Input, nDims)
	for d := range ins {
		ins[d].Issue = strings.TrimSpace(head[3+2*d])
		if ins[d].Issue == "" {
			ins[d].Issue = fmt.Sprintf("dimension %d", d+1)
		}
		ins[d].Lo, ins[d].Hi = 0, 100
	}
	for k := 2; k < len(rows); k++ {
		row, line := rows[k], lines[k]
		if len(row) < width {
			return nil, &CSVError{File: name, Line: line, Column: len(row) + 1, Msg: fmt.Sprintf("want %d columns (name, description, power, then position and salience for %d dimensions), found %d", width, nDims, len(row))}
		}
		actor := strings.TrimSpace(row[0])
		if actor == "" {
			return nil, &CSVError{File: name, Line: line, Column: 1, Msg: "empty actor name"}
		}
		if j := ins[0].Index(actor); j >= 0 {
			return nil, &CSVError{File: name, Line: line, Column: 1, Msg: fmt.Sprintf("duplicate actor %q (also line %d)", actor, lines[2+j])}
		}
		power, err := number(row, 2, name, line, "power", 0, -1)
		if err != nil {
			return nil, err
		}
		total := 0.0
		for d := 0; d < nDims; d++ {
			pos, err := number(row, 3+2*d, name, line, "position", 0, 100)
			if err != nil {
				return nil, err
			}
			sal, err := number(row, 4+2*d, name, line, "salience", 0, 100)
			if err != nil {
				return nil, err
			}
			total += sal
			if total > 100*(1+1e-9) {
				return nil, &CSVError{File: name, Line: line, Column: 4 + 2*d + 1, Msg: fmt.Sprintf("total salience of %s exceeds 100 (%v)", actor, total)}
			}
			ins[d].Actors = append(ins[d].Actors, Actor{Name: actor, Capability: power, Position: pos, Salience: sal / 100})
		}
	}
	return ins, nil
}
