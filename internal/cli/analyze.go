package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"parley/analysis"
	"parley/scenario"
	"parley/space"
)

func init() { register(newAnalyzeCmd) }

func newAnalyzeCmd() *cobra.Command {
	var asJSON, noRes bool
	var method string
	var in scenarioInput
	cmd := &cobra.Command{
		Use:   "analyze PATH | FILE...",
		Short: "Zone of agreement, Pareto frontier and fair points of a scenario",
		Long: `analyze reads a scenario and reports which deals every participant prefers to
walking away (the zone of possible agreement), the Pareto frontier of those
deals, and the fair points on it: Nash, Kalai–Smorodinsky, egalitarian and
maximum welfare.

PATH is a Parley scenario (YAML or JSON), a GENIUS folder or a GeniusWeb
folder; several FILEs name the domain and profile files of one GENIUS or
GeniusWeb scenario.

The report shows every participant's private utilities: the analyst holds the
whole file, as a trusted broker would. Do not share it with the parties.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := in.load(cmd, args)
			if err != nil {
				return err
			}
			res, err := analysis.Analyze(sc, analysis.Options{IgnoreReservation: noRes, Method: analysis.Method(method)})
			if err != nil {
				return err
			}
			if asJSON {
				return writeAnalysisJSON(cmd.OutOrStdout(), sc, res)
			}
			return writeAnalysisReport(cmd.OutOrStdout(), sc, res)
		},
	}
	in.addFlags(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the analysis as JSON")
	cmd.Flags().BoolVar(&noRes, "no-reservation", false, "ignore reservation values (every outcome is rational)")
	cmd.Flags().StringVar(&method, "method", "", "enumerate (every outcome) or merge (issue by issue, linear additive only); default: chosen by size")
	return cmd
}

// jsonPoint is a point in `analyze --json`.
type jsonPoint struct {
	Outcome   map[string]string `json:"outcome"`
	Utilities []float64         `json:"utilities"`
	Exact     []string          `json:"exact"`
	Count     *big.Int          `json:"count"`
}

// jsonAnalysis is the document printed by `analyze --json`.
type jsonAnalysis struct {
	Scenario         string      `json:"scenario"`
	Method           string      `json:"method"`
	Parties          []string    `json:"parties"`
	Outcomes         *big.Int    `json:"outcomes"`
	RationalOutcomes *int64      `json:"rational_outcomes"`
	Reservation      []*float64  `json:"reservation"`
	Disagreement     []float64   `json:"disagreement"`
	Min              []float64   `json:"min"`
	Max              []float64   `json:"max"`
	Pareto           []jsonPoint `json:"pareto"`
	Nash             []jsonPoint `json:"nash"`
	KalaiSmorodinsky []jsonPoint `json:"kalai_smorodinsky"`
	Egalitarian      []jsonPoint `json:"egalitarian"`
	MaxWelfare       []jsonPoint `json:"max_welfare"`
	Opposition       float64     `json:"opposition"`
}

func jsonPoints(sc *scenario.Scenario, pts []analysis.Point) []jsonPoint {
	out := make([]jsonPoint, len(pts))
	for i, p := range pts {
		ex := make([]string, len(p.Exact))
		for j, x := range p.Exact {
			ex[j] = x.RatString()
		}
		out[i] = jsonPoint{Outcome: space.Labels(sc, p.Outcome), Utilities: p.Utilities, Exact: ex, Count: p.Count}
	}
	return out
}

func writeAnalysisJSON(w io.Writer, sc *scenario.Scenario, r *analysis.Result) error {
	var rational *int64
	if r.Rational >= 0 {
		rational = &r.Rational
	}
	doc := jsonAnalysis{
		Scenario: r.Scenario, Method: string(r.Method), Parties: r.Parties, Outcomes: r.Outcomes, RationalOutcomes: rational,
		Reservation: r.Reservation, Disagreement: r.Disagreement, Min: r.Min, Max: r.Max,
		Pareto: jsonPoints(sc, r.Pareto), Nash: jsonPoints(sc, r.Nash),
		KalaiSmorodinsky: jsonPoints(sc, r.KalaiSmorodinsky), Egalitarian: jsonPoints(sc, r.Egalitarian),
		MaxWelfare: jsonPoints(sc, r.MaxWelfare), Opposition: r.Opposition,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func num(x float64) string { return fmt.Sprintf("%.4f", x) }

func writeAnalysisReport(w io.Writer, sc *scenario.Scenario, r *analysis.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Scenario: %s\n", sc.Name)
	if sc.File != "" {
		fmt.Fprintf(&b, "File:     %s\n", sc.File)
	}
	b.WriteString("\nParties\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	pi := 0
	for _, p := range sc.Parties {
		line := fmt.Sprintf("  %s\t%s", p.Name, p.Role)
		if p.Role == scenario.Participant {
			res := "reservation none"
			if r.Reservation[pi] != nil {
				res = "reservation " + num(*r.Reservation[pi])
			}
			line += fmt.Sprintf("\tutility %s … %s\t%s", num(r.Min[pi]), num(r.Max[pi]), res)
			pi++
		} else if p.Role == scenario.Mediator {
			line += "\t(the broker)"
		} else {
			line += "\t(public record only)"
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nOutcomes:            %s (%d issues)\n", r.Outcomes, len(sc.Issues))
	switch {
	case r.Rational >= 0:
		pct := 0.0
		if total, _ := new(big.Float).SetInt(r.Outcomes).Float64(); total > 0 {
			pct = 100 * float64(r.Rational) / total
		}
		fmt.Fprintf(&b, "Zone of agreement:   %d outcomes (%.1f%%) every participant prefers to walking away\n", r.Rational, pct)
	case len(r.Pareto) > 0:
		b.WriteString("Zone of agreement:   not empty (the merge method does not count its outcomes)\n")
	default:
		b.WriteString("Zone of agreement:   empty\n")
	}
	behind := new(big.Int)
	for _, p := range r.Pareto {
		behind.Add(behind, p.Count)
	}
	fmt.Fprintf(&b, "Pareto frontier:     %d points (%s outcomes)\n", len(r.Pareto), behind)
	fmt.Fprintf(&b, "Method:              %s\n", methodText(r.Method))
	fmt.Fprintf(&b, "Opposition:          %.4f (0 = some deal gives everyone its best, 1 = fully opposed)\n", r.Opposition)
	if len(r.Pareto) == 0 {
		b.WriteString("\nNo deal is acceptable to every participant: there is no zone of agreement.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	for _, fp := range []struct {
		title string
		pts   []analysis.Point
	}{
		{"Nash bargaining point (max Π(u − d))", r.Nash},
		{"Kalai–Smorodinsky point (equal share of each party's possible gain)", r.KalaiSmorodinsky},
		{"Egalitarian point (max of the smallest gain)", r.Egalitarian},
		{"Maximum welfare (max Σu)", r.MaxWelfare},
	} {
		fmt.Fprintf(&b, "\n%s", fp.title)
		if len(fp.pts) > 1 {
			fmt.Fprintf(&b, " — %d tied points", len(fp.pts))
		}
		b.WriteString("\n")
		for j, p := range fp.pts {
			if len(fp.pts) > 1 {
				fmt.Fprintf(&b, "  [%d]\n", j+1)
			}
			writeDeal(&b, sc, r, p)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDeal(b *strings.Builder, sc *scenario.Scenario, r *analysis.Result, p analysis.Point) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for i, v := range p.Outcome {
		fmt.Fprintf(tw, "    %s:\t%s\n", sc.Issues[i].Name, sc.Issues[i].Label(v))
	}
	tw.Flush()
	var us []string
	for i, u := range p.Utilities {
		us = append(us, fmt.Sprintf("%s %s", r.Parties[i], num(u)))
	}
	fmt.Fprintf(b, "    utilities: %s (welfare %s)\n", strings.Join(us, ", "), num(p.Welfare()))
	if p.Count.Cmp(big.NewInt(1)) > 0 {
		fmt.Fprintf(b, "    (%s outcomes give these utilities)\n", p.Count)
	}
}

func methodText(m analysis.Method) string {
	if m == analysis.Merge {
		return "merge (issue-by-issue Pareto merge, exact)"
	}
	return "enumerate (every outcome, exact)"
}
