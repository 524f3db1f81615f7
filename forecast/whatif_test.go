package forecast

import "testing"

func TestParseChanges(t *testing.T) {
	for _, c := range []struct {
		s    string
		want Change
		ok   bool
	}{
		{"Kazakhstan.salience=0.9", Change{Kind: Set, Actor: "Kazakhstan", Field: "salience", Value: "0.9"}, true},
		{"U.N. Envoy.position=nationwide for all", Change{Kind: Set, Actor: "U.N. Envoy", Field: "position", Value: "nationwide for all"}, true},
		{"Kazakhstan.weight=1", Change{}, false},
		{"Kazakhstan=1", Change{}, false},
	} {
		got, err := ParseWhatIf(c.s)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseWhatIf(%q) = %+v, %v", c.s, got, err)
		}
	}
	got, err := ParseAdd("New: actor:0.1,7,0.5")
	if err != nil || got != (Change{Kind: Add, Actor: "New: actor", Capability: 0.1, Position: "7", Salience: 0.5}) {
		t.Errorf("ParseAdd = %+v, %v", got, err)
	}
	for _, bad := range []string{"X", "X:1,2", "X:a,2,3", "X:1,2,b"} {
		if _, err := ParseAdd(bad); err == nil {
			t.Errorf("ParseAdd(%q) accepted", bad)
		}
	}
}

func TestCompare(t *testing.T) {
	in := ecInput()
	in.Labels = nil
	drop, _ := ParseDrop("Belgium")
	set, _ := ParseWhatIf("Ireland.salience=1")
	add, _ := ParseAdd("Spain:0.1,7,0.5")
	cmp, err := Compare(in, []Change{drop, set, add}, Options{Rounds: 3})
	if err != nil {
		t.Fatal(err)
	}
	base, err := Run(in, Options{Rounds: 3})
	if err != nil {
		t.Fatal(err)
	}
	if cmp.Base.Forecast() != base.Forecast() {
		t.Errorf("base forecast %v, want %v", cmp.Base.Forecast(), base.Forecast())
	}
	changed := cmp.Changed.Actors
	if len(changed) != 10 || changed[1] != "Luxembourg" || changed[9] != "Spain" {
		t.Errorf("changed actors = %v", changed)
	}
	// The input itself is untouched.
	if in.Actors[1].Name != "Belgium" || in.Actors[7].Salience != 0.1 {
		t.Errorf("Compare modified its input: %+v", in.Actors)
	}
	if _, err := Compare(in, []Change{{Kind: Set, Actor: "Nobody", Field: "salience", Value: "1"}}, Options{}); err == nil {
		t.Error("unknown actor accepted")
	}
	bad, _ := ParseWhatIf("Ireland.salience=2")
	if _, err := Compare(in, []Change{bad}, Options{}); err == nil {
		t.Error("salience 2 accepted")
	}
}

func TestLabelledPosition(t *testing.T) {
	in := Input{Issue: "x", Labels: []Label{{0, "none"}, {50, "some"}, {100, "all"}},
		Actors: []Actor{{"A", 1, 0, 0.5}, {"B", 1, 100, 0.5}}}
	c, _ := ParseWhatIf("A.position=some")
	if ok, err := c.Apply(&in); !ok || err != nil || in.Actors[0].Position != 50 {
		t.Errorf("Apply = %v, %v; A at %v, want 50", ok, err, in.Actors[0].Position)
	}
	c, _ = ParseWhatIf("A.position=most")
	if _, err := c.Apply(&in); err == nil {
		t.Error("unknown label accepted")
	}
	if got := in.Pos(60); got != "60 (≈ some)" {
		t.Errorf("Pos(60) = %q", got)
	}
}
