package forecast

import (
	"errors"
	"strings"
	"testing"
)

func TestReadCSVFourColumns(t *testing.T) {
	for _, c := range []struct {
		name, data string
		want       []Actor
	}{
		{"header", "actor,capability,position,salience\nA,0.5,1,0.2\nB,1,3,1\n",
			[]Actor{{"A", 0.5, 1, 0.2}, {"B", 1, 3, 1}}},
		{"replication header, other order", "Actor,Position,Salience,Capability\nA,1,0.2,0.5\n",
			[]Actor{{"A", 0.5, 1, 0.2}}},
		{"no header", "A,0.5,1,0.2\nB,1,3,1\n", []Actor{{"A", 0.5, 1, 0.2}, {"B", 1, 3, 1}}},
		{"no header, integers (not KTAB)", "A,1,2,3\nB,1,3,1\n", []Actor{{"A", 1, 2, 0.03}, {"B", 1, 3, 0.01}}},
		{"percent salience", "actor,capability,position,salience\nA,50,1,20\nB,100,3,100\n",
			[]Actor{{"A", 50, 1, 0.2}, {"B", 100, 3, 1}}},
		{"comments, blank lines, spaces, BOM", "\xef\xbb\xbfactor, capability, position, salience\n# a comment\n\nA, 0.5, 1, 0.2\n",
			[]Actor{{"A", 0.5, 1, 0.2}}},
	} {
		ins, err := ReadCSV([]byte(c.data), "t.csv")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(ins) != 1 || ins[0].Issue != "t" || len(ins[0].Actors) != len(c.want) {
			t.Errorf("%s: got %+v", c.name, ins)
			continue
		}
		for i, a := range c.want {
			if ins[0].Actors[i] != a {
				t.Errorf("%s: actor %d = %+v, want %+v", c.name, i, ins[0].Actors[i], a)
			}
		}
	}
}

func TestReadCSVKTAB(t *testing.T) {
	data := `Dummy,A small test,3,2,
Actor,Description,Power,Tax,Sal Tax,Trade,Sal Trade,
A,First actor,100,20,40,70,30,
B,"Second, with comma",50,80,60,10,40,
C,,25,50,10,50,90,
`
	ins, err := ReadCSV([]byte(data), "k.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[0].Issue != "Tax" || ins[1].Issue != "Trade" {
		t.Fatalf("issues = %+v", ins)
	}
	want := [][]Actor{
		{{"A", 100, 20, 0.4}, {"B", 50, 80, 0.6}, {"C", 25, 50, 0.1}},
		{{"A", 100, 70, 0.3}, {"B", 50, 10, 0.4}, {"C", 25, 50, 0.9}},
	}
	for d := range want {
		for i, a := range want[d] {
			if ins[d].Actors[i] != a {
				t.Errorf("dimension %d actor %d = %+v, want %+v", d, i, ins[d].Actors[i], a)
			}
		}
	}
}

func TestReadCSVErrors(t *testing.T) {
	for _, c := range []struct {
		name, data, want string
	}{
		{"empty", "", "f.csv:1: empty file"},
		{"bad number", "actor,capability,position,salience\nA,0.5,1,0.2\nB,x,3,1\n", "f.csv:3:2: capability: want a number"},
		{"negative capability", "actor,capability,position,salience\nA,-1,1,0.2\n", "f.csv:2:2: capability must be ≥ 0"},
		{"salience too big", "actor,capability,position,salience\nA,1,1,101\n", "f.csv:2:4: salience must be ≤ 100"},
		{"short row", "actor,capability,position,salience\nA,1,1\n", "f.csv:2:4: want 4 columns, found 3"},
		{"missing column", "actor,capability,position\nA,1,1\n", `f.csv:1: header has no "salience" column`},
		{"duplicate actor", "actor,capability,position,salience\nA,1,1,1\nA,1,2,1\n", `f.csv:3:1: duplicate actor "A" (also line 2)`},
		{"NaN position", "actor,capability,position,salience\nA,1,NaN,1\n", "f.csv:2:3: position: want a number"},
		{"bad quote", "actor,capability,position,salience\nA,1,\"1,1\n", "f.csv:2:"},
		{"ktab count", "S,d,3,1\nActor,Description,Power,P,S\nA,a,1,1,1\n", "f.csv:3: line 1 announces 3 actors, found 1 actor rows"},
		{"ktab position", "S,d,1,1\nActor,Description,Power,P,S\nA,a,1,101,1\n", "f.csv:3:4: position must be ≤ 100"},
		{"ktab total salience", "S,d,1,2\nActor,Description,Power,P,S,Q,T\nA,a,1,1,60,1,50\n", "f.csv:3:7: total salience of A exceeds 100"},
		{"ktab short", "S,d,1,2\nActor,Description,Power,P,S,Q,T\nA,a,1,1,60\n", "f.csv:3:6: want 7 columns"},
	} {
		_, err := ReadCSV([]byte(c.data), "f.csv")
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want prefix %q", c.name, err, c.want)
		}
		var ce *CSVError
		if err != nil && !errors.As(err, &ce) {
			t.Errorf("%s: %T is not a *CSVError", c.name, err)
		}
	}
}

// FuzzReadCSV: no input makes the reader panic, every error names the file,
// a line ≥ 1 and, when it has one, a column ≥ 1, and every table it accepts
// is valid model input.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("actor,capability,position,salience\nA,0.5,1,0.2\nB,1,3,1\n"))
	f.Add([]byte("A,0.5,1,0.2\n"))
	f.Add([]byte("S,d,2,1,\nActor,Description,Power,P,S,\nA,a,1,1,60,\nB,b,2,3,4,\n"))
	f.Add([]byte("\"a\nb\",1,2,3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ins, err := ReadCSV(data, "fuzz.csv")
		if err != nil {
			var ce *CSVError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *CSVError", err, err)
			}
			if ce.File != "fuzz.csv" || ce.Line < 1 || ce.Column < 0 || !strings.HasPrefix(err.Error(), "fuzz.csv:") {
				t.Fatalf("badly placed error %q (%+v)", err, ce)
			}
			return
		}
		for _, in := range ins {
			if err := in.Validate(); err != nil {
				t.Fatalf("accepted invalid input: %v", err)
			}
		}
	})
}
