package tournament

import (
	"strings"
	"testing"
	"time"

	"parley"
)

func TestParseConfig(t *testing.T) {
	src := `name: classic
competitors:
  - boulware
  - {name: soft, strategy: conceder}
  - name: k-linear
    strategy: linear
    params: {k: 0.1, e: 1}
scenarios:
  - a.yaml
  - {path: "domains/*", optional: true}
protocol: saop
rounds: 500
time: 2s
call_limit: 0.5
timeout: 10s
self_play: true
rotate: false
repetitions: 4
seed: 9
rank_by: utility
`
	cfg, err := ParseConfig([]byte(src), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "classic" || len(cfg.Competitors) != 3 || cfg.Rounds != 500 || cfg.Time != 2*time.Second ||
		cfg.CallLimit != 500*time.Millisecond || cfg.Timeout != 10*time.Second || !cfg.SelfPlay || cfg.Rotate ||
		cfg.Repetitions != 4 || cfg.Seed != 9 || cfg.RankBy != "utility" {
		t.Errorf("parsed %+v", cfg)
	}
	if c := cfg.Competitors[0]; c.Name != "boulware" || c.Strategy != "boulware" {
		t.Errorf("short competitor %+v", c)
	}
	if c := cfg.Competitors[2]; len(c.Params) != 2 || c.Params[0].Name != "e" || c.Params[1].Value != 0.1 {
		t.Errorf("params %+v (want sorted by name)", c.Params)
	}
	if s := cfg.Scenarios[1]; s.Path != "domains/*" || !s.Optional {
		t.Errorf("scenario %+v", s)
	}
	// Defaults.
	cfg, err = ParseConfig([]byte("competitors: [a1, a2]\nscenarios: [x.yaml]\n"), "d.yaml")
	if err == nil {
		t.Fatal("unknown strategies accepted")
	}
	cfg, err = ParseConfig([]byte("competitors: [boulware, micro]\nscenarios: [x.yaml]\n"), "d.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Protocol != "saop" || !cfg.Rotate || cfg.SelfPlay || cfg.Repetitions != 1 || cfg.Seed != 1 {
		t.Errorf("defaults %+v", cfg)
	}
}

// TestConfigErrors: each problem is reported as file:line:column: field:
// message, all at once.
func TestConfigErrors(t *testing.T) {
	base := "competitors: [boulware, micro]\nscenarios: [x.yaml]\n"
	cases := []struct {
		name, src string
		want      []string
	}{
		{"unknown field", base + "rounds: 10\nround: 5\n", []string{`t.yaml:4:1: round: unknown field "round"`}},
		{"wrong type", base + "rounds: many\n", []string{`t.yaml:3:9: rounds: want an integer, found "many"`}},
		{"bad bool", base + "self_play: yes please\n", []string{`t.yaml:3:12: self_play: want true or false`}},
		{"bad duration", base + "timeout: soon\n", []string{`t.yaml:3:10: timeout: want a duration`}},
		{"unknown strategy", "competitors: [boulware, nosuch]\nscenarios: [x.yaml]\n",
			[]string{`t.yaml:1:25: competitors[1].strategy: unknown strategy "nosuch"`}},
		{"unknown param", "competitors:\n  - boulware\n  - name: b2\n    strategy: boulware\n    params: {speed: 2}\nscenarios: [x.yaml]\n",
			[]string{`t.yaml:5:21: competitors[1].params.speed: parameter speed=2 is not valid for this strategy`}},
		{"param range", "competitors:\n  - boulware\n  - name: b2\n    strategy: boulware\n    params: {e: 0.5, k: 3}\nscenarios: [x.yaml]\n",
			[]string{`t.yaml:5:25: competitors[1].params.k: parameter k=3 is not valid`}},
		{"param type", "competitors:\n  - boulware\n  - name: b2\n    strategy: boulware\n    params:\n      e: fast\n",
			[]string{`t.yaml:6:10: competitors[1].params.e: want a number, found fast`, `scenarios: no scenarios`}},
		{"unknown competitor field", "competitors:\n  - {name: a, strategy: micro, colour: red}\n  - micro\nscenarios: [x.yaml]\n",
			[]string{`t.yaml:2:32: competitors[0].colour: unknown field "colour"`}},
		{"duplicate names", "competitors: [micro, micro]\nscenarios: [x.yaml]\n",
			[]string{`t.yaml:1:22: competitors[1].name: name "micro" is used twice`}},
		{"bad name", "competitors: [{name: 'a b', strategy: micro}, micro]\nscenarios: [x.yaml]\n",
			[]string{`competitors[0].name: name "a b"`}},
		{"several", base + "protocol: nosuch\nrepetitions: 0\nrank_by: luck\n", []string{
			`t.yaml:3:11: protocol: unknown protocol "nosuch"`,
			`t.yaml:4:14: repetitions: must be at least 1, found 0`,
			`t.yaml:5:10: rank_by: unknown score "luck"`}},
		{"rule without broker", base + "rule: nash\n", []string{`t.yaml:3:7: rule: a fairness rule applies to protocol broker only`}},
		{"id on glob", "competitors: [boulware, micro]\nscenarios:\n  - {path: 'x/*', id: x}\n", []string{`t.yaml:3:23: scenarios[0].id: an id names one scenario`}},
		{"one competitor", "competitors: [micro]\nscenarios: [x.yaml]\n", []string{`competitors: one competitor and self_play off`}},
		{"not a mapping", "- a\n- b\n", []string{`t.yaml:1:1: want a mapping of fields`}},
		{"syntax", "competitors: [a\n", []string{`t.yaml:1:`}},
		{"empty", "  \n", []string{`t.yaml: empty file`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(c.src), "t.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Errorf("code %q, want invalid", parley.ErrorCode(err))
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
		})
	}
}

func TestKeys(t *testing.T) {
	k := Key{Scenario: "us-russia", Competitors: []string{"boulware", "micro"}, Repetition: 3}
	if s := k.String(); s != "us-russia/boulware,micro/3" {
		t.Errorf("String = %q", s)
	}
	back, err := ParseKey(k.String())
	if err != nil || back.String() != k.String() {
		t.Errorf("ParseKey = %+v, %v", back, err)
	}
	for _, bad := range []string{"", "a/b", "a/b/c", "a/b/-1", "/b/1", "a//1", "a/b/1/2"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) succeeded", bad)
		}
	}
	// Published test vectors: FNV-1a 64 of "" and "a"
	// (http://www.isthe.com/chongo/tech/comp/fnv/) and the SplitMix64
	// output for state 0 (the first value of Java's SplittableRandom(0)).
	if h := fnv1a64(""); h != 0xcbf29ce484222325 {
		t.Errorf("fnv1a64(\"\") = %#x", h)
	}
	if h := fnv1a64("a"); h != 0xaf63dc4c8601ec8c {
		t.Errorf("fnv1a64(\"a\") = %#x", h)
	}
	if x := splitmix64(0); x != 0xe220a8397b1dcdaf {
		t.Errorf("splitmix64(0) = %#x", x)
	}
	if DeriveSeed(5, "a") != splitmix64(5^0xaf63dc4c8601ec8c) {
		t.Error("DeriveSeed is not splitmix64(master ^ fnv1a64(key))")
	}
	if DeriveSeed(1, k.String()) == DeriveSeed(2, k.String()) {
		t.Error("seed does not depend on the master seed")
	}
}

func TestShard(t *testing.T) {
	for _, bad := range []string{"", "1", "0/3", "4/3", "a/b", "1/0"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) succeeded", bad)
		}
	}
	s, err := ParseShard("2/3")
	if err != nil || s != (Shard{2, 3}) || s.String() != "2/3" {
		t.Errorf("ParseShard = %v, %v", s, err)
	}
	// Every key is in exactly one shard.
	for i := 0; i < 1000; i++ {
		key := Key{Scenario: "s", Competitors: []string{"a", "b"}, Repetition: i}.String()
		n := 0
		for k := 1; k <= 3; k++ {
			if (Shard{k, 3}).Has(key) {
				n++
			}
		}
		if n != 1 || !(Shard{}).Has(key) {
			t.Fatalf("key %s in %d shards", key, n)
		}
	}
}

// TestAssignments checks the counts against the closed forms and the
// order against a brute-force filter of every tuple.
func TestAssignments(t *testing.T) {
	fact := func(n int) int {
		f := 1
		for i := 2; i <= n; i++ {
			f *= i
		}
		return f
	}
	choose := func(n, k int) int {
		if k > n {
			return 0
		}
		return fact(n) / (fact(k) * fact(n-k))
	}
	pow := func(c, n int) int {
		p := 1
		for i := 0; i < n; i++ {
			p *= c
		}
		return p
	}
	for c := 1; c <= 5; c++ {
		for n := 2; n <= 4; n++ {
			for _, sp := range []bool{false, true} {
				for _, rot := range []bool{false, true} {
					got, err := assignments(c, n, sp, rot)
					if err != nil {
						t.Fatal(err)
					}
					var want int
					switch {
					case rot && sp:
						want = pow(c, n)
					case rot:
						if n <= c {
							want = fact(c) / fact(c-n)
						}
					case sp:
						want = choose(c+n-1, n)
					default:
						want = choose(c, n)
					}
					// Brute force: every tuple in lexicographic order, filtered.
					var brute [][]int
					for i := 0; i < pow(c, n); i++ {
						tup := make([]int, n)
						for x, r := i, n-1; r >= 0; r-- {
							tup[r], x = x%c, x/c
						}
						ok := true
						for a := 0; a < n; a++ {
							for b := a + 1; b < n; b++ {
								if (!sp && tup[a] == tup[b]) || (!rot && tup[a] > tup[b]) {
									ok = false
								}
							}
						}
						if ok {
							brute = append(brute, tup)
						}
					}
					if len(got) != want || len(brute) != want {
						t.Fatalf("c=%d n=%d selfplay=%v rotate=%v: %d assignments, brute force %d, formula %d", c, n, sp, rot, len(got), len(brute), want)
					}
					for i := range got {
						for r := range got[i] {
							if got[i][r] != brute[i][r] {
								t.Fatalf("c=%d n=%d: assignment %d is %v, want %v", c, n, i, got[i], brute[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestPlanJobsAndLookup: Job(i) and Lookup(key) agree for every job, and
// keys are unique.
func TestPlanJobsAndLookup(t *testing.T) {
	plan, err := NewPlan(mixedConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Len() != 450 || plan.MaxRoles != 3 {
		t.Fatalf("Len %d MaxRoles %d", plan.Len(), plan.MaxRoles)
	}
	seen := map[string]bool{}
	for i := int64(0); i < plan.Len(); i++ {
		j := plan.Job(i)
		if seen[j.KeyString] {
			t.Fatalf("key %s twice", j.KeyString)
		}
		seen[j.KeyString] = true
		l, err := plan.Lookup(j.KeyString)
		if err != nil || l.Index != i || l.Seed != j.Seed {
			t.Fatalf("Lookup(%s) = %d, %v; want %d", j.KeyString, l.Index, err, i)
		}
	}
	for _, bad := range []string{"bilateral/boulware,boulware/0", "nosuch/boulware,micro/0", "bilateral/boulware,micro/3"} {
		if _, err := plan.Lookup(bad); err == nil {
			t.Errorf("Lookup(%q) succeeded", bad)
		}
	}
	// A job is a pure function of the key: the same record from a fresh
	// plan, looked up by key.
	plan2, err := NewPlan(mixedConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	j := plan.Job(77)
	j2, _ := plan2.Lookup(j.KeyString)
	a, b := plan.Run(j), plan2.Run(j2)
	if strings.Join(a.Row(3), ",") != strings.Join(b.Row(3), ",") {
		t.Errorf("same key, different records:\n%v\n%v", a.Row(3), b.Row(3))
	}
}

func TestPlanErrors(t *testing.T) {
	c := mixedConfig()
	c.Scenarios = []ScenarioSpec{{Path: "testdata/bilateral.yaml"}, {Path: "testdata/../testdata/bilateral.yaml"}}
	if _, err := NewPlan(c, nil); err == nil || !strings.Contains(err.Error(), "same id") {
		t.Errorf("duplicate ids: %v", err)
	}
	c = mixedConfig()
	c.Scenarios = []ScenarioSpec{{Path: "testdata/nosuch-*.yaml"}}
	if _, err := NewPlan(c, nil); err == nil || !strings.Contains(err.Error(), "matches nothing") {
		t.Errorf("empty glob: %v", err)
	}
	c.Scenarios = []ScenarioSpec{{Path: "testdata/nosuch-*.yaml", Optional: true}, {Path: "testdata/tiny.yaml"}}
	if _, err := NewPlan(c, nil); err != nil {
		t.Errorf("optional empty glob: %v", err)
	}
	c = tinyConfig("boulware", "micro")
	c.Scenarios = []ScenarioSpec{{Path: "testdata/trilateral.yaml"}}
	if _, err := NewPlan(c, nil); err == nil || !strings.Contains(err.Error(), "self_play") {
		t.Errorf("3 roles, 2 competitors: %v", err)
	}
	c.SelfPlay = true
	p, err := NewPlan(c, nil)
	if err != nil || p.Len() != 8 {
		t.Errorf("3 roles, 2 competitors, self-play: %v jobs, %v", p, err)
	}
}
