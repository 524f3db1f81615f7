package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"parley/tournament"
)

// TestTournamentCLI runs a small tournament from flags, checks its output
// and files, re-runs one negotiation with the `parley run` command printed
// by `tournament keys` and checks it gives the utilities of its row.
func TestTournamentCLI(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "res")
	flags := []string{"--negotiators", "boulware,conceder,timedependent(e=0.5; k=0.1)", "--scenarios", "../../examples/us-russia.yaml",
		"--rounds", "300", "--repetitions", "2", "--seed", "5"}
	stdout, stderr, code := run(t, append([]string{"tournament", "-j", "2", "--out", out, "--plot", filepath.Join(dir, "fig")}, flags...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr is not a terminal, yet something was written there: %q", stderr)
	}
	for _, want := range []string{"tournament: 12 negotiations", "rank", "boulware", "us-russia", "Figures:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"results.csv", "scores.csv", "scores.json", "summary.txt", "tournament.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "fig", "score-advantage.svg")); err != nil {
		t.Error(err)
	}

	// Every key's `parley run` command reproduces its row.
	keys, stderr, code := run(t, append([]string{"tournament", "keys"}, flags...)...)
	if code != 0 {
		t.Fatalf("keys: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(keys), "\n")
	if len(lines) != 12 {
		t.Fatalf("%d keys, want 12", len(lines))
	}
	f, err := os.Open(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := tournament.NewReader(f, "results.csv")
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range lines {
		rec, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		cols := strings.Split(line, "\t")
		if cols[0] != strconv.Itoa(i) || cols[1] != rec.Key || cols[2] != strconv.FormatUint(rec.Seed, 10) {
			t.Fatalf("keys line %q does not match row %d (%s, seed %d)", line, i, rec.Key, rec.Seed)
		}
		if i%3 != 0 {
			continue
		}
		args := strings.Fields(cols[3])
		for k, a := range args {
			args[k] = strings.Trim(a, "'")
		}
		if args[0] != "parley" || args[1] != "run" {
			t.Fatalf("command %q", cols[3])
		}
		stdout, stderr, code := run(t, append(args[1:], "--json")...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", cols[3], code, stderr)
		}
		var rep struct {
			Status       string `json:"status"`
			Participants []struct {
				Agent   string  `json:"agent"`
				Utility float64 `json:"utility"`
			} `json:"participants"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		for k, p := range rep.Participants {
			if tournament.NormalSpec(p.Agent) != rec.Competitors[k] || p.Utility != rec.Utilities[k] {
				t.Errorf("%s: parley run gives %s %v, the tournament %s %v", rec.Key, p.Agent, p.Utility, rec.Competitors[k], rec.Utilities[k])
			}
		}
	}

	// Shards through the command line merge into the same file.
	var shards []string
	for _, s := range []string{"1/2", "2/2"} {
		d := filepath.Join(dir, "shard"+s[:1])
		if _, stderr, code := run(t, append([]string{"tournament", "--shard", s, "--out", d, "-q"}, flags...)...); code != 0 {
			t.Fatalf("shard %s: exit %d: %s", s, code, stderr)
		}
		shards = append(shards, d)
	}
	merged := filepath.Join(dir, "merged")
	if _, stderr, code := run(t, append([]string{"tournament", "merge", "--out", merged}, shards...)...); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(filepath.Join(out, "results.csv"))
	b, _ := os.ReadFile(filepath.Join(merged, "results.csv"))
	if !bytes.Equal(a, b) {
		t.Error("merged shards differ from the whole run")
	}

	// parley plot on the folder.
	if stdout, stderr, code := run(t, "plot", out); code != 0 || !strings.Contains(stdout, "agreement-rate.png") {
		t.Errorf("plot: exit %d: %s %s", code, stdout, stderr)
	}
	// replay prints the row.
	stdout, stderr, code = run(t, append([]string{"tournament", "replay", "us-russia/conceder,boulware/1", "--plot", filepath.Join(dir, "n.svg")}, flags...)...)
	if code != 0 || !strings.Contains(stdout, "key:             us-russia/conceder,boulware/1") {
		t.Errorf("replay: exit %d: %s %s", code, stdout, stderr)
	}
	if svg, err := os.ReadFile(filepath.Join(dir, "n.svg")); err != nil || !bytes.Contains(svg, []byte("offers of Russia")) {
		t.Errorf("replay --plot: %v", err)
	}
}

// TestTournamentGeniusFolder: scenarios may be GENIUS folders (read like
// every command reads them), named after the folder.
func TestTournamentGeniusFolder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "res")
	stdout, stderr, code := run(t, "tournament", "--negotiators", "boulware,micro", "--scenarios", "../../genius/testdata/laptop",
		"--rounds", "100", "--out", out, "--plot", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "tournament: 2 negotiations") || !strings.Contains(stdout, "laptop") {
		t.Errorf("output:\n%s", stdout)
	}
}

func TestTournamentBadInput(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "t.yaml")
	if err := os.WriteFile(cfg, []byte("competitors: [boulware, micro]\nscenarios: [x.yaml]\nrepetitions: none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "tournament", cfg, "--out", filepath.Join(dir, "r"))
	if code != ExitBadInput || !strings.Contains(stderr, "t.yaml:3:14: repetitions: want an integer") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if _, stderr, code := run(t, "tournament"); code != ExitBadInput {
		t.Errorf("no config: exit %d, %s", code, stderr)
	}
	if _, stderr, code := run(t, "tournament", "--negotiators", "boulware,micro", "--scenarios", "../../examples/us-russia.yaml", "--shard", "4/3"); code != ExitBadInput {
		t.Errorf("bad shard: exit %d, %s", code, stderr)
	}
}

// TestRunPlot: `parley run --plot FILE` draws the negotiation (the offers
// of both parties and the agreement) without adding the trace to the report.
func TestRunPlot(t *testing.T) {
	file := filepath.Join(t.TempDir(), "run.svg")
	stdout, stderr, code := run(t, "run", "../../examples/us-russia.yaml", "--agents", "boulware,titfortat", "--rounds", "1000", "--plot", file, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout, `"trace"`) {
		t.Error("--plot without --trace put the trace in the report")
	}
	svg, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"offers of United States", "offers of Russia", "agreement", "Pareto frontier"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("figure lacks %q", want)
		}
	}
	if _, _, code := run(t, "run", "../../examples/us-russia.yaml", "--plot", filepath.Join(t.TempDir(), "x.pdf")); code != ExitBadInput {
		t.Errorf("--plot x.pdf: exit %d, want %d", code, ExitBadInput)
	}
}
