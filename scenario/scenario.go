// Package scenario is Parley's model of a negotiation: its issues, its parties
// and their roles, and each party's confidential preferences. It reads and
// checks scenario files in YAML or JSON (one schema for both).
//
// The types here are the file schema: their field tags are the names used in
// files. A Scenario returned by Load or Parse has passed Validate.
package scenario

import (
	"math"
	"strconv"
)

// Scenario is one negotiation: what is negotiated, by whom, and what each
// party wants. Preferences, reservation values and discount factors are
// confidential to their party (and to a trusted mediator); everything else
// is public.
type Scenario struct {
	Name        string    `yaml:"name" json:"name"`
	Description string    `yaml:"description,omitempty" json:"description,omitempty"`
	Sources     []string  `yaml:"sources,omitempty" json:"sources,omitempty"`
	Issues      []Issue   `yaml:"issues" json:"issues"`
	Parties     []Party   `yaml:"parties" json:"parties"`
	Deadline    *Deadline `yaml:"deadline,omitempty" json:"deadline,omitempty"`

	// File is the path the scenario was read from, if any. It is not part of
	// the file schema.
	File string `yaml:"-" json:"-"`
}

// IssueType is the kind of an issue's value set.
type IssueType string

// Issue types.
const (
	Categorical IssueType = "categorical" // a list of named values
	Integer     IssueType = "integer"     // every integer from min to max
	Real        IssueType = "real"        // an interval, on a grid of steps points where a finite set is needed
)

// DefaultSteps is the number of grid points of a real issue that gives none.
const DefaultSteps = 11

// Issue is one thing to agree on.
type Issue struct {
	Name        string    `yaml:"name" json:"name"`
	Type        IssueType `yaml:"type" json:"type"`
	Description string    `yaml:"description,omitempty" json:"description,omitempty"`
	// Values are the options of a categorical issue, in order.
	Values []string `yaml:"values,omitempty" json:"values,omitempty"`
	// Ordered says the categorical values lie on a line, in the order given
	// (at positions 0, 1, 2, … unless Positions says otherwise).
	Ordered bool `yaml:"ordered,omitempty" json:"ordered,omitempty"`
	// Positions are explicit positions of ordered categorical values.
	Positions []float64 `yaml:"positions,omitempty" json:"positions,omitempty"`
	// Min and Max bound integer and real issues (both included).
	Min *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max *float64 `yaml:"max,omitempty" json:"max,omitempty"`
	// Steps is the number of grid points of a real issue (both bounds
	// included); 0 means DefaultSteps.
	Steps int `yaml:"steps,omitempty" json:"steps,omitempty"`
}

// Cardinality is the number of values of the issue in the finite outcome
// space (a real issue's grid points). It is 0 for an invalid issue.
func (is *Issue) Cardinality() int {
	switch is.Type {
	case Categorical:
		return len(is.Values)
	case Integer:
		if is.Min == nil || is.Max == nil || *is.Max < *is.Min {
			return 0
		}
		n := *is.Max - *is.Min + 1
		if n > math.MaxInt32 {
			return 0
		}
		return int(n)
	case Real:
		if is.Min == nil || is.Max == nil || *is.Max < *is.Min {
			return 0
		}
		if *is.Max == *is.Min {
			return 1
		}
		return is.steps()
	}
	return 0
}

func (is *Issue) steps() int {
	if is.Steps == 0 {
		return DefaultSteps
	}
	return is.Steps
}

// Numeric reports whether the issue's values are numbers (integer or real).
func (is *Issue) Numeric() bool { return is.Type == Integer || is.Type == Real }

// HasPositions reports whether every value of the issue has a position on a
// line: numeric issues and ordered categorical ones.
func (is *Issue) HasPositions() bool { return is.Numeric() || (is.Type == Categorical && is.Ordered) }

// Number returns the position of value i: the number itself for numeric
// issues, the explicit or implicit (0, 1, 2, …) position for ordered
// categorical ones, and i for unordered ones.
func (is *Issue) Number(i int) float64 {
	switch is.Type {
	case Integer:
		return *is.Min + float64(i)
	case Real:
		n := is.Cardinality()
		if n <= 1 {
			return *is.Min
		}
		if i == n-1 {
			return *is.Max
		}
		return *is.Min + (*is.Max-*is.Min)*float64(i)/float64(n-1)
	default:
		if i < len(is.Positions) {
			return is.Positions[i]
		}
		return float64(i)
	}
}

// Label returns value i as text: the categorical value, or the number
// formatted as briefly as it reads back exactly.
func (is *Issue) Label(i int) string {
	if is.Type == Categorical {
		return is.Values[i]
	}
	return strconv.FormatFloat(is.Number(i), 'g', -1, 64)
}

// Index returns the index of the value written as label, and whether there is
// one. Numeric labels are compared as numbers.
func (is *Issue) Index(label string) (int, bool) {
	if is.Type == Categorical {
		for i, v := range is.Values {
			if v == label {
				return i, true
			}
		}
		return 0, false
	}
	x, err := strconv.ParseFloat(label, 64)
	if err != nil {
		return 0, false
	}
	return is.IndexOfNumber(x)
}

// IndexOfNumber returns the index of the value equal to x in a numeric issue.
func (is *Issue) IndexOfNumber(x float64) (int, bool) {
	n := is.Cardinality()
	if n == 0 || !is.Numeric() || x < *is.Min || x > *is.Max {
		return 0, false
	}
	if is.Type == Integer {
		if x != math.Trunc(x) {
			return 0, false
		}
		return int(x - *is.Min), true
	}
	if n == 1 {
		return 0, x == *is.Min
	}
	k := int(math.Round((x - *is.Min) / (*is.Max - *is.Min) * float64(n-1)))
	for _, j := range []int{k - 1, k, k + 1} {
		if j >= 0 && j < n && is.Number(j) == x {
			return j, true
		}
	}
	return 0, false
}

// PositionRange returns the smallest and largest positions of the issue's
// values (see Number).
func (is *Issue) PositionRange() (lo, hi float64) {
	n := is.Cardinality()
	if n == 0 {
		return 0, 0
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	if is.Numeric() {
		return is.Number(0), is.Number(n - 1)
	}
	for i := 0; i < n; i++ {
		x := is.Number(i)
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

// Role is what a party does in a negotiation.
type Role string

// Roles.
const (
	Participant Role = "participant" // negotiates for itself; must agree to any deal
	Mediator    Role = "mediator"    // the broker: proposes, sees participants' preferences if trusted; no preferences unless given
	Observer    Role = "observer"    // sees the public record only
)

// Party is one side at the table.
type Party struct {
	Name        string `yaml:"name" json:"name"`
	Role        Role   `yaml:"role" json:"role"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Capability is the party's clout (any non-negative scale), used by
	// forecasting.
	Capability *float64 `yaml:"capability,omitempty" json:"capability,omitempty"`
	// Reservation is the party's walk-away utility: it accepts no deal worth
	// less. Absent means the party has none (any deal beats no deal).
	Reservation *float64 `yaml:"reservation,omitempty" json:"reservation,omitempty"`
	// Discount is a factor d in (0, 1]: a utility u reached at relative time
	// t ∈ [0, 1] is worth u·d^t. Absent means 1 (no discount).
	Discount *float64 `yaml:"discount,omitempty" json:"discount,omitempty"`
	// Preferences are the party's private utility function.
	Preferences *Preferences `yaml:"preferences,omitempty" json:"preferences,omitempty"`
}

// Participants returns the indices of the parties whose role is participant,
// in file order.
func (s *Scenario) Participants() []int {
	var idx []int
	for i, p := range s.Parties {
		if p.Role == Participant {
			idx = append(idx, i)
		}
	}
	return idx
}

// Party returns the party with the given name, or nil.
func (s *Scenario) Party(name string) *Party {
	for i := range s.Parties {
		if s.Parties[i].Name == name {
			return &s.Parties[i]
		}
	}
	return nil
}

// IssueIndex returns the index of the named issue, or -1.
func (s *Scenario) IssueIndex(name string) int {
	for i := range s.Issues {
		if s.Issues[i].Name == name {
			return i
		}
	}
	return -1
}

// Deadline limits a negotiation in rounds, in seconds, or both (whichever
// comes first).
type Deadline struct {
	Rounds  int     `yaml:"rounds,omitempty" json:"rounds,omitempty"`
	Seconds float64 `yaml:"seconds,omitempty" json:"seconds,omitempty"`
}

// Preferences is a party's utility function over outcomes. Exactly one kind
// is set.
type Preferences struct {
	Linear      *Linear      `yaml:"linear,omitempty" json:"linear,omitempty"`
	Table       *Table       `yaml:"table,omitempty" json:"table,omitempty"`
	Constraints *Constraints `yaml:"constraints,omitempty" json:"constraints,omitempty"`
	Spatial     *Spatial     `yaml:"spatial,omitempty" json:"spatial,omitempty"`
}

// Kind names the kind of preferences that is set ("linear", "table",
// "constraints" or "spatial"), or "" if none.
func (p *Preferences) Kind() string {
	switch {
	case p == nil:
		return ""
	case p.Linear != nil:
		return "linear"
	case p.Table != nil:
		return "table"
	case p.Constraints != nil:
		return "constraints"
	case p.Spatial != nil:
		return "spatial"
	}
	return ""
}

// Linear is a linear additive utility: u(o) = Σ_issues weight·v(o_issue).
// Issues not listed do not matter to the party (weight 0). Weights are used
// as given, not normalised.
type Linear struct {
	Issues map[string]LinearIssue `yaml:"issues" json:"issues"`
}

// LinearIssue is one issue's weight and value utility. Categorical issues give
// Values (a utility per value, every value listed); numeric issues give a
// Function. When Scale is set, value utilities are divided by it: GENIUS
// profiles give raw evaluations whose utility is evaluation / (largest
// evaluation), and Scale keeps that division exact.
type LinearIssue struct {
	Weight   float64            `yaml:"weight" json:"weight"`
	Values   map[string]float64 `yaml:"values,omitempty" json:"values,omitempty"`
	Function *ValueFunction     `yaml:"function,omitempty" json:"function,omitempty"`
	Scale    *float64           `yaml:"scale,omitempty" json:"scale,omitempty"`
}

// Value function shapes.
const (
	ShapeLinear     = "linear"     // from AtMin at the issue's min to AtMax at its max
	ShapeTriangular = "triangular" // AtMin at min, AtPeak (default 1) at Peak, AtMax at max
	ShapePiecewise  = "piecewise"  // through Points, constant beyond the first and last
)

// ValueFunction is the value utility of a numeric issue: a piecewise-linear
// function of the number.
type ValueFunction struct {
	Shape  string       `yaml:"shape" json:"shape"`
	AtMin  *float64     `yaml:"at_min,omitempty" json:"at_min,omitempty"`
	AtMax  *float64     `yaml:"at_max,omitempty" json:"at_max,omitempty"`
	Peak   *float64     `yaml:"peak,omitempty" json:"peak,omitempty"`
	AtPeak *float64     `yaml:"at_peak,omitempty" json:"at_peak,omitempty"`
	Points [][2]float64 `yaml:"points,omitempty" json:"points,omitempty"`
}

// Table gives a utility per outcome, for small spaces.
type Table struct {
	// Default is the utility of outcomes not listed; absent means every
	// outcome must be listed.
	Default  *float64     `yaml:"default,omitempty" json:"default,omitempty"`
	Outcomes []TableEntry `yaml:"outcomes" json:"outcomes"`
}

// TableEntry is one outcome and its utility.
type TableEntry struct {
	Outcome map[string]string `yaml:"outcome" json:"outcome"`
	Utility float64           `yaml:"utility" json:"utility"`
}

// Constraints is a non-linear utility as in ANAC 2014: the sum of the
// utilities of the rules (hyper-rectangles) an outcome satisfies, divided by
// Scale. An outcome satisfies a rule when it meets every Includes condition
// and none of the Excludes conditions.
type Constraints struct {
	// Scale divides the sum (GENIUS's maxutility); absent means 1.
	Scale *float64 `yaml:"scale,omitempty" json:"scale,omitempty"`
	// Cap, when set, caps the utility: u = min(cap, sum / scale). GENIUS
	// caps non-linear utilities at 1.
	Cap   *float64 `yaml:"cap,omitempty" json:"cap,omitempty"`
	Rules []Rule   `yaml:"rules" json:"rules"`
}

// Rule is one hyper-rectangle with its utility.
type Rule struct {
	Utility  float64     `yaml:"utility" json:"utility"`
	Includes []Condition `yaml:"includes,omitempty" json:"includes,omitempty"`
	Excludes []Condition `yaml:"excludes,omitempty" json:"excludes,omitempty"`
}

// Condition holds when the issue's value lies in [Min, Max] (numeric issues,
// bounds included) or is one of Values.
type Condition struct {
	Issue  string   `yaml:"issue" json:"issue"`
	Min    *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max    *float64 `yaml:"max,omitempty" json:"max,omitempty"`
	Values []string `yaml:"values,omitempty" json:"values,omitempty"`
}

// Spatial is a utility that falls with distance from an ideal point:
// u(o) = 1 − Σ_i w_i·|x_i − ideal_i| / (hi_i − lo_i), with w_i = salience_i /
// Σ salience and [lo_i, hi_i] the issue's position range. Only numeric and
// ordered categorical issues can be listed; unlisted issues do not matter.
type Spatial struct {
	Issues map[string]SpatialIssue `yaml:"issues" json:"issues"`
}

// SpatialIssue is a party's ideal point and salience on one issue. Ideal is a
// number for numeric issues and a value (or a position number) for ordered
// categorical ones.
type SpatialIssue struct {
	Ideal    string  `yaml:"ideal" json:"ideal"`
	Salience float64 `yaml:"salience" json:"salience"`
}

// IdealPosition returns the position of the ideal point on issue is.
func (si SpatialIssue) IdealPosition(is *Issue) (float64, bool) {
	if is.Type == Categorical {
		if i, ok := is.Index(si.Ideal); ok {
			return is.Number(i), true
		}
	}
	x, err := strconv.ParseFloat(si.Ideal, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	return x, true
}
