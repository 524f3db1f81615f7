package forecast

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestWriteReport(t *testing.T) {
	in := ecInput()
	res, err := Run(in, Options{Rounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteReport(&b, &in, res, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Issue ec: 10 actors, mode faithful",
		"median 7, mean 7.389955686853767",
		"Belgium compromises with France: 7 → 8.415932315426764",
		"E[Belgium challenges France] = -0.114830503473 vs E[France challenges Belgium] = 0.243296594523 (as Belgium sees them)",
		"Luxembourg loses a confrontation to Belgium: 4 → 7",
		"Ireland loses a confrontation to Luxembourg: 7 → 4",
		"median 8.415932315426764, mean 7.461314378277189",
		"Forecast: 8.415932315426764 (weighted median after round 1)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestResultJSON(t *testing.T) {
	res, err := Run(ecInput(), Options{Rounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	// Positions keep the actor order.
	if !bytes.Contains(data, []byte(`"positions":{"Netherlands":4,"Belgium":7,"Luxembourg":4,`)) {
		t.Errorf("positions not in actor order: %s", data)
	}
	var doc struct {
		Rounds []struct {
			Round     int                `json:"round"`
			Positions map[string]float64 `json:"positions"`
			Median    float64            `json:"median"`
			Mean      float64            `json:"mean"`
			Moves     []Move             `json:"moves"`
		} `json:"rounds"`
		Forecast float64 `json:"forecast"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Rounds) != 2 || doc.Rounds[0].Round != 0 || doc.Rounds[0].Moves == nil || len(doc.Rounds[1].Moves) != 3 {
		t.Fatalf("rounds = %+v", doc.Rounds)
	}
	r1 := doc.Rounds[1]
	if r1.Median != 8.415932315426764 || r1.Mean != 7.461314378277189 || r1.Positions["Belgium"] != 8.415932315426764 || doc.Forecast != r1.Median {
		t.Errorf("round 1 = %+v, forecast %v", r1, doc.Forecast)
	}
	if m := r1.Moves[0]; m.Actor != "Belgium" || m.Toward != "France" || m.Kind != Compromise || m.From != 7 {
		t.Errorf("move = %+v", m)
	}
}
