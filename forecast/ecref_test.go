package forecast

import (
	"encoding/json"
	"os"
	"testing"
)

type ecRound struct {
	Round     int       `json:"round"`
	Positions []float64 `json:"positions"`
	Median    float64   `json:"median"`
	Mean      float64   `json:"mean"`
}

func loadECReference(t *testing.T) []ecRound {
	t.Helper()
	data, err := os.ReadFile("testdata/ec-replication.json")
	if err != nil {
		t.Fatal(err)
	}
	var rounds []ecRound
	if err := json.Unmarshal(data, &rounds); err != nil {
		t.Fatal(err)
	}
	if len(rounds) != 11 {
		t.Fatalf("reference has %d rounds, want 11", len(rounds))
	}
	return rounds
}
