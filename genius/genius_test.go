package genius

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"parley/scenario"
	"parley/space"
	"parley/utility"
)

// utilityOf returns party's utility of the outcome given as labels.
func utilityOf(t *testing.T, sc *scenario.Scenario, party string, bid map[string]string) float64 {
	t.Helper()
	pi := -1
	for i := range sc.Parties {
		if sc.Parties[i].Name == party {
			pi = i
		}
	}
	if pi < 0 {
		t.Fatalf("no party %q", party)
	}
	prof, err := utility.Compile(sc, pi)
	if err != nil {
		t.Fatal(err)
	}
	o, err := space.Parse(sc, bid)
	if err != nil {
		t.Fatal(err)
	}
	return prof.Func.Utility(o)
}

// The expected utilities are computed by hand from the evaluations and
// weights in the files (testdata copies of ANAC 2011 Laptop and ANAC 2010
// ItexvsCypress): normalised = Σ w·e/max_e, raw = Σ w·e.
func TestHandComputedUtilities(t *testing.T) {
	const (
		lbW1, lbW2, lbW3   = 0.4452125771655631, 0.37808251708013424, 0.1767567099260568 // buyer
		lsW1, lsW2, lsW3   = 0.37808251708013424, 0.1767567099260568, 0.4452125771655631 // seller
		iW1, iW2, iW3, iW4 = 0.28812635027374, 0.1915290482981283, 0.24212575877553694, 0.2782188426525948
		cW1, cW2, cW3, cW4 = 0.4700166576535899, 0.1220816713696379, 0.17727008190772825, 0.2306315890690439
	)
	laptop := func(l, h, m string) map[string]string {
		return map[string]string{"Laptop": l, "Harddisk": h, "External Monitor": m}
	}
	itex := func(p, d, pay, r string) map[string]string {
		return map[string]string{"Price": p, "Delivery": d, "Payment": pay, "Returns": r}
	}
	tests := []struct {
		dir, party string
		bid        map[string]string
		norm, raw  float64
	}{
		// Buyer: Laptop Dell 12 Mac 20 HP 30; Harddisk 30/20/9; Monitor 30/10/20.
		{"laptop", "laptop_buyer_utility", laptop("Dell", "60 Gb", "19'' LCD"),
			lbW1*12/30 + lbW2*30/30 + lbW3*30/30, lbW1*12 + lbW2*30 + lbW3*30},
		{"laptop", "laptop_buyer_utility", laptop("HP", "120 Gb", "20'' LCD"),
			lbW1*30/30 + lbW2*9/30 + lbW3*10/30, lbW1*30 + lbW2*9 + lbW3*10},
		// Seller: Laptop 12/30/20; Harddisk 20/30/9; Monitor 3/2/1.
		{"laptop", "laptop_seller_utility", laptop("Macintosh", "80 Gb", "19'' LCD"),
			lsW1 + lsW2 + lsW3, lsW1*30 + lsW2*30 + lsW3*3},
		{"laptop", "laptop_seller_utility", laptop("Dell", "120 Gb", "23'' LCD"),
			lsW1*12/30 + lsW2*9/30 + lsW3*1/3, lsW1*12 + lsW2*9 + lsW3*1},
		// Itex: Price 30/20/10/5/1; Delivery 1/20/10/5; Payment 10/25/1; Returns 1/30/5.
		{"itex", "ItexvsCypress_Itex", itex("$4.37", "45 days", "30 days after delivery", "5% spoilage allowed"),
			iW1 + iW2 + iW3 + iW4, iW1*30 + iW2*20 + iW3*25 + iW4*30},
		{"itex", "ItexvsCypress_Itex", itex("$3.47", "60 days", "60 days after delivery", "Full price"),
			iW1/30 + iW2/20 + iW3/25 + iW4/30, iW1 + iW2 + iW3 + iW4},
		{"itex", "ItexvsCypress_Itex", itex("$3.98", "20 days", "Upon delivery", "10% spoilage allowed"),
			iW1*10/30 + iW2*5/20 + iW3*10/25 + iW4*5/30, iW1*10 + iW2*5 + iW3*10 + iW4*5},
		// Cypress: Price 1/10/25/33/40; Delivery 1/10/19/25; Payment 15/6/1; Returns 20/7/1.
		{"itex", "ItexvsCypress_Cypress", itex("$3.71", "30 days", "30 days after delivery", "5% spoilage allowed"),
			cW1*33/40 + cW2*19/25 + cW3*6/15 + cW4*7/20, cW1*33 + cW2*19 + cW3*6 + cW4*7},
	}
	for _, tc := range tests {
		for _, raw := range []bool{false, true} {
			sc, err := LoadDir(filepath.Join("testdata", tc.dir), Options{Raw: raw})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.norm
			if raw {
				want = tc.raw
			}
			got := utilityOf(t, sc, tc.party, tc.bid)
			if math.Abs(got-want) > 1e-12 {
				t.Errorf("%s %v raw=%v: u = %v, want %v", tc.party, tc.bid, raw, got, want)
			}
		}
	}
}

func TestLaptopMapping(t *testing.T) {
	var warnings []string
	sc, err := LoadDir("testdata/laptop", Options{Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "laptop" || len(sc.Issues) != 3 || len(sc.Parties) != 2 {
		t.Fatalf("got %q with %d issues and %d parties", sc.Name, len(sc.Issues), len(sc.Parties))
	}
	// Party order follows the sorted file names.
	if sc.Parties[0].Name != "laptop_buyer_utility" || sc.Parties[1].Name != "laptop_seller_utility" {
		t.Errorf("parties %q, %q", sc.Parties[0].Name, sc.Parties[1].Name)
	}
	for _, p := range sc.Parties {
		if p.Discount == nil || *p.Discount != 0.42441038 {
			t.Errorf("%s: discount %v, want 0.42441038", p.Name, p.Discount)
		}
		if p.Reservation == nil || *p.Reservation != 0 {
			t.Errorf("%s: reservation %v, want 0", p.Name, p.Reservation)
		}
	}
	// Weights sum to 1.0000518…: kept, with a warning per profile.
	if len(warnings) != 2 || !strings.Contains(warnings[0], "weights sum to 1.0000518") {
		t.Errorf("warnings %q", warnings)
	}
}

// The GENIUS integer evaluator is u = offset + slope·(x − lowerbound)
// clamped to [0, 1].
func TestIntegerEvaluator(t *testing.T) {
	dom := `<negotiation_template><utility_space><objective index="0" name="root" type="objective">
<issue index="1" name="price" type="integer" lowerbound="-5" upperbound="5"/>
<issue index="2" name="qty" vtype="integer" lowerbound="0" upperbound="10"/>
</objective></utility_space></negotiation_template>`
	prof := `<utility_space><objective index="0" name="root">
<issue index="1" name="price" type="integer" lowerbound="-5" upperbound="5"><evaluator ftype="linear" offset="1.2" slope="-0.2"/></issue>
<issue index="2" name="qty" etype="integer" lowerbound="0" upperbound="10"><evaluator ftype="linear" offset="0.1" slope="0.15"/></issue>
<weight index="1" value="0.6"/><weight index="2" value="0.4"/>
</objective><discount_factor value="1.0"/><reservation value="0.25"/></utility_space>`
	sc, err := Parse("int", File{"d.xml", []byte(dom)}, []File{{"a.xml", []byte(prof)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	clamp := func(x float64) float64 { return math.Max(0, math.Min(1, x)) }
	for price := -5; price <= 5; price++ {
		for qty := 0; qty <= 10; qty++ {
			want := 0.6*clamp(1.2-0.2*float64(price+5)) + 0.4*clamp(0.1+0.15*float64(qty))
			got := utilityOf(t, sc, "a", map[string]string{"price": fmtInt(price), "qty": fmtInt(qty)})
			if math.Abs(got-want) > 1e-12 {
				t.Errorf("price %d qty %d: u = %v, want %v", price, qty, got, want)
			}
		}
	}
	if p := sc.Parties[0]; p.Discount != nil || p.Reservation == nil || *p.Reservation != 0.25 {
		t.Errorf("discount %v (want none for 1.0), reservation %v", p.Discount, p.Reservation)
	}
}

func fmtInt(i int) string { return strconv.Itoa(i) }

// Non-linear ANAC 2014 semantics, after GENIUS's InclusiveHyperRectangle
// (utility when every bound holds) and ExclusiveHyperRectangle (utility
// when some bound fails), summed and divided by maxutility. The expected
// values are computed by brute force from those rules.
func TestNonlinear(t *testing.T) {
	dom := `<negotiation_template><utility_space><objective index="0" name="root">
<issue index="1" name="a" type="integer" lowerbound="0" upperbound="4"/>
<issue index="2" name="b" type="integer" lowerbound="0" upperbound="4"/>
<issue index="3" name="c" type="integer" lowerbound="0" upperbound="4"/>
</objective></utility_space></negotiation_template>`
	prof := `<utility_space type="nonlinear"><objective index="0" name="root">
<issue index="1" name="a" type="integer" lowerbound="0" upperbound="4"/>
<issue index="2" name="b" type="integer" lowerbound="0" upperbound="4"/>
<issue index="3" name="c" type="integer" lowerbound="0" upperbound="4"/>
<utility maxutility="100"><ufun type="PlainUfun" weight="1" aggregation="sum">
<hyperRectangle utility="30"><INCLUDES index="1" min="1" max="3"/><INCLUDES index="2" min="2" max="4"/></hyperRectangle>
<hyperRectangle utility="50"><EXCLUDES index="1" min="0" max="1"/><EXCLUDES index="3" min="2" max="3"/></hyperRectangle>
<hyperRectangle utility="-10"><EXCLUDES index="2" min="0" max="2"/></hyperRectangle>
<hyperRectangle utility="7"></hyperRectangle>
</ufun></utility></objective><reservation value="0.1"/><discount_factor value="0.5"/></utility_space>`
	sc, err := Parse("nl", File{"d.xml", []byte(dom)}, []File{{"p.xml", []byte(prof)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := func(x, lo, hi int) bool { return x >= lo && x <= hi }
	for a := 0; a <= 4; a++ {
		for b := 0; b <= 4; b++ {
			for c := 0; c <= 4; c++ {
				sum := 7.0
				if in(a, 1, 3) && in(b, 2, 4) {
					sum += 30
				}
				if !(in(a, 0, 1) && in(c, 2, 3)) {
					sum += 50
				}
				if !in(b, 0, 2) {
					sum -= 10
				}
				got := utilityOf(t, sc, "p", map[string]string{"a": fmtInt(a), "b": fmtInt(b), "c": fmtInt(c)})
				if math.Abs(got-sum/100) > 1e-12 {
					t.Errorf("(%d,%d,%d): u = %v, want %v", a, b, c, got, sum/100)
				}
			}
		}
	}
	if p := sc.Parties[0]; *p.Discount != 0.5 || *p.Reservation != 0.1 {
		t.Errorf("discount %v reservation %v", *p.Discount, *p.Reservation)
	}
}

func TestErrors(t *testing.T) {
	dom := `<negotiation_template><utility_space><objective index="0" name="root">
<issue index="1" name="color" type="discrete"><item index="1" value="red"/><item index="2" value="blue"/></issue>
</objective></utility_space></negotiation_template>`
	good := `<utility_space><objective index="0" name="root">
<issue index="1" name="color" type="discrete"><item index="1" value="red" evaluation="1"/><item index="2" value="blue" evaluation="2"/></issue>
<weight index="1" value="1"/></objective></utility_space>`
	tests := []struct {
		name, dom, prof string
		want            []string // substrings of the error
	}{
		{"malformed domain", `<negotiation_template><utility_space>`, good, []string{"d.xml", "malformed XML"}},
		{"malformed profile", dom, `<utility_space><objective>`, []string{"p.xml", "malformed XML"}},
		{"unknown issue", dom, strings.Replace(good, `name="color"`, `name="colour"`, 1), []string{"p.xml", "<issue>", `no issue "colour"`}},
		{"unknown value", dom, strings.Replace(good, `value="blue"`, `value="green"`, 1), []string{"p.xml", `value "green"`, "not in the domain"}},
		{"missing evaluation", dom, strings.Replace(good, ` evaluation="2"`, ``, 1), []string{"p.xml", `no evaluation for value "blue"`}},
		{"missing weight", dom, strings.Replace(good, `<weight index="1" value="1"/>`, ``, 1), []string{"p.xml", "no <weight"}},
		{"bad weight", dom, strings.Replace(good, `value="1"/>`, `value="x"/>`, 1), []string{"p.xml", "<weight>", `"x" is not a finite number`}},
		{"negative evaluation", dom, strings.Replace(good, `evaluation="2"`, `evaluation="-2"`, 1), []string{"p.xml", "<item>", "negative"}},
		{"unknown issue type", strings.Replace(dom, `type="discrete"`, `type="objective2"`, 1), good, []string{"d.xml", "<issue>", `type "objective2"`}},
		{"wrong root", good, good, []string{"d.xml", "root element is <utility_space>"}},
		{"no issues", `<negotiation_template><utility_space><objective/></utility_space></negotiation_template>`, good, []string{"d.xml", "no <issue>"}},
		{"nonlinear bad index", strings.Replace(dom, "", "", 1), `<utility_space type="nonlinear"><objective><utility maxutility="1"><ufun aggregation="sum"><hyperRectangle utility="1"><INCLUDES index="9" min="0" max="1"/></hyperRectangle></ufun></utility></objective></utility_space>`, []string{"p.xml", "<INCLUDES>", "index 9 names no issue"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x", File{"d.xml", []byte(tc.dom)}, []File{{"p.xml", []byte(tc.prof)}}, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := LoadDir("testdata/no-such-folder", Options{}); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing folder: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func FuzzParseDomain(f *testing.F) {
	for _, p := range []string{"testdata/laptop/laptop_domain.xml", "testdata/itex/ItexvsCypress_domain.xml"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`<negotiation_template><utility_space><objective><issue name="x" index="1" type="integer" lowerbound="0" upperbound="3"/></objective></utility_space></negotiation_template>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = parseDomain(data, "fuzz.xml")
		_ = Sniff(data)
	})
}

func FuzzParse(f *testing.F) {
	dom, err := os.ReadFile("testdata/laptop/laptop_domain.xml")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{"testdata/laptop/laptop_buyer_utility.xml", "testdata/laptop/laptop_seller_utility.xml"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`<utility_space type="nonlinear"><objective><utility maxutility="3"><ufun><hyperRectangle utility="1"><EXCLUDES index="1" min="0" max="1"/></hyperRectangle></ufun></utility></objective></utility_space>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse("fuzz", File{"d.xml", dom}, []File{{"p.xml", data}}, Options{})
	})
}

// In a folder, well-formed XML that is neither a domain nor a profile is
// skipped with a warning; given explicitly it is an error.
func TestForeignXML(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"laptop_domain.xml", "laptop_buyer_utility.xml", "laptop_seller_utility.xml"} {
		data, err := os.ReadFile(filepath.Join("testdata/laptop", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(dir, "settings.xml")
	if err := os.WriteFile(other, []byte("<settings/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	sc, err := LoadDir(dir, Options{Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Parties) != 2 || !strings.Contains(strings.Join(warnings, "\n"), "settings.xml skipped") {
		t.Errorf("%d parties, warnings %q", len(sc.Parties), warnings)
	}
	if _, err := LoadFiles([]string{filepath.Join(dir, "laptop_domain.xml"), other}, Options{}); err == nil || !strings.Contains(err.Error(), "settings.xml") {
		t.Errorf("explicit foreign file: %v", err)
	}
}
