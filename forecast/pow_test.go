package forecast

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestCorrectlyRoundedPow checks crPow (the pure-Go pow used without cgo)
// against x**y computed with Python's decimal module at 60 digits
// (testdata/pow-gen.py).
func TestCorrectlyRoundedPow(t *testing.T) {
	f, err := os.Open("testdata/pow.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		p := strings.Fields(sc.Text())
		var v [3]float64
		for i := range v {
			if v[i], err = strconv.ParseFloat(p[i], 64); err != nil {
				t.Fatal(err)
			}
		}
		n++
		if got := crPow(v[0], v[1]); got != v[2] {
			t.Errorf("crPow(%x, %x) = %x, want %x", v[0], v[1], got, v[2])
		}
		if got := powSlow(v[0], v[1]); got != v[2] {
			t.Errorf("powSlow(%x, %x) = %x, want %x", v[0], v[1], got, v[2])
		}
	}
	if n < 2900 {
		t.Fatalf("read %d cases", n)
	}
}

func TestPowSpecialCases(t *testing.T) {
	for _, c := range []struct{ x, y, want float64 }{
		{0, 0.7, 0}, {1, 1.3, 1}, {0.3, 1, 0.3}, {0.3, 0, 1}, {0.3, 2, 0.3 * 0.3},
		{0.25, 0.5, 0.5}, {4, 1.5, 8}, {0.5, -1, 2}, {2, 10, 1024},
	} {
		if got := crPow(c.x, c.y); got != c.want {
			t.Errorf("crPow(%v, %v) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	if got := crPow(-2, 0.5); !math.IsNaN(got) {
		t.Errorf("crPow(-2, 0.5) = %v, want NaN", got)
	}
	z := make([]float64, 2)
	powBatch([]float64{0.5, 0.81}, []float64{2, 0.5}, z)
	if z[0] != 0.25 || z[1] != 0.9 {
		t.Errorf("powBatch = %v, want [0.25 0.9]", z)
	}
}

// TestPysetOrder checks the emulated CPython 2.7 set order against
// list(set(xs)) printed by CPython 2.7.18 (testdata/pyset-gen.py).
func TestPysetOrder(t *testing.T) {
	data, err := os.ReadFile("testdata/pyset.txt")
	if err != nil {
		t.Fatal(err)
	}
	var s pyset
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		in, out, _ := strings.Cut(line, " | ")
		xs, want := floats(t, in), floats(t, out)
		got := s.distinct(xs)
		if len(got) != len(want) {
			t.Errorf("%v: got %v, want %v", xs, got, want)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%v: got %v, want %v", xs, got, want)
				break
			}
		}
	}
}

func floats(t *testing.T, s string) []float64 {
	t.Helper()
	var xs []float64
	for _, f := range strings.Fields(s) {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, x)
	}
	return xs
}

func TestPyHash(t *testing.T) {
	// Values of hash(x) in CPython 2.7 on 64-bit Linux, worked from
	// _Py_HashDouble: integral values hash to themselves (−1 → −2); 0.5 has
	// frexp (0.5, 0): 0.5·2^31 = 2^30, no remainder, so hash 2^30.
	for _, c := range []struct {
		x    float64
		want int64
	}{{0, 0}, {7, 7}, {-1, -2}, {-3, -3}, {0.5, 1 << 30}, {1.5, 3<<29 + 1<<15}} {
		if got := pyHash(c.x); got != c.want {
			t.Errorf("pyHash(%v) = %d, want %d", c.x, got, c.want)
		}
	}
}
