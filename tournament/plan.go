package tournament

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"parley"
	"parley/analysis"
	"parley/scenario"
	"parley/space"
	"parley/utility"
)

// Loader reads a scenario file or folder.
type Loader func(path string) (*scenario.Scenario, error)

// MaxJobs bounds the number of negotiations of one plan.
const MaxJobs = 1 << 40

// maxAssignments bounds the assignments of competitors to roles of one
// scenario size (they are held in memory).
const maxAssignments = 1 << 20

// Entry is one scenario of a plan, loaded, compiled and analysed once and
// shared read-only by every negotiation on it.
type Entry struct {
	// ID names the scenario in keys and results.
	ID string
	// Path is where it was read from.
	Path string
	// Scenario is the loaded scenario.
	Scenario *scenario.Scenario
	// Space is its outcome space.
	Space *space.Space
	// Profiles are the participants' profiles, in role order.
	Profiles []*utility.Profile
	// Analysis is the scenario's analysis (Pareto frontier, Nash point); nil
	// when the space is too large to analyse (AnalysisErr says why).
	Analysis    *analysis.Result
	AnalysisErr error
	// Disagreement and Best are each role's disagreement utility
	// max(reservation, worst) and best utility.
	Disagreement, Best []float64
	// Digest identifies the scenario's content (a hash of its JSON form), so
	// a changed file is not resumed or merged with results of the old one.
	Digest string

	assign [][]int // competitor indices per role, one slice per assignment
}

// Roles returns the number of roles (participants) of the scenario.
func (e *Entry) Roles() int { return len(e.Profiles) }

// Plan is a resolved tournament: its scenarios and the ordered list of its
// negotiations, computed on demand by Job.
type Plan struct {
	// Config is the configuration the plan was made from.
	Config *Config
	// Entries are the scenarios, in configuration order (globs sorted).
	Entries []*Entry
	// MaxRoles is the largest number of roles of any scenario: the number
	// of per-role column groups in results.
	MaxRoles int

	offsets []int64 // first job index of each entry; len(Entries)+1
}

// Job is one negotiation of a plan.
type Job struct {
	// Index is the job's position in the plan.
	Index int64
	// Key identifies the job; KeyString is Key.String().
	Key       Key
	KeyString string
	// Seed is DeriveSeed(Config.Seed, KeyString).
	Seed uint64

	entry  *Entry
	assign []int
}

// NewPlan resolves cfg: it expands the scenario globs, loads every scenario
// with load (scenario.Load when nil), analyses it, and lays out the
// negotiations. Scenario ids must be unique.
func NewPlan(cfg *Config, load Loader) (*Plan, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if load == nil {
		load = scenario.Load
	}
	paths, ids, err := resolveScenarios(cfg)
	if err != nil {
		return nil, err
	}
	p := &Plan{Config: cfg, offsets: []int64{0}}
	cache := map[int][][]int{}
	for i, path := range paths {
		e, err := newEntry(ids[i], path, load)
		if err != nil {
			return nil, err
		}
		n := e.Roles()
		if n > len(cfg.Competitors) && !cfg.SelfPlay {
			return nil, parley.Errorf(parley.EINVALID, "scenario %q has %d participants but there are %d competitors and self_play is off; add competitors or turn self_play on", e.ID, n, len(cfg.Competitors))
		}
		if _, ok := cache[n]; !ok {
			a, err := assignments(len(cfg.Competitors), n, cfg.SelfPlay, cfg.Rotate)
			if err != nil {
				return nil, fmt.Errorf("scenario %q: %w", e.ID, err)
			}
			cache[n] = a
		}
		e.assign = cache[n]
		p.Entries = append(p.Entries, e)
		p.MaxRoles = max(p.MaxRoles, n)
		jobs := int64(len(e.assign)) * int64(cfg.Repetitions)
		last := p.offsets[len(p.offsets)-1]
		if jobs > MaxJobs-last {
			return nil, parley.Errorf(parley.EUNSUPPORTED, "the plan has more than %d negotiations", int64(MaxJobs))
		}
		p.offsets = append(p.offsets, last+jobs)
	}
	return p, nil
}

// Len returns the number of negotiations in the plan.
func (p *Plan) Len() int64 { return p.offsets[len(p.offsets)-1] }

// Job returns the i-th negotiation of the plan (0 ≤ i < Len). Order:
// scenarios in plan order, then assignments of competitors to roles in
// lexicographic order of competitor positions, then repetitions.
func (p *Plan) Job(i int64) Job {
	s := sort.Search(len(p.Entries), func(k int) bool { return p.offsets[k+1] > i })
	e := p.Entries[s]
	rest := i - p.offsets[s]
	reps := int64(p.Config.Repetitions)
	a := e.assign[rest/reps]
	k := Key{Scenario: e.ID, Competitors: make([]string, len(a)), Repetition: int(rest % reps)}
	for r, c := range a {
		k.Competitors[r] = p.Config.Competitors[c].Name
	}
	ks := k.String()
	return Job{Index: i, Key: k, KeyString: ks, Seed: DeriveSeed(p.Config.Seed, ks), entry: e, assign: a}
}

// Lookup returns the job with the given key, for running one negotiation
// alone.
func (p *Plan) Lookup(key string) (Job, error) {
	k, err := ParseKey(key)
	if err != nil {
		return Job{}, err
	}
	for s, e := range p.Entries {
		if e.ID != k.Scenario {
			continue
		}
		if k.Repetition >= p.Config.Repetitions {
			return Job{}, parley.Errorf(parley.ENOTFOUND, "key %q: repetition %d, but the plan has %d", key, k.Repetition, p.Config.Repetitions)
		}
		for ai, a := range e.assign {
			if len(a) != len(k.Competitors) {
				break
			}
			match := true
			for r, c := range a {
				if p.Config.Competitors[c].Name != k.Competitors[r] {
					match = false
					break
				}
			}
			if match {
				return p.Job(p.offsets[s] + int64(ai)*int64(p.Config.Repetitions) + int64(k.Repetition)), nil
			}
		}
		return Job{}, parley.Errorf(parley.ENOTFOUND, "key %q: no such assignment of competitors to the %d roles of %q", key, e.Roles(), e.ID)
	}
	return Job{}, parley.Errorf(parley.ENOTFOUND, "key %q: no scenario %q in the plan", key, k.Scenario)
}

// Fingerprint identifies what the plan's results depend on: every field of
// the configuration but name and rank_by, and each scenario's id and
// content. Results with the same fingerprint can be resumed and merged.
func (p *Plan) Fingerprint() string {
	c := *p.Config
	c.Name, c.RankBy, c.Scenarios = "", "", nil
	ids := make([]string, len(p.Entries))
	for i, e := range p.Entries {
		ids[i] = e.ID + "@" + e.Digest
	}
	b, _ := json.Marshal(struct {
		Config    Config   `json:"config"`
		Scenarios []string `json:"scenarios"`
	}{c, ids})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// scenarioID derives an id from a path: the file or folder name without
// extension, with other characters than letters, digits, '_', '-' and '.'
// replaced by '-'.
func scenarioID(path string) string {
	base := filepath.Base(filepath.Clean(path))
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		base = strings.TrimSuffix(base, filepath.Ext(base))
	}
	id := strings.Trim(unsafeID.ReplaceAllString(base, "-"), "-.")
	if id == "" {
		id = "scenario"
	}
	return id
}

func resolveScenarios(cfg *Config) (paths, ids []string, err error) {
	byID := map[string]string{}
	for i, s := range cfg.Scenarios {
		path := s.Path
		if !filepath.IsAbs(path) && cfg.Dir != "" {
			path = filepath.Join(cfg.Dir, path)
		}
		var matches []string
		if isGlob(path) {
			matches, err = filepath.Glob(path)
			if err != nil {
				return nil, nil, parley.Errorf(parley.EINVALID, "scenarios[%d]: bad glob %q: %v", i, s.Path, err)
			}
			slices.Sort(matches)
		} else if _, err := os.Stat(path); err == nil || !s.Optional {
			matches = []string{path}
		}
		if len(matches) == 0 && !s.Optional {
			return nil, nil, parley.Errorf(parley.ENOTFOUND, "scenarios[%d]: %q matches nothing (mark it optional: true if that is fine)", i, s.Path)
		}
		for _, m := range matches {
			id := s.ID
			if id == "" {
				id = scenarioID(m)
			}
			if prev, dup := byID[id]; dup {
				return nil, nil, parley.Errorf(parley.EINVALID, "scenarios %q and %q have the same id %q; give one an id", prev, m, id)
			}
			byID[id] = m
			paths, ids = append(paths, m), append(ids, id)
		}
	}
	if len(paths) == 0 {
		return nil, nil, parley.Errorf(parley.EINVALID, "no scenarios found")
	}
	return paths, ids, nil
}

func newEntry(id, path string, load Loader) (*Entry, error) {
	sc, err := load(path)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: %w", id, err)
	}
	sp, err := space.Of(sc)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: %w", id, err)
	}
	profiles, err := utility.Participants(sc)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: %w", id, err)
	}
	if len(profiles) < 2 {
		return nil, parley.Errorf(parley.EINVALID, "scenario %q has %d participants; a negotiation needs at least 2", id, len(profiles))
	}
	data, err := json.Marshal(sc)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: %w", id, err)
	}
	digest := sha256.Sum256(data)
	e := &Entry{ID: id, Path: path, Scenario: sc, Space: sp, Profiles: profiles, Digest: hex.EncodeToString(digest[:8])}
	for _, pr := range profiles {
		lo, hi := pr.Func.Range()
		d := lo
		if pr.HasReservation {
			d = math.Max(pr.Reservation, lo)
		}
		e.Disagreement = append(e.Disagreement, d)
		e.Best = append(e.Best, hi)
	}
	e.Analysis, e.AnalysisErr = analysis.AnalyzeProfiles(sp, profiles, analysis.Options{})
	if e.AnalysisErr != nil && parley.ErrorCode(e.AnalysisErr) != parley.EUNSUPPORTED {
		return nil, fmt.Errorf("scenario %q: %w", id, e.AnalysisErr)
	}
	return e, nil
}

// assignments lists the assignments of c competitors to n roles in
// lexicographic order: every n-tuple (rotate and selfPlay), every tuple of
// distinct competitors (rotate), every non-decreasing tuple (selfPlay) or
// every increasing one (neither).
func assignments(c, n int, selfPlay, rotate bool) ([][]int, error) {
	var out [][]int
	t := make([]int, n)
	var rec func(pos int) error
	rec = func(pos int) error {
		if pos == n {
			if len(out) >= maxAssignments {
				return parley.Errorf(parley.EUNSUPPORTED, "more than %d assignments of %d competitors to %d roles", maxAssignments, c, n)
			}
			out = append(out, slices.Clone(t))
			return nil
		}
		for x := 0; x < c; x++ {
			if pos > 0 && !rotate && (x < t[pos-1] || (x == t[pos-1] && !selfPlay)) {
				continue
			}
			if !selfPlay && slices.Contains(t[:pos], x) {
				continue
			}
			t[pos] = x
			if err := rec(pos + 1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := rec(0); err != nil {
		return nil, err
	}
	return out, nil
}
