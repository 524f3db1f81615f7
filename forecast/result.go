package forecast

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Mode selects the variant of the model.
type Mode string

// Modes.
const (
	// Faithful is the Scholz, Calbert & Smith (2011) replication
	// (jmckib/bdm-scholz-expected-utility-model) bit for bit, quirks kept.
	Faithful Mode = "faithful"
	// Corrected fixes the replication's bugs: capitulation works,
	// offers are ranked by movement in one pool, the median is a plain
	// weighted median, and degenerate inputs have a defined result.
	Corrected Mode = "corrected"
)

// ParseMode reads a mode name or alias: faithful (scholz2011-jmckib) or
// corrected (bdm-corrected).
func ParseMode(s string) (Mode, error) {
	switch s {
	case "faithful", "scholz2011-jmckib", "":
		return Faithful, nil
	case "corrected", "bdm-corrected":
		return Corrected, nil
	}
	return "", fmt.Errorf("unknown mode %q: want faithful or corrected", s)
}

// MoveKind is how an actor came to move.
type MoveKind string

// Move kinds.
const (
	Confrontation MoveKind = "confrontation" // the actor expects to lose a challenge and yields to the other's position
	Compromise    MoveKind = "compromise"    // the actor concedes part of the way
	Capitulation  MoveKind = "capitulation"  // the actor gives way entirely without a fight (corrected mode only)
)

// Move is one actor's change of position in a round: it accepted the offer
// of Toward. EUOwn is the mover's expected utility of challenging Toward
// (E^i(U_ij)), EUOther its estimate of Toward's expected utility of
// challenging it (E^i(U_ji)).
type Move struct {
	Actor   string   `json:"actor"`
	Toward  string   `json:"toward"`
	Kind    MoveKind `json:"kind"`
	From    float64  `json:"from"`
	To      float64  `json:"to"`
	EUOwn   float64  `json:"eu_own"`
	EUOther float64  `json:"eu_other"`
}

// Round is the state after a round (round 0 is the initial state).
type Round struct {
	Round int
	// Positions are the actors' positions, in input order.
	Positions []float64
	// Risk holds the actors' risk exponents used in the round (nil for
	// round 0).
	Risk   []float64
	Median float64
	Mean   float64
	Moves  []Move
}

// Result is a forecast of one issue.
type Result struct {
	Issue  string
	Mode   Mode
	Actors []string
	Rounds []Round
	// Stopped says why a faithful run ended before its last round (the
	// error Run returned with it), or is empty.
	Stopped string
}

// Forecast is the final round's weighted median, the model's prediction
// (NaN for a result without rounds).
func (r *Result) Forecast() float64 {
	if len(r.Rounds) == 0 {
		return math.NaN()
	}
	return r.Rounds[len(r.Rounds)-1].Median
}

// FinalMean is the final round's weighted mean (NaN without rounds).
func (r *Result) FinalMean() float64 {
	if len(r.Rounds) == 0 {
		return math.NaN()
	}
	return r.Rounds[len(r.Rounds)-1].Mean
}

// MarshalJSON writes {"issue", "mode", "actors", "rounds": [{"round",
// "positions": {actor: x} in actor order, "risk", "median", "mean",
// "moves"}], "forecast", "forecast_mean", "stopped" (if set)}.
func (r *Result) MarshalJSON() ([]byte, error) {
	if len(r.Rounds) == 0 {
		return nil, fmt.Errorf("encode forecast %q: no rounds", r.Issue)
	}
	var b bytes.Buffer
	enc := func(v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode forecast: %w", err)
		}
		b.Write(data)
		return nil
	}
	b.WriteString(`{"issue":`)
	if err := enc(r.Issue); err != nil {
		return nil, err
	}
	b.WriteString(`,"mode":`)
	if err := enc(r.Mode); err != nil {
		return nil, err
	}
	b.WriteString(`,"actors":`)
	if err := enc(r.Actors); err != nil {
		return nil, err
	}
	b.WriteString(`,"rounds":[`)
	for k, rd := range r.Rounds {
		if k > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"round":%d,"positions":{`, rd.Round)
		for i, x := range rd.Positions {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := enc(r.Actors[i]); err != nil {
				return nil, err
			}
			b.WriteByte(':')
			b.WriteString(num(x))
		}
		b.WriteString(`}`)
		if rd.Risk != nil {
			b.WriteString(`,"risk":{`)
			for i, x := range rd.Risk {
				if i > 0 {
					b.WriteByte(',')
				}
				if err := enc(r.Actors[i]); err != nil {
					return nil, err
				}
				b.WriteByte(':')
				b.WriteString(num(x))
			}
			b.WriteString(`}`)
		}
		fmt.Fprintf(&b, `,"median":%s,"mean":%s,"moves":`, num(rd.Median), num(rd.Mean))
		moves := rd.Moves
		if moves == nil {
			moves = []Move{}
		}
		if err := enc(moves); err != nil {
			return nil, err
		}
		b.WriteByte('}')
	}
	fmt.Fprintf(&b, `],"forecast":%s,"forecast_mean":%s`, num(r.Forecast()), num(r.FinalMean()))
	if r.Stopped != "" {
		b.WriteString(`,"stopped":`)
		if err := enc(r.Stopped); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// num writes x as the shortest decimal that reads back exactly.
func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
