package negotiator_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"parley/negotiation"
	"parley/negotiator"
	"parley/negotiator/negotiatortest"
	"parley/protocol"
	"parley/space"
	"parley/utility"
)

func setup(t testing.TB, fixture string, party int) *negotiation.Setup {
	t.Helper()
	sc := negotiatortest.MustScenario(t, fixture)
	ps, err := utility.Participants(sc)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := space.Of(sc)
	if err != nil {
		t.Fatal(err)
	}
	return &negotiation.Setup{Self: party, Profile: ps[party], Public: &negotiation.Public{Issues: sc.Issues, Space: sp}, Rand: rand.New(rand.NewPCG(1, 2))}
}

func saop(t *testing.T, fixture string, rounds int, a, b negotiation.Negotiator) *negotiation.Result {
	t.Helper()
	res, err := negotiation.Run(negotiation.Config{
		Scenario: negotiatortest.MustScenario(t, fixture), Protocol: protocol.SAOP{},
		Negotiators: []negotiation.Negotiator{a, b}, Rounds: rounds, Trace: true, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestBids checks the ordering and AtLeast against a linear scan.
func TestBids(t *testing.T) {
	s := setup(t, "bilateral", 0)
	b, err := negotiator.NewBids(s.Public.Space, s.Profile.Func)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 1000 {
		t.Fatalf("%d bids, want 1000", b.Len())
	}
	for i := 0; i < b.Len(); i++ {
		if u := s.Profile.Func.Utility(b.Outcome(i)); u != b.Utility(i) {
			t.Fatalf("bid %d: stored %v, utility %v", i, b.Utility(i), u)
		}
		if i > 0 && b.Utility(i) > b.Utility(i-1) {
			t.Fatalf("bids not in descending order at %d", i)
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		u := rapid.Float64Range(-0.5, 1.5).Draw(rt, "u")
		want := 0
		for i := 0; i < b.Len(); i++ {
			if b.Utility(i) >= u {
				want = i
			}
		}
		if got := b.AtLeast(u); got != want {
			rt.Fatalf("AtLeast(%v) = %d, want %d", u, got, want)
		}
	})
}

// TestTimeDependentTarget: Pmax at t = 0, Pmin = max(reservation, worst) at
// t = 1, non-increasing in between; the hardliner never moves.
func TestTimeDependentTarget(t *testing.T) {
	s := setup(t, "bilateral", 0) // buyer: utility 0…1, reservation 0.3
	for _, a := range []*negotiator.TimeDependent{negotiator.Boulware(), negotiator.Linear(), negotiator.Conceder(), negotiator.Hardliner()} {
		if err := a.Init(s); err != nil {
			t.Fatal(err)
		}
		prev := math.Inf(1)
		for k := 0; k <= 100; k++ {
			x := a.Target(float64(k) / 100)
			if x > prev+1e-15 {
				t.Errorf("e=%v: target rises at t=%v", a.E, float64(k)/100)
			}
			prev = x
		}
		if got := a.Target(0); math.Abs(got-1) > 1e-12 {
			t.Errorf("e=%v: target(0) = %v, want 1", a.E, got)
		}
		want := 0.3
		if a.E == 0 {
			want = 1
		}
		if got := a.Target(1); math.Abs(got-want) > 1e-12 {
			t.Errorf("e=%v: target(1) = %v, want %v", a.E, got, want)
		}
	}
	if got, want := negotiator.Linear(), 0.65; true {
		_ = got.Init(s)
		if x := got.Target(0.5); math.Abs(x-want) > 1e-12 {
			t.Errorf("linear target(½) = %v, want %v", x, want)
		}
	}
}

// TestMiCROHandChecked: MiCRO vs MiCRO on {x, y, z}. A offers x; B, having
// seen one offer and made none, offers z; A has now seen one and made one,
// so it offers y; B has seen two, made one: its next bid would be y, worth
// .5 to it, and y is worth .5 — it accepts in round 2.
func TestMiCROHandChecked(t *testing.T) {
	res := saop(t, "tiny", 10, &negotiator.MiCRO{}, &negotiator.MiCRO{})
	var got []string
	for _, e := range res.Trace {
		got = append(got, fmt.Sprintf("%d%s%v", e.Party, e.Action, e.Outcome))
	}
	want := []string{"0offer[0]", "1reject[0]", "1offer[2]", "0reject[2]", "0offer[1]", "1accept[1]"}
	if !slices.Equal(got, want) {
		t.Errorf("trace %v, want %v", got, want)
	}
}

// TestMiCRODoesNotConcedeAlone: against a hardliner that repeats one offer,
// MiCRO makes at most two distinct offers (it proposes a new bid only when
// it has seen as many distinct offers as it has made).
func TestMiCRODoesNotConcedeAlone(t *testing.T) {
	res := saop(t, "bilateral", 50, &negotiator.MiCRO{}, negotiator.Hardliner())
	distinct := map[string]bool{}
	for _, e := range res.Trace {
		if e.Party == 0 && e.Action == negotiation.ActOffer {
			distinct[fmt.Sprint(e.Outcome)] = true
		}
	}
	if len(distinct) > 2 {
		t.Errorf("MiCRO made %d distinct offers against a hardliner, want ≤ 2", len(distinct))
	}
}

// TestTitForTatMirrors: against a hardliner, tit-for-tat never concedes;
// against a conceder it does.
func TestTitForTatMirrors(t *testing.T) {
	res := saop(t, "bilateral", 50, &negotiator.TitForTat{}, negotiator.Hardliner())
	for _, e := range res.Trace {
		if e.Party == 0 && e.Action == negotiation.ActOffer && e.Utility != 1 {
			t.Fatalf("tit-for-tat conceded to a hardliner: offered %v worth %v", e.Outcome, e.Utility)
		}
	}
	res = saop(t, "bilateral", 50, &negotiator.TitForTat{}, negotiator.Conceder())
	min := 1.0
	for _, e := range res.Trace {
		if e.Party == 0 && e.Action == negotiation.ActOffer {
			min = math.Min(min, e.Utility)
		}
	}
	if min >= 1 {
		t.Error("tit-for-tat never conceded to a conceder")
	}
}

// TestFrequencyModelLearns: an opponent that keeps issue 0 fixed and varies
// issues 1 and 2 makes issue 0 weigh more, and its repeated value scores highest.
func TestFrequencyModelLearns(t *testing.T) {
	s := setup(t, "bilateral", 0)
	a := &negotiator.FrequencyModel{}
	if err := a.Init(s); err != nil {
		t.Fatal(err)
	}
	st := &negotiation.State{Proposer: 1, Self: 0}
	for k := 0; k < 5; k++ {
		if _, err := a.Respond(st, []int{9, k, k}); err != nil {
			t.Fatal(err)
		}
	}
	if a.Opponent([]int{9, 0, 0}) <= a.Opponent([]int{0, 0, 0}) {
		t.Error("repeated value not preferred")
	}
	// Issue 0 alone (values of issues 1 and 2 never seen) outweighs
	// issues 1 and 2 together (issue 0's value never seen).
	if x, y := a.Opponent([]int{9, 7, 7}), a.Opponent([]int{0, 0, 0}); x <= y {
		t.Errorf("issue 0 not learned as important: %v vs %v", x, y)
	}
}

// TestStrategiesAgree: each strategy reaches an agreement with a conceder
// on the bilateral fixture in 100 rounds.
func TestStrategiesAgree(t *testing.T) {
	for _, name := range []string{"boulware", "linear", "conceder", "titfortat", "aspiration", "micro", "hardheaded", "agentk", "random", "threshold", "hillclimber", "annealer"} {
		n, _ := negotiator.New(name)
		res := saop(t, "bilateral", 100, n, negotiator.Conceder())
		if res.Status != negotiation.Agreement {
			t.Errorf("%s vs conceder: %v", name, res.Status)
		}
	}
}

func TestNewUnknown(t *testing.T) {
	if _, err := negotiator.New("nobody"); err == nil {
		t.Error("unknown strategy accepted")
	}
}

// TestOrderedCache: the same compiled function gets the same ordering; a
// different one (even with equal utilities) its own.
func TestOrderedCache(t *testing.T) {
	s := setup(t, "bilateral", 0)
	a, err := negotiator.Ordered(s.Public.Space, s.Profile.Func)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := negotiator.Ordered(s.Public.Space, s.Profile.Func)
	if a != b {
		t.Error("same function, new ordering")
	}
	s2 := setup(t, "bilateral", 0)
	c, _ := negotiator.Ordered(s2.Public.Space, s2.Profile.Func)
	if c == a {
		t.Error("different function, shared ordering")
	}
	for i := 0; i < c.Len(); i++ {
		if !slices.Equal(a.Outcome(i), c.Outcome(i)) {
			t.Fatalf("orderings differ at %d", i)
		}
	}
}

// TestBidsOrderMatchesSort: the radix ordering equals a comparison sort
// (utility descending, ties by index) on random utilities with many ties,
// negatives and zeros of both signs.
func TestBidsOrderMatchesSort(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		card := rapid.IntRange(1, 40).Draw(rt, "card")
		vals := rapid.SliceOfN(rapid.SampledFrom([]float64{-2.5, -1, math.Copysign(0, -1), 0, 1e-300, 0.25, 0.5, 1, 3}), card, card).Draw(rt, "vals")
		sp, err := space.New([]int{card})
		if err != nil {
			rt.Fatal(err)
		}
		f := &utility.Additive{Values: [][]float64{vals}}
		b, err := negotiator.NewBids(sp, f)
		if err != nil {
			rt.Fatal(err)
		}
		want := make([]int, card)
		for i := range want {
			want[i] = i
		}
		slices.SortStableFunc(want, func(x, y int) int {
			switch {
			case vals[x] > vals[y]:
				return -1
			case vals[x] < vals[y]:
				return 1
			}
			return 0
		})
		for i, j := range want {
			if b.Index(i) != int64(j) {
				rt.Fatalf("position %d: index %d, want %d (values %v)", i, b.Index(i), j, vals)
			}
		}
	})
}

func TestNewWithParameters(t *testing.T) {
	n, err := negotiator.New("timedependent(e=0.5; k=0.1)")
	if err != nil {
		t.Fatal(err)
	}
	if td := n.(*negotiator.TimeDependent); td.E != 0.5 || td.K != 0.1 {
		t.Errorf("got e=%v k=%v", td.E, td.K)
	}
	if n, err := negotiator.New("Boulware"); err != nil || n.(*negotiator.TimeDependent).E != 0.2 {
		t.Errorf("Boulware: %v %v", n, err)
	}
	if n, err := negotiator.New("hardheaded(e=0.05 window=40)"); err != nil || n.(*negotiator.FrequencyModel).Window != 40 {
		t.Errorf("hardheaded: %v %v", n, err)
	}
	for _, bad := range []string{"boulware(e=x)", "boulware(e=0.5", "random(q=1)", "random(p=2)", "micro(e=1)", "boulware(e)", "boulware(k=NaN)"} {
		if _, err := negotiator.New(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestConcurrentSessions: sessions sharing compiled profiles (and so
// orderings) run concurrently give the same results as one at a time (run
// with -race).
func TestConcurrentSessions(t *testing.T) {
	sc := negotiatortest.MustScenario(t, "bilateral")
	profiles, err := utility.Participants(sc)
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed uint64) string {
		res, err := negotiation.Run(negotiation.Config{Scenario: sc, Protocol: protocol.SAOP{}, Profiles: profiles, Seed: seed,
			Negotiators: []negotiation.Negotiator{&negotiator.AgentK{}, &negotiator.FrequencyModel{}}})
		if err != nil {
			return err.Error()
		}
		return fmt.Sprint(res.Status, res.Agreement, res.Rounds)
	}
	want := make([]string, 8)
	for i := range want {
		want[i] = run(uint64(i))
	}
	got := make([]string, 8)
	done := make(chan int)
	for i := range got {
		go func() { got[i] = run(uint64(i)); done <- i }()
	}
	for range got {
		<-done
	}
	if !slices.Equal(got, want) {
		t.Errorf("concurrent %v, sequential %v", got, want)
	}
}
