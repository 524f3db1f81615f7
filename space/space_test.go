package space

import (
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"parley/scenario"
)

func TestOutcomeIndexRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cards := rapid.SliceOfN(rapid.IntRange(1, 6), 1, 5).Draw(t, "cards")
		s, err := New(cards)
		if err != nil {
			t.Fatal(err)
		}
		n, ok := s.Len()
		want := int64(1)
		for _, c := range cards {
			want *= int64(c)
		}
		if !ok || n != want {
			t.Fatalf("Len = %d, %v; want %d", n, ok, want)
		}
		// The iterator visits outcomes in index order, last issue fastest,
		// as nested loops would.
		var prev []int
		count := int64(0)
		for it := s.Iter(); it.Next(); count++ {
			o := it.Outcome()
			if it.Index() != count || s.Index(o) != count {
				t.Fatalf("outcome %v at step %d has index %d / %d", o, count, it.Index(), s.Index(o))
			}
			if got := s.Outcome(count, nil); !slices.Equal(got, o) {
				t.Fatalf("Outcome(%d) = %v, iterator %v", count, got, o)
			}
			if prev != nil && slices.Compare(prev, o) >= 0 {
				t.Fatalf("not lexicographic: %v then %v", prev, o)
			}
			if !s.Contains(o) {
				t.Fatalf("space does not contain %v", o)
			}
			prev = slices.Clone(o)
		}
		if count != want {
			t.Fatalf("iterated %d outcomes, want %d", count, want)
		}
	})
}

func TestHugeSpace(t *testing.T) {
	cards := make([]int, 40)
	for i := range cards {
		cards[i] = 10
	}
	s, err := New(cards)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Len(); ok {
		t.Fatal("10^40 outcomes should not fit an int64")
	}
	if got := s.BigLen().String(); got != "1"+strings.Repeat("0", 40) {
		t.Fatalf("BigLen = %s", got)
	}
	if _, err := New([]int{3, 0}); err == nil {
		t.Fatal("an issue without values should be an error")
	}
}

func TestLabelsAndParse(t *testing.T) {
	lo, hi := 0.0, 1.0
	ilo, ihi := -2.0, 2.0
	sc := &scenario.Scenario{Issues: []scenario.Issue{
		{Name: "c", Type: scenario.Categorical, Values: []string{"a", "b"}},
		{Name: "r", Type: scenario.Real, Min: &lo, Max: &hi, Steps: 5},
		{Name: "i", Type: scenario.Integer, Min: &ilo, Max: &ihi},
	}}
	s, _ := Of(sc)
	if n, _ := s.Len(); n != 2*5*5 {
		t.Fatalf("Len %d, want 50", n)
	}
	o := []int{1, 3, 0}
	m := Labels(sc, o)
	want := map[string]string{"c": "b", "r": "0.75", "i": "-2"}
	for k, v := range want {
		if m[k] != v {
			t.Fatalf("Labels = %v, want %v", m, want)
		}
	}
	back, err := Parse(sc, m)
	if err != nil || !slices.Equal(back, o) {
		t.Fatalf("Parse(%v) = %v, %v", m, back, err)
	}
	for _, bad := range []map[string]string{
		{"c": "z", "r": "0", "i": "0"},
		{"c": "a", "r": "0.3", "i": "0"},
		{"c": "a", "r": "0"},
		{"c": "a", "r": "0", "i": "0", "x": "1"},
		{"c": "a", "r": "0", "i": "0.5"},
	} {
		if _, err := Parse(sc, bad); err == nil {
			t.Errorf("Parse(%v) should fail", bad)
		}
	}
}
