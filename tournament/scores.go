package tournament

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"text/tabwriter"

	"gonum.org/v1/gonum/stat/distuv"

	"parley"
)

// Confidence is the level of the confidence intervals of scores.
const Confidence = 0.95

// Score names.
const (
	ScoreAdvantage = "advantage"       // (u − d)/(best − d) of the competitor's role
	ScoreUtility   = "utility"         // the competitor's utility
	ScoreWelfare   = "welfare"         // the sum of every role's utility
	ScoreAgreement = "agreement"       // 1 for an agreement, else 0: the mean is the agreement rate
	ScoreNash      = "nash_distance"   // distance to the nearest Nash point (lower is better)
	ScorePareto    = "pareto_distance" // distance to the Pareto frontier (lower is better)
)

// ScoreNames lists the scores, in report order.
func ScoreNames() []string {
	return []string{ScoreAdvantage, ScoreUtility, ScoreWelfare, ScoreAgreement, ScoreNash, ScorePareto}
}

// lowerIsBetter reports whether a score ranks ascending.
func lowerIsBetter(score string) bool { return score == ScoreNash || score == ScorePareto }

// Stat is the mean of a sample and the half-width of its confidence
// interval (Student's t; NaN with fewer than two values).
type Stat struct {
	N    int64   `json:"n"`
	Mean float64 `json:"mean"`
	CI   float64 `json:"ci95"`

	m2 float64 // Welford's sum of squared deviations
}

// MarshalJSON writes NaN as null.
func (s Stat) MarshalJSON() ([]byte, error) {
	f := func(x float64) any {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	}
	return json.Marshal(map[string]any{"n": s.N, "mean": f(s.Mean), "ci95": f(s.CI)})
}

func (s *Stat) add(x float64) {
	if math.IsNaN(x) {
		return
	}
	s.N++
	d := x - s.Mean
	s.Mean += d / float64(s.N)
	s.m2 += d * (x - s.Mean)
}

func (s *Stat) finish() {
	switch {
	case s.N == 0:
		s.Mean, s.CI = math.NaN(), math.NaN()
	case s.N == 1:
		s.CI = math.NaN()
	default:
		sd := math.Sqrt(s.m2 / float64(s.N-1))
		t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(s.N - 1)}.Quantile(0.5 + Confidence/2)
		s.CI = t * sd / math.Sqrt(float64(s.N))
	}
}

// CompetitorScore is one competitor's scores over a set of negotiations,
// one value per role it held.
type CompetitorScore struct {
	Competitor string `json:"competitor"`
	Rank       int    `json:"rank"`
	// Negotiations counts the roles it held; Failures the negotiations
	// failed by its fault.
	Negotiations int64           `json:"roles"`
	Failures     int64           `json:"failures"`
	Scores       map[string]Stat `json:"scores"`
}

// ScenarioScores are the scores of one scenario.
type ScenarioScores struct {
	Scenario string `json:"scenario"`
	// Negotiations and Agreements count negotiations (not roles).
	Negotiations int64             `json:"negotiations"`
	Agreements   int64             `json:"agreements"`
	Competitors  []CompetitorScore `json:"competitors"`
}

// AgreementRate returns the share of negotiations that reached agreement.
func (s *ScenarioScores) AgreementRate() float64 {
	if s.Negotiations == 0 {
		return math.NaN()
	}
	return float64(s.Agreements) / float64(s.Negotiations)
}

// Scores are a tournament's scores: overall and per scenario.
type Scores struct {
	RankBy       string            `json:"rank_by"`
	Confidence   float64           `json:"confidence"`
	Negotiations int64             `json:"negotiations"`
	Overall      []CompetitorScore `json:"overall"`
	Scenarios    []ScenarioScores  `json:"scenarios"`
}

type accum struct {
	n, fails int64
	stats    map[string]*Stat
}

func newAccum() *accum {
	a := &accum{stats: map[string]*Stat{}}
	for _, s := range ScoreNames() {
		a.stats[s] = &Stat{}
	}
	return a
}

// ComputeScores reads every record of r and scores the competitors, ranked
// by rankBy (best first; ties by name). competitors and scenarios give the
// report order of names (others follow, sorted). Memory grows with the
// number of competitors and scenarios, not of negotiations.
func ComputeScores(r *Reader, rankBy string, competitors, scenarios []string) (*Scores, error) {
	if rankBy == "" {
		rankBy = ScoreAdvantage
	}
	if !slices.Contains(ScoreNames(), rankBy) {
		return nil, parley.Errorf(parley.EINVALID, "unknown score %q", rankBy)
	}
	overall := map[string]*accum{}
	per := map[string]map[string]*accum{}
	scn := map[string]*ScenarioScores{}
	sc := &Scores{RankBy: rankBy, Confidence: Confidence}
	get := func(m map[string]*accum, c string) *accum {
		a, ok := m[c]
		if !ok {
			a = newAccum()
			m[c] = a
		}
		return a
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		sc.Negotiations++
		ss, ok := scn[rec.Scenario]
		if !ok {
			ss = &ScenarioScores{Scenario: rec.Scenario}
			scn[rec.Scenario], per[rec.Scenario] = ss, map[string]*accum{}
		}
		ss.Negotiations++
		agreed := 0.0
		if rec.Status == StatusAgreement {
			ss.Agreements++
			agreed = 1
		}
		for i, c := range rec.Competitors {
			for _, a := range []*accum{get(overall, c), get(per[rec.Scenario], c)} {
				a.n++
				if rec.Blame == c && rec.Status == StatusFailed {
					a.fails++
				}
				a.stats[ScoreAdvantage].add(rec.Advantages[i])
				a.stats[ScoreUtility].add(rec.Utilities[i])
				a.stats[ScoreWelfare].add(rec.Welfare)
				a.stats[ScoreAgreement].add(agreed)
				a.stats[ScoreNash].add(rec.Nash)
				a.stats[ScorePareto].add(rec.Pareto)
			}
		}
	}
	sc.Overall = rank(overall, rankBy, competitors)
	for _, id := range order(scn, scenarios) {
		s := scn[id]
		s.Competitors = rank(per[id], rankBy, competitors)
		sc.Scenarios = append(sc.Scenarios, *s)
	}
	return sc, nil
}

// order lists m's keys: first those of pref present in m, then the rest
// sorted.
func order[V any](m map[string]V, pref []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range pref {
		if _, ok := m[k]; ok && !seen[k] {
			out, seen[k] = append(out, k), true
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

func rank(m map[string]*accum, rankBy string, names []string) []CompetitorScore {
	var out []CompetitorScore
	for _, c := range order(m, names) {
		a := m[c]
		cs := CompetitorScore{Competitor: c, Negotiations: a.n, Failures: a.fails, Scores: map[string]Stat{}}
		for k, s := range a.stats {
			s.finish()
			cs.Scores[k] = *s
		}
		out = append(out, cs)
	}
	slices.SortStableFunc(out, func(a, b CompetitorScore) int {
		x, y := a.Scores[rankBy].Mean, b.Scores[rankBy].Mean
		if math.IsNaN(x) || math.IsNaN(y) {
			return cmp.Compare(boolInt(math.IsNaN(x)), boolInt(math.IsNaN(y)))
		}
		if lowerIsBetter(rankBy) {
			return cmp.Compare(x, y)
		}
		return cmp.Compare(y, x)
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// WriteCSV writes the scores as CSV: one row per competitor overall
// (scenario "all") and per scenario, with each score's mean and
// confidence half-width.
func (s *Scores) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	h := []string{"scenario", "rank", "competitor", "roles", "failures"}
	for _, n := range ScoreNames() {
		h = append(h, n+"_mean", n+"_ci95")
	}
	cw.Write(h)
	rows := func(scen string, cs []CompetitorScore) {
		for _, c := range cs {
			row := []string{scen, strconv.Itoa(c.Rank), c.Competitor, strconv.FormatInt(c.Negotiations, 10), strconv.FormatInt(c.Failures, 10)}
			for _, n := range ScoreNames() {
				row = append(row, formatFloat(c.Scores[n].Mean), formatFloat(c.Scores[n].CI))
			}
			cw.Write(row)
		}
	}
	rows("all", s.Overall)
	for _, sc := range s.Scenarios {
		rows(sc.Scenario, sc.Competitors)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write scores: %w", err)
	}
	return nil
}

// WriteJSON writes the scores as indented JSON.
func (s *Scores) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("write scores: %w", err)
	}
	return nil
}

// WriteTable prints the overall ranking and the agreement rate per
// scenario as aligned text.
func (s *Scores) WriteTable(w io.Writer) error {
	if err := writeRanking(w, s.Overall); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nRanked by %s (mean ± half-width of the %.0f%% confidence interval), %d negotiations.\n\n", s.RankBy, 100*Confidence, s.Negotiations)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tnegotiations\tagreement rate\tbest\t")
	for _, sc := range s.Scenarios {
		best := ""
		if len(sc.Competitors) > 0 {
			best = sc.Competitors[0].Competitor
		}
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%s\t\n", sc.Scenario, sc.Negotiations, sc.AgreementRate(), best)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write scores: %w", err)
	}
	return nil
}

// WriteScenarioTables prints the ranking of each scenario.
func (s *Scores) WriteScenarioTables(w io.Writer) error {
	for _, sc := range s.Scenarios {
		fmt.Fprintf(w, "\n%s: %d negotiations, agreement rate %.3f\n", sc.Scenario, sc.Negotiations, sc.AgreementRate())
		if err := writeRanking(w, sc.Competitors); err != nil {
			return err
		}
	}
	return nil
}

// writeRanking prints competitors' scores as an aligned table.
func writeRanking(w io.Writer, cs []CompetitorScore) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "rank\tcompetitor\troles\tfailures\t")
	for _, n := range ScoreNames() {
		fmt.Fprintf(tw, "%s\t", n)
	}
	fmt.Fprintln(tw)
	for _, c := range cs {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t", c.Rank, c.Competitor, c.Negotiations, c.Failures)
		for _, n := range ScoreNames() {
			st := c.Scores[n]
			switch {
			case math.IsNaN(st.Mean):
				fmt.Fprintf(tw, "–\t")
			case math.IsNaN(st.CI):
				fmt.Fprintf(tw, "%.3f\t", st.Mean)
			default:
				fmt.Fprintf(tw, "%.3f ± %.3f\t", st.Mean, st.CI)
			}
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write scores: %w", err)
	}
	return nil
}
