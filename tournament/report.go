package tournament

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Files written by WriteScores in a tournament folder.
const (
	ScoresCSV   = "scores.csv"
	ScoresJSON  = "scores.json"
	SummaryFile = "summary.txt"
)

// WriteScores scores the results in dir, ranked by rankBy (the manifest's
// rank_by when empty), and writes scores.csv, scores.json and summary.txt
// (the overall ranking, then each scenario's).
func WriteScores(dir, rankBy string) (*Scores, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	var comps, scens []string
	if m.Config != nil {
		for _, c := range m.Config.Competitors {
			comps = append(comps, c.Name)
		}
		if rankBy == "" {
			rankBy = m.Config.RankBy
		}
	}
	for _, s := range m.Scenarios {
		scens = append(scens, s.ID)
	}
	name := filepath.Join(dir, ResultsFile)
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("scores: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("scores: %w", err)
	}
	end, err := lastNewline(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("scores: %w", err)
	}
	r, err := NewReader(io.NewSectionReader(f, 0, end), name)
	if err != nil {
		return nil, err
	}
	sc, err := ComputeScores(r, rankBy, comps, scens)
	if err != nil {
		return nil, err
	}
	for _, out := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{ScoresCSV, func(b *bytes.Buffer) error { return sc.WriteCSV(b) }},
		{ScoresJSON, func(b *bytes.Buffer) error { return sc.WriteJSON(b) }},
		{SummaryFile, func(b *bytes.Buffer) error {
			if err := sc.WriteTable(b); err != nil {
				return err
			}
			return sc.WriteScenarioTables(b)
		}},
	} {
		var b bytes.Buffer
		if err := out.write(&b); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, out.name), b.Bytes(), 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", out.name, err)
		}
	}
	return sc, nil
}
