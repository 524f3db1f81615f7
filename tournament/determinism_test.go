package tournament

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// mixedConfig is a tournament of real strategies over a 1000-outcome
// bilateral scenario and a three-party one, with repetitions.
func mixedConfig() *Config {
	c := Defaults()
	for _, n := range []string{"boulware", "conceder", "titfortat", "micro", "random"} {
		c.Competitors = append(c.Competitors, Competitor{Name: n, Strategy: n})
	}
	c.Competitors = append(c.Competitors, Competitor{Name: "linear-k", Strategy: "linear", Params: []Param{{"k", 0.1}}})
	c.Scenarios = []ScenarioSpec{{Path: "testdata/bilateral.yaml"}, {Path: "testdata/trilateral.yaml"}}
	c.Rounds = 200
	c.Repetitions = 3
	c.Seed = 42
	return &c
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWorkersIdentical: -j 1 and -j 2 write byte-identical results and
// scores.
func TestWorkersIdentical(t *testing.T) {
	one := runTo(t, mixedConfig(), Options{Workers: 1})
	two := runTo(t, mixedConfig(), Options{Workers: 2})
	eight := runTo(t, mixedConfig(), Options{Workers: 8})
	for _, d := range []string{one, two, eight} {
		if _, err := WriteScores(d, ""); err != nil {
			t.Fatal(err)
		}
	}
	a := readFile(t, filepath.Join(one, ResultsFile))
	// 2 scenarios: 6·5 ordered pairs + 6·5·4 triples, 3 repetitions each.
	if n := bytes.Count(a, []byte("\n")) - 1; n != (30+120)*3 {
		t.Fatalf("%d rows, want %d", n, (30+120)*3)
	}
	for _, f := range []string{ResultsFile, ScoresCSV, ScoresJSON} {
		x := readFile(t, filepath.Join(one, f))
		for _, d := range []string{two, eight} {
			if !bytes.Equal(x, readFile(t, filepath.Join(d, f))) {
				t.Errorf("%s differs between -j 1 and another -j", f)
			}
		}
	}
}

// TestShardsMerge: shards 1/3, 2/3 and 3/3 are disjoint, cover the plan,
// and merge into the unsharded run's results byte for byte.
func TestShardsMerge(t *testing.T) {
	whole := runTo(t, mixedConfig(), Options{Workers: 2})
	var dirs []string
	rows := 0
	for k := 1; k <= 3; k++ {
		d := runTo(t, mixedConfig(), Options{Workers: 2, Shard: Shard{K: k, N: 3}})
		recs := readAll(t, d)
		if len(recs) == 0 {
			t.Errorf("shard %d/3 is empty", k)
		}
		rows += len(recs)
		dirs = append(dirs, d)
	}
	if rows != 450 {
		t.Errorf("shards hold %d rows together, want 450", rows)
	}
	out := filepath.Join(t.TempDir(), "merged")
	// Merge in another order than the shards' numbers.
	m, err := Merge(out, []string{dirs[2], dirs[0], dirs[1]}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Complete || m.Jobs != 450 || m.Shard != "all" {
		t.Errorf("merged manifest %+v", m)
	}
	if !bytes.Equal(readFile(t, filepath.Join(whole, ResultsFile)), readFile(t, filepath.Join(out, ResultsFile))) {
		t.Error("merged results differ from the unsharded run's")
	}
	for _, d := range []string{whole, out} {
		if _, err := WriteScores(d, ""); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(readFile(t, filepath.Join(whole, ScoresJSON)), readFile(t, filepath.Join(out, ScoresJSON))) {
		t.Error("merged scores differ from the unsharded run's")
	}
	// Missing or repeated shards are refused.
	if _, err := Merge(filepath.Join(t.TempDir(), "m"), dirs[:2], false); err == nil {
		t.Error("merge of 2 of 3 shards succeeded")
	}
	if _, err := Merge(filepath.Join(t.TempDir(), "m"), []string{dirs[0], dirs[0], dirs[1]}, false); err == nil {
		t.Error("merge with a repeated shard succeeded")
	}
}

// TestResumeInProcess: a run cancelled part-way, with a partial last line
// appended as a kill would leave it, resumes to the uninterrupted results.
func TestResumeInProcess(t *testing.T) {
	whole := runTo(t, mixedConfig(), Options{Workers: 2})
	want := readFile(t, filepath.Join(whole, ResultsFile))
	plan, err := NewPlan(mixedConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err = Run(ctx, plan, Options{Dir: dir, Workers: 2, Progress: func(done, total int64) {
		if n++; n == 100 {
			cancel()
		}
	}})
	if err == nil {
		t.Fatal("cancelled run reported no error")
	}
	path := filepath.Join(dir, ResultsFile)
	got := readFile(t, path)
	if len(got) >= len(want) || !bytes.HasPrefix(want, got) {
		t.Fatalf("interrupted results (%d bytes) are not a proper prefix of the whole (%d bytes)", len(got), len(want))
	}
	// A torn write: half of the next line.
	next := want[len(got):]
	torn := next[:bytes.IndexByte(next, '\n')/2]
	if err := os.WriteFile(path, append(got, torn...), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), plan, Options{Dir: dir, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resumed < 100 || sum.Resumed+sum.Ran != 450 {
		t.Errorf("resumed %d, ran %d; want ≥ 100 resumed, 450 in all", sum.Resumed, sum.Ran)
	}
	if !bytes.Equal(readFile(t, path), want) {
		t.Error("resumed results differ from the uninterrupted run's")
	}
	// Another configuration is refused in the same folder.
	other := mixedConfig()
	other.Seed = 7
	p2, err := NewPlan(other, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), p2, Options{Dir: dir}); err == nil {
		t.Error("a run of another configuration accepted the folder")
	}
}
