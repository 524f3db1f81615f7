package forecast

import (
	"bufio"
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
)

// replicationCase is one line of testdata/replication.jsonl: an actor table
// and what the replication (jmckib/bdm-scholz-expected-utility-model,
// bdm_scholz_model.py at 55f63e9, run by CPython 2.7.18 on glibc 2.36; see
// testdata/replication-gen.py) computed for it, floats written with repr.
type replicationCase struct {
	Actors [][4]any `json:"actors"`
	Rounds []struct {
		Positions []float64 `json:"positions"`
		Median    float64   `json:"median"`
		Mean      float64   `json:"mean"`
		Moves     [][6]any  `json:"moves"`
	} `json:"rounds"`
	Error *int `json:"error"`
}

// same compares floats bit for bit when the C library's pow is in use (as in
// the replication), else to 1e-12 relative.
func same(got, want float64) bool {
	if libmPow {
		return got == want
	}
	return got == want || math.Abs(got-want) <= 1e-12*math.Max(1, math.Abs(want))
}

func TestFaithfulMatchesReplication(t *testing.T) {
	f, err := os.Open("testdata/replication.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	n := 0
	for sc.Scan() {
		n++
		var c replicationCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		in := Input{Issue: "random"}
		for _, a := range c.Actors {
			in.Actors = append(in.Actors, Actor{Name: a[0].(string), Capability: a[1].(float64), Position: a[2].(float64), Salience: a[3].(float64)})
		}
		res, err := Run(in, Options{Rounds: 10, Mode: Faithful})
		if c.Error != nil {
			if !errors.Is(err, ErrDegenerate) {
				t.Errorf("case %d: replication fails after %d rounds; got err %v", n, *c.Error, err)
			} else if len(res.Rounds) != *c.Error {
				t.Errorf("case %d: replication fails after %d recorded rounds, got %d (%v)", n, *c.Error, len(res.Rounds), err)
			}
		} else if err != nil {
			t.Errorf("case %d: %v", n, err)
			continue
		}
		for k, want := range c.Rounds {
			if k >= len(res.Rounds) {
				break
			}
			got := res.Rounds[k]
			if !same(got.Median, want.Median) || !same(got.Mean, want.Mean) {
				t.Errorf("case %d round %d: median, mean = %v, %v; want %v, %v", n, k, got.Median, got.Mean, want.Median, want.Mean)
			}
			for i := range want.Positions {
				if !same(got.Positions[i], want.Positions[i]) {
					t.Errorf("case %d round %d: %s at %v, want %v", n, k, in.Actors[i].Name, got.Positions[i], want.Positions[i])
				}
			}
			if len(got.Moves) != len(want.Moves) {
				t.Errorf("case %d round %d: %d moves, want %d", n, k, len(got.Moves), len(want.Moves))
				continue
			}
			for m, wm := range want.Moves {
				gm := got.Moves[m]
				if gm.Actor != wm[0] || gm.Toward != wm[1] || string(gm.Kind) != wm[2] ||
					!same(gm.EUOwn, wm[3].(float64)) || !same(gm.EUOther, wm[4].(float64)) || !same(gm.To, wm[5].(float64)) {
					t.Errorf("case %d round %d: move %+v, want %v", n, k, gm, wm)
				}
			}
		}
	}
	if n < 200 {
		t.Fatalf("read %d cases, want 200", n)
	}
}
