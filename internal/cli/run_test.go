package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const tinyFixture = "../../negotiator/negotiatortest/testdata/tiny.yaml"
const triFixture = "../../negotiator/negotiatortest/testdata/trilateral.yaml"

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunHardlinerVsConceder(t *testing.T) {
	code, out, errs := runCLI("run", tinyFixture, "--agents", "hardliner,conceder", "--trace")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"agreement in round 4", "deal:  x", "Distance to Pareto frontier: 0.0000", "3      1.000  B      accept"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "[") {
		t.Errorf("trace without --analyst shows all utilities:\n%s", out)
	}
}

func TestRunJSONEveryProtocol(t *testing.T) {
	for _, p := range []string{"saop", "amop", "singletext", "broker"} {
		code, out, errs := runCLI("run", triFixture, "--protocol", p, "--json", "--seed", "3")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", p, code, errs)
		}
		var rep runReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if rep.Protocol != p || len(rep.Participants) != 3 || rep.RoundsUsed < 1 {
			t.Errorf("%s: report %+v", p, rep)
		}
		if p == "broker" && (rep.Status != "agreement" || len(rep.Explanations) == 0) {
			t.Errorf("broker: %s with %d explanations", rep.Status, len(rep.Explanations))
		}
	}
}

func TestRunBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"run", tinyFixture, "--protocol", "telepathy"},
		{"run", tinyFixture, "--agents", "boulware,conceder,linear"},
		{"run", tinyFixture, "--agents", "Z=boulware"},
		{"run", tinyFixture, "--agents", "genius"},
		{"run", tinyFixture, "--protocol", "broker", "--rule", "coin"},
	} {
		if code, _, _ := runCLI(args...); code != ExitBadInput {
			t.Errorf("%v: exit %d, want %d", args, code, ExitBadInput)
		}
	}
}

func TestRunFailedSessionExitCode(t *testing.T) {
	// A space of 9 million outcomes is more than the negotiators order:
	// the session fails at Init, blaming the first party, as unsupported
	// input.
	dir := t.TempDir()
	path := dir + "/big.yaml"
	data := `name: big
issues:
  - {name: a, type: integer, min: 1, max: 3000}
  - {name: b, type: integer, min: 1, max: 3000}
parties:
  - {name: A, role: participant, preferences: {linear: {issues: {a: {weight: 1, function: {shape: linear, at_min: 0, at_max: 1}}}}}}
  - {name: B, role: participant, preferences: {linear: {issues: {b: {weight: 1, function: {shape: linear, at_min: 0, at_max: 1}}}}}}
`
	if err := writeFile(path, data); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI("run", path, "--rounds", "3")
	if code != ExitBadInput || !strings.Contains(out, "failed before the first round, blaming A") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

func writeFile(path, data string) error { return os.WriteFile(path, []byte(data), 0o644) }

func TestRunAgentsWithParameters(t *testing.T) {
	code, out, errs := runCLI("run", triFixture, "--agents", "Ben=timedependent(e=0.5; k=0.1),Cy=aspiration(beta=2)", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep runReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got := []string{rep.Participants[0].Agent, rep.Participants[1].Agent, rep.Participants[2].Agent}
	want := []string{"boulware", "timedependent(e=0.5; k=0.1)", "aspiration(beta=2)"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("agents %v, want %v", got, want)
			break
		}
	}
}
