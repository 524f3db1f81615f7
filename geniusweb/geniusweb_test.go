package geniusweb

import (
	"math"
	"os"
	"strings"
	"testing"

	"parley/scenario"
	"parley/space"
	"parley/utility"
)

func utilityOf(t *testing.T, sc *scenario.Scenario, party string, bid map[string]string) float64 {
	t.Helper()
	for i := range sc.Parties {
		if sc.Parties[i].Name != party {
			continue
		}
		prof, err := utility.Compile(sc, i)
		if err != nil {
			t.Fatal(err)
		}
		o, err := space.Parse(sc, bid)
		if err != nil {
			t.Fatal(err)
		}
		return prof.Func.Utility(o)
	}
	t.Fatalf("no party %q", party)
	return 0
}

// testdata/party is GeniusWeb's classic Party domain (older spelling
// discreteutils). Expected values are computed by hand from the file.
func TestPartyByHand(t *testing.T) {
	sc, err := LoadDir("testdata/party", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, is := range sc.Issues {
		names = append(names, is.Name)
	}
	if got, want := strings.Join(names, ","), "Food,Drinks,Location,Invitations,Music,Cleanup"; got != want {
		t.Errorf("issue order %s, want the file's %s", got, want)
	}
	if len(sc.Parties) != 2 || sc.Parties[0].Name != "party1" || sc.Parties[1].Name != "party2" {
		t.Fatalf("parties %+v", sc.Parties)
	}
	// party1's reservation bid: Handmade Food .51, Handmade Cocktails .672,
	// Party Tent .52, Custom Printed .48, Band .35, Special Equiment .32.
	wantRes := 0.19*0.51 + 0.28*0.672 + 0.19*0.52 + 0.05*0.48 + 0.19*0.35 + 0.10*0.32
	if r := sc.Parties[0].Reservation; r == nil || math.Abs(*r-wantRes) > 1e-12 {
		t.Errorf("party1 reservation %v, want %v", r, wantRes)
	}
	bid := map[string]string{"Food": "Chips and Nuts", "Drinks": "Beer Only", "Location": "Party Room",
		"Invitations": "Custom, Handmade", "Music": "DJ", "Cleanup": "Specialized Materials"}
	want := 0.19*0.75 + 0.28*0.98 + 0.19*0.99 + 0.05*1 + 0.19*0.99 + 0.10*0.96
	if got := utilityOf(t, sc, "party1", bid); math.Abs(got-want) > 1e-12 {
		t.Errorf("party1 u = %v, want %v", got, want)
	}
}

const numberDomain = `{"name":"n","issuesValues":{
 "price":{"range":{"low":10,"high":20,"step":1}},
 "rate":{"range":{"low":12.2,"high":12.6,"step":0.3}},
 "color":{"values":["red","blue"]}}}`

const numberProfile = `{"LinearAdditiveUtilitySpace":{
 "issueUtilities":{
  "price":{"NumberValueSetUtilities":{"lowValue":10,"lowUtility":1,"highValue":20,"highUtility":0}},
  "rate":{"numberutils":{"lowValue":12.2,"lowUtility":0.2,"highValue":12.6,"highUtility":1}},
  "color":{"DiscreteValueSetUtilities":{"valueUtilities":{"red":1,"blue":0.5}}}},
 "issueWeights":{"price":0.5,"rate":0.3,"color":0.2},
 "name":"a","reservationBid":null}}`

func TestNumberRanges(t *testing.T) {
	sc, err := Parse(&File{"n.json", []byte(numberDomain)}, []File{{"a.json", []byte(numberProfile)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	price, rate := sc.Issues[0], sc.Issues[1]
	if price.Type != scenario.Integer || *price.Min != 10 || *price.Max != 20 {
		t.Errorf("price %+v", price)
	}
	// 12.2, 12.5: two values; 12.8 passes high.
	if rate.Type != scenario.Real || rate.Cardinality() != 2 || *rate.Min != 12.2 || math.Abs(*rate.Max-12.5) > 1e-12 {
		t.Errorf("rate %+v (cardinality %d)", rate, rate.Cardinality())
	}
	if sc.Parties[0].Reservation != nil {
		t.Errorf("null reservationBid gave reservation %v", *sc.Parties[0].Reservation)
	}
	// u = .5·(1 − (p−10)/10) + .3·(.2 + .8·(r−12.2)/.4) + .2·color.
	got := utilityOf(t, sc, "a", map[string]string{"price": "13", "rate": "12.5", "color": "blue"})
	want := 0.5*(1-0.3) + 0.3*(0.2+0.8*(0.3/0.4)) + 0.2*0.5
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("u = %v, want %v", got, want)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, dom, prof string
		want            []string
	}{
		{"malformed domain", `{"name":`, numberProfile, []string{"d.json"}},
		{"malformed profile", numberDomain, `{"LinearAdditiveUtilitySpace":{`, []string{"p.json"}},
		{"unknown issue", numberDomain, strings.Replace(numberProfile, `"color":0.2`, `"colour":0.2`, 1), []string{"p.json", "issueWeights.colour", `no issue "colour"`}},
		{"unknown value", numberDomain, strings.Replace(numberProfile, `"blue":0.5`, `"green":0.5`, 1), []string{"p.json", "issueUtilities.color", `value "green"`}},
		{"missing weight", numberDomain, strings.Replace(numberProfile, `,"color":0.2`, ``, 1), []string{"p.json", `no weight for issue "color"`}},
		{"wrong kind", numberDomain, strings.Replace(numberProfile, `"price":{"NumberValueSetUtilities":{"lowValue":10,"lowUtility":1,"highValue":20,"highUtility":0}}`, `"price":{"discreteutils":{"valueUtilities":{}}}`, 1), []string{"p.json", "discrete utilities for a number issue"}},
		{"other profile type", numberDomain, `{"SumOfGroupsUtilitySpace":{}}`, []string{"p.json", "not a LinearAdditiveUtilitySpace"}},
		{"bad reservation bid", numberDomain, strings.Replace(numberProfile, `"reservationBid":null`, `"reservationBid":{"issuevalues":{"price":10,"rate":12.2,"color":"green"}}`, 1), []string{"p.json", "reservationBid", `"green"`}},
		{"bad step", strings.Replace(numberDomain, `"step":1`, `"step":0`, 1), numberProfile, []string{"d.json", "step"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(&File{"d.json", []byte(tc.dom)}, []File{{"p.json", []byte(tc.prof)}}, Options{})
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
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(numberProfile))
	if data, err := os.ReadFile("testdata/party/party1.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"LinearAdditiveUtilitySpace":{"issueUtilities":{},"issueWeights":{},"reservationBid":{"Bid":{"issuevalues":{}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse(&File{"d.json", []byte(numberDomain)}, []File{{"p.json", data}}, Options{})
		_, _ = Parse(nil, []File{{"p.json", data}}, Options{})
		_ = Sniff(data)
	})
}

func FuzzParseDomain(f *testing.F) {
	f.Add([]byte(numberDomain))
	if data, err := os.ReadFile("testdata/party/party.json"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse(&File{"d.json", data}, []File{{"p.json", []byte(numberProfile)}}, Options{})
	})
}
