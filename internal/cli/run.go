package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"parley"
	"parley/analysis"
	"parley/negotiation"
	"parley/negotiator"
	"parley/plot"
	"parley/protocol"
	"parley/scenario"
	"parley/space"
	"parley/utility"
)

func init() { register(newRunCmd) }

// runFlags are the options of `parley run`.
type runFlags struct {
	protocol  string
	rule      string
	agents    []string
	rounds    int
	time      time.Duration
	callLimit time.Duration
	seed      uint64
	asJSON    bool
	trace     bool
	analyst   bool
	plot      string
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Run an automated negotiation on a scenario and report the outcome",
		Long: `run negotiates a scenario with one automated negotiator per participant under
a protocol (saop, amop, singletext or broker) and reports who agreed to what,
each participant's utility and advantage (u − r)/(max − r), welfare, the
distance to the Pareto frontier and to the Nash point, and the rounds used.

Negotiators each see only their own preferences and the public record. The
report, which shows every participant's utilities, is the analyst's view: the
analyst holds the whole file.

--agents takes one strategy for everyone (--agents boulware), one per
participant in file order (--agents boulware,conceder), or by name
(--agents "Russia=hardheaded,Iran=agentk"; the rest get the default).
Strategies: ` + strings.Join(negotiator.Names(), ", ") + `; parameters go in
parentheses, e.g. "timedependent(e=0.5; k=0.1)" or "aspiration(beta=2)".
The default is boulware for saop and amop, hillclimber for singletext and
threshold for broker.

The deadline defaults to the scenario's, or 100 rounds. Runs are
deterministic for a seed when the deadline is in rounds only.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := loadScenario(args[0])
			if err != nil {
				return err
			}
			rep, err := runScenario(sc, f)
			if err != nil {
				return err
			}
			if f.asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else if err := writeRunReport(cmd.OutOrStdout(), rep, f); err != nil {
				return err
			}
			if rep.failure != nil {
				// A failed session is reported above; the exit code says
				// whether the input (e.g. a space too large for the
				// negotiators) or a negotiator was at fault.
				code := ExitFailure
				switch parley.ErrorCode(rep.failure) {
				case parley.EINVALID, parley.EUNSUPPORTED:
					code = ExitBadInput
				}
				return &exitError{code: code}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.protocol, "protocol", "saop", "protocol: "+strings.Join(protocol.Names(), ", "))
	fl.StringVar(&f.rule, "rule", "nash", "broker's fairness rule: nash, egalitarian, kalai-smorodinsky or welfare")
	fl.StringSliceVar(&f.agents, "agents", nil, "negotiator per participant: NAME, NAME,NAME,… or PARTY=NAME,…")
	fl.IntVar(&f.rounds, "rounds", 0, "deadline in rounds (default: the scenario's, else 100)")
	fl.DurationVar(&f.time, "time", 0, "deadline in wall time, e.g. 2s (default: the scenario's)")
	fl.DurationVar(&f.callLimit, "call-limit", 0, "time limit for each negotiator call (0: none)")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed")
	fl.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
	fl.BoolVar(&f.trace, "trace", false, "show every action with its round, time and the acting party's utility")
	fl.BoolVar(&f.analyst, "analyst", false, "with --trace: show every participant's utility of each outcome")
	fl.StringVar(&f.plot, "plot", "", "write the utility-space figure of the first two participants to FILE (.svg or .png)")
	return cmd
}

// runParticipant is one participant's line of the run report.
type runParticipant struct {
	Name        string   `json:"name"`
	Agent       string   `json:"agent"`
	Utility     float64  `json:"utility"`
	Discounted  float64  `json:"discounted_utility"`
	Reservation *float64 `json:"reservation,omitempty"`
	Advantage   float64  `json:"advantage"`
}

// runEvent is one trace line of the run report.
type runEvent struct {
	Round       int               `json:"round"`
	T           float64           `json:"t"`
	Party       string            `json:"party"`
	Action      string            `json:"action"`
	Outcome     map[string]string `json:"outcome,omitempty"`
	Utility     *float64          `json:"utility,omitempty"`
	Utilities   []float64         `json:"utilities,omitempty"`
	Blocking    string            `json:"blocking,omitempty"`
	Explanation string            `json:"explanation,omitempty"`
}

// runReport is the result of `parley run`, printed as text or JSON.
type runReport struct {
	Scenario     string            `json:"scenario"`
	Protocol     string            `json:"protocol"`
	Seed         uint64            `json:"seed"`
	Rounds       int               `json:"rounds_limit,omitempty"`
	Time         string            `json:"time_limit,omitempty"`
	Status       string            `json:"status"`
	EndedBy      string            `json:"ended_by,omitempty"`
	Error        string            `json:"error,omitempty"`
	RoundsUsed   int               `json:"rounds_used"`
	AgreedRound  int               `json:"agreed_in_round,omitempty"`
	T            float64           `json:"t"`
	Agreement    map[string]string `json:"agreement,omitempty"`
	Issues       []string          `json:"issues"`
	Participants []runParticipant  `json:"participants"`
	Welfare      float64           `json:"welfare"`
	ParetoDist   *float64          `json:"distance_to_pareto,omitempty"`
	NashDist     *float64          `json:"distance_to_nash,omitempty"`
	Analysis     string            `json:"analysis_note,omitempty"`
	Explanations []string          `json:"explanations,omitempty"`
	Trace        []runEvent        `json:"trace,omitempty"`
	ElapsedMS    float64           `json:"elapsed_ms"`

	failure error // the error of a failed session
}

// agentNames resolves --agents to one strategy name per participant.
func agentNames(sc *scenario.Scenario, spec []string, def string) ([]string, error) {
	part := sc.Participants()
	names := make([]string, len(part))
	for i := range names {
		names[i] = def
	}
	// PARTY=NAME: an "=" before any parameter list "(…)".
	assignment := func(s string) (party, agent string, ok bool) {
		head, _, _ := strings.Cut(s, "(")
		i := strings.Index(head, "=")
		if i < 0 {
			return "", "", false
		}
		return s[:i], s[i+1:], true
	}
	byName := false
	for _, s := range spec {
		if _, _, ok := assignment(s); ok {
			byName = true
		}
	}
	switch {
	case len(spec) == 0:
	case byName:
		for _, s := range spec {
			party, agent, ok := assignment(s)
			if !ok {
				return nil, usageError{parley.Errorf(parley.EINVALID, "--agents: %q: mix of PARTY=NAME and plain names", s)}
			}
			party = strings.TrimSpace(party)
			found := false
			for i, pi := range part {
				if sc.Parties[pi].Name == party {
					names[i], found = strings.TrimSpace(agent), true
				}
			}
			if !found {
				return nil, usageError{parley.Errorf(parley.EINVALID, "--agents: no participant named %q", party)}
			}
		}
	case len(spec) == 1:
		for i := range names {
			names[i] = strings.TrimSpace(spec[0])
		}
	case len(spec) == len(part):
		for i, s := range spec {
			names[i] = strings.TrimSpace(s)
		}
	default:
		return nil, usageError{parley.Errorf(parley.EINVALID, "--agents: %d names for %d participants", len(spec), len(part))}
	}
	return names, nil
}

func runScenario(sc *scenario.Scenario, f runFlags) (*runReport, error) {
	proto, med, err := protocol.ByName(f.protocol)
	if err != nil {
		return nil, usageError{err}
	}
	if br, ok := med.(*protocol.Broker); ok {
		br.Rule = protocol.Rule(strings.ToLower(f.rule))
		if !slices.Contains(protocol.Rules(), br.Rule) {
			return nil, usageError{parley.Errorf(parley.EINVALID, "--rule: unknown fairness rule %q", f.rule)}
		}
	}
	def := map[string]string{"saop": "boulware", "amop": "boulware", "singletext": "hillclimber", "broker": "threshold"}[proto.Name()]
	names, err := agentNames(sc, f.agents, def)
	if err != nil {
		return nil, err
	}
	negs := make([]negotiation.Negotiator, len(names))
	for i, n := range names {
		if negs[i], err = negotiator.New(n); err != nil {
			return nil, usageError{fmt.Errorf("--agents: %w", err)}
		}
	}
	profiles, err := utility.Participants(sc)
	if err != nil {
		return nil, fmt.Errorf("run %q: %w", sc.Name, err)
	}
	rounds, limit := f.rounds, f.time
	if rounds == 0 && limit == 0 && (sc.Deadline == nil) {
		rounds = 100
	}
	res, err := negotiation.Run(negotiation.Config{
		Scenario: sc, Protocol: proto, Mediator: med, Negotiators: negs, Profiles: profiles,
		Rounds: rounds, Time: limit, CallLimit: f.callLimit, Seed: f.seed,
		Trace: f.trace || f.plot != "", Analyst: f.analyst,
	})
	if err != nil {
		return nil, fmt.Errorf("run %q: %w", sc.Name, err)
	}
	if f.plot != "" {
		if err := plot.SaveNegotiation(f.plot, sc, res, 0, 1); err != nil {
			return nil, err
		}
		if !f.trace {
			res.Trace = nil // drawn, not reported
		}
	}
	rep := &runReport{
		Scenario: sc.Name, Protocol: proto.Name(), Seed: f.seed,
		Status: res.Status.String(), RoundsUsed: res.Rounds, T: res.T,
		Explanations: res.Explanations, ElapsedMS: float64(res.Elapsed.Microseconds()) / 1000,
	}
	if rounds > 0 {
		rep.Rounds = rounds
	} else if limit == 0 && sc.Deadline != nil {
		rep.Rounds = sc.Deadline.Rounds
	}
	if limit > 0 {
		rep.Time = limit.String()
	} else if rounds == 0 && sc.Deadline != nil && sc.Deadline.Seconds > 0 {
		rep.Time = (time.Duration(sc.Deadline.Seconds * float64(time.Second))).String()
	}
	partyName := func(i int) string {
		if i == negotiation.MediatorParty {
			for _, p := range sc.Parties {
				if p.Role == scenario.Mediator {
					return p.Name
				}
			}
			return "mediator"
		}
		return profiles[i].Name
	}
	if res.Status == negotiation.Ended || res.Status == negotiation.Failed {
		rep.EndedBy = partyName(res.Party)
	}
	if res.Err != nil {
		rep.Error = res.Err.Error()
		if res.Status == negotiation.Failed {
			rep.failure = res.Err
		}
	}
	for i := range sc.Issues {
		rep.Issues = append(rep.Issues, sc.Issues[i].Name)
	}
	// Utilities: of the agreement, or each party's disagreement value.
	an, aerr := analysis.Analyze(sc, analysis.Options{})
	us := make([]float64, len(profiles))
	for i, p := range profiles {
		lo, hi := p.Func.Range()
		d := lo
		if p.HasReservation {
			d = math.Max(p.Reservation, lo)
		}
		pr := runParticipant{Name: p.Name, Agent: names[i]}
		if p.HasReservation {
			r := p.Reservation
			pr.Reservation = &r
		}
		if res.Status == negotiation.Agreement {
			pr.Utility = p.Func.Utility(res.Agreement)
			pr.Discounted = p.At(res.Agreement, res.T)
		} else {
			pr.Utility, pr.Discounted = d, d
		}
		if hi > d {
			pr.Advantage = (pr.Utility - d) / (hi - d)
		}
		us[i] = pr.Utility
		rep.Welfare += pr.Utility
		rep.Participants = append(rep.Participants, pr)
	}
	if res.Status == negotiation.Agreement {
		rep.Agreement = space.Labels(sc, res.Agreement)
		rep.AgreedRound = res.AgreedRound + 1
	}
	if aerr != nil {
		rep.Analysis = "no Pareto or Nash distance: " + aerr.Error()
	} else if len(an.Pareto) > 0 {
		pd, nd := nearest(us, an.Pareto), nearest(us, an.Nash)
		rep.ParetoDist, rep.NashDist = &pd, &nd
	} else {
		rep.Analysis = "no outcome is rational for every participant: no Pareto frontier or Nash point"
	}
	for _, e := range res.Trace {
		ev := runEvent{Round: e.Round, T: e.T, Party: partyName(e.Party), Action: string(e.Action), Utilities: e.Utilities, Explanation: e.Explanation}
		if e.Outcome != nil {
			ev.Outcome = space.Labels(sc, e.Outcome)
			if !math.IsNaN(e.Utility) {
				u := e.Utility
				ev.Utility = &u
			}
		}
		if e.Blocking >= 0 {
			ev.Blocking = sc.Issues[e.Blocking].Name
		}
		rep.Trace = append(rep.Trace, ev)
	}
	return rep, nil
}

// nearest returns the Euclidean distance from u to the closest point.
func nearest(u []float64, pts []analysis.Point) float64 {
	best := math.Inf(1)
	for _, p := range pts {
		s := 0.0
		for i, x := range p.Utilities {
			s += (x - u[i]) * (x - u[i])
		}
		best = math.Min(best, math.Sqrt(s))
	}
	return best
}

func writeRunReport(w io.Writer, rep *runReport, f runFlags) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("Scenario:  %s\n", rep.Scenario)
	p("Protocol:  %s   seed %d", rep.Protocol, rep.Seed)
	if rep.Rounds > 0 {
		p("   deadline %d rounds", rep.Rounds)
	}
	if rep.Time != "" {
		p("   deadline %s", rep.Time)
	}
	p("\n")
	switch rep.Status {
	case "agreement":
		if rep.AgreedRound != rep.RoundsUsed {
			p("Result:    agreement on the text accepted in round %d (the session ran %d rounds)\n", rep.AgreedRound, rep.RoundsUsed)
		} else {
			p("Result:    agreement in round %d (t = %.3f)\n", rep.RoundsUsed, rep.T)
		}
	case "ended":
		p("Result:    ended by %s in round %d (t = %.3f), no agreement\n", rep.EndedBy, rep.RoundsUsed, rep.T)
	case "failed":
		when := fmt.Sprintf("in round %d", rep.RoundsUsed)
		if rep.RoundsUsed == 0 {
			when = "before the first round"
		}
		p("Result:    failed %s, blaming %s: %s\n", when, rep.EndedBy, rep.Error)
	default:
		p("Result:    %s after %d rounds, no agreement\n", rep.Status, rep.RoundsUsed)
	}
	if len(rep.Explanations) > 0 {
		p("\nMediator's explanations\n")
		n := len(rep.Explanations)
		for i, e := range rep.Explanations {
			if n > 8 && !f.trace && i >= 4 && i < n-3 {
				if i == 4 {
					p("  … %d more (--trace or --json shows every one)\n", n-7)
				}
				continue
			}
			p("  %d. %s\n", i+1, e)
		}
	}
	if rep.Agreement != nil {
		p("\nAgreement\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, is := range rep.Issues {
			fmt.Fprintf(tw, "  %s:\t%s\n", is, rep.Agreement[is])
		}
		tw.Flush()
	}
	p("\nParticipants (analyst's view: every participant's private values)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  party\tagent\tutility\tdiscounted\treservation\tadvantage")
	for _, pr := range rep.Participants {
		res := "none"
		if pr.Reservation != nil {
			res = fmt.Sprintf("%.4f", *pr.Reservation)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%.4f\t%.4f\t%s\t%.4f\n", pr.Name, pr.Agent, pr.Utility, pr.Discounted, res, pr.Advantage)
	}
	tw.Flush()
	p("\nWelfare:                     %.4f\n", rep.Welfare)
	if rep.ParetoDist != nil {
		p("Distance to Pareto frontier: %.4f\n", *rep.ParetoDist)
		p("Distance to Nash point:      %.4f\n", *rep.NashDist)
	}
	if rep.Analysis != "" {
		p("Note: %s\n", rep.Analysis)
	}
	if f.trace {
		p("\nTrace\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  round\tt\tparty\taction\tutility\toutcome")
		for _, e := range rep.Trace {
			u := ""
			if e.Utility != nil {
				u = fmt.Sprintf("%.4f", *e.Utility)
			}
			if len(e.Utilities) > 0 {
				parts := make([]string, len(e.Utilities))
				for i, x := range e.Utilities {
					parts[i] = fmt.Sprintf("%.3f", x)
				}
				u += " [" + strings.Join(parts, " ") + "]"
			}
			out := ""
			if e.Outcome != nil {
				vals := make([]string, 0, len(rep.Issues))
				for _, is := range rep.Issues {
					vals = append(vals, is+"="+e.Outcome[is])
				}
				out = strings.Join(vals, ", ")
			}
			if e.Blocking != "" {
				out += "  (blocked by " + e.Blocking + ")"
			}
			fmt.Fprintf(tw, "  %d\t%.3f\t%s\t%s\t%s\t%s\n", e.Round, e.T, e.Party, e.Action, u, out)
		}
		tw.Flush()
	}
	return nil
}
