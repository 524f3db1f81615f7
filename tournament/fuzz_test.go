package tournament

import (
	"strings"
	"testing"
)

// FuzzParseConfig: any input either parses into a configuration that
// passes Check, or fails with problems; it never panics.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("competitors: [boulware, micro]\nscenarios: [x.yaml]\n"))
	f.Add([]byte("competitors:\n  - {name: a, strategy: linear, params: {e: 2}}\n  - micro\nscenarios:\n  - {path: 'x/*', optional: true}\nrounds: 10\ntime: 1.5\n"))
	f.Add([]byte("{\"competitors\": [\"boulware\", \"micro\"], \"scenarios\": [\"a.json\"], \"seed\": 3}"))
	f.Add([]byte("competitors: [a: b]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data, "fuzz.yaml")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Errorf("error without the file name: %v", err)
			}
			return
		}
		if err := cfg.Check(); err != nil {
			t.Errorf("parsed config fails Check: %v", err)
		}
	})
}

// FuzzParseRow: a row that parses writes back to the same row.
func FuzzParseRow(f *testing.F) {
	f.Add("0,\"s/a,b/0\",s,0,12,agreement,3,10,0.5,,,1.5,0,0.1,a,0.75,0.5,b,0.75,0.25")
	f.Add("1,\"s/a,b/1\",s,1,7,failed,,1,0,b,party \"\"B\"\": panic,0.2,,,a,0.2,0,b,0,0,,,")
	f.Fuzz(func(t *testing.T, line string) {
		row := strings.Split(line, ",")
		rec, err := ParseRow(row)
		if err != nil {
			return
		}
		roles := (len(row) - len(fixedColumns)) / len(roleColumns)
		back := rec.Row(roles)
		again, err := ParseRow(back)
		if err != nil {
			t.Fatalf("row written from a parsed record does not parse: %v", err)
		}
		if strings.Join(again.Row(roles), ",") != strings.Join(back, ",") {
			t.Errorf("round trip changed the row:\n%v\n%v", back, again.Row(roles))
		}
	})
}
