package natsqueue

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"parley"
	"parley/scenario"
	"parley/tournament"
)

// Tournament is a plan as the queue knows it.
type Tournament struct {
	// Fingerprint is Plan.Fingerprint: it names the tournament's jobs,
	// results and bundle.
	Fingerprint string
	// Plan runs the negotiations. Rebuilt from a bundle, its configuration
	// lists the bundled scenarios instead of the submitter's files.
	Plan *tournament.Plan
	// Config is the configuration as submitted, written to tournament.json.
	Config *tournament.Config
}

// FromPlan describes a plan made by this process.
func FromPlan(p *tournament.Plan) *Tournament {
	return &Tournament{Fingerprint: p.Fingerprint(), Plan: p, Config: p.Config}
}

// bundle is what a worker needs to rebuild a plan: the configuration and
// the content of every scenario.
type bundle struct {
	Fingerprint string            `json:"fingerprint"`
	Config      json.RawMessage   `json:"config"`
	Scenarios   []bundledScenario `json:"scenarios"`
}

type bundledScenario struct {
	ID string `json:"id"`
	// Path is where the submitter read it.
	Path string `json:"path"`
	// Scenario is its JSON form, whose hash is the entry's digest.
	Scenario json.RawMessage `json:"scenario"`
}

func (t *Tournament) bundle() ([]byte, error) {
	cfg, err := json.Marshal(t.Config)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: config: %w", t.Fingerprint, err)
	}
	b := bundle{Fingerprint: t.Fingerprint, Config: cfg}
	for _, e := range t.Plan.Entries {
		sc, err := json.Marshal(e.Scenario)
		if err != nil {
			return nil, fmt.Errorf("bundle %s: scenario %q: %w", t.Fingerprint, e.ID, err)
		}
		b.Scenarios = append(b.Scenarios, bundledScenario{ID: e.ID, Path: e.Path, Scenario: sc})
	}
	data, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", t.Fingerprint, err)
	}
	return data, nil
}

// openBundle rebuilds a tournament from its bundle. The plan's
// configuration names each scenario by its submitter's path with its id,
// and a loader returns the bundled content, so entries keep their ids,
// paths and digests, and the plan its fingerprint (checked).
func openBundle(data []byte) (*Tournament, error) {
	var b bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, parley.Errorf(parley.EINVALID, "tournament bundle: %v", err)
	}
	var submitted, run tournament.Config
	if err := json.Unmarshal(b.Config, &submitted); err != nil {
		return nil, parley.Errorf(parley.EINVALID, "tournament bundle %s: config: %v", b.Fingerprint, err)
	}
	if err := json.Unmarshal(b.Config, &run); err != nil {
		return nil, parley.Errorf(parley.EINVALID, "tournament bundle %s: config: %v", b.Fingerprint, err)
	}
	run.Scenarios, run.Dir, run.File = nil, "", "bundle "+b.Fingerprint
	content := map[string]bundledScenario{}
	for _, s := range b.Scenarios {
		path := s.Path
		if path == "" || strings.ContainsAny(path, `*?[\`) {
			path = "bundle:" + s.ID // a path the plan must not read as a glob
		}
		if _, dup := content[path]; dup {
			return nil, parley.Errorf(parley.EINVALID, "tournament bundle %s: scenario path %q twice", b.Fingerprint, path)
		}
		content[path] = s
		run.Scenarios = append(run.Scenarios, tournament.ScenarioSpec{Path: path, ID: s.ID})
	}
	// Scenarios are decoded with encoding/json, the inverse of the
	// json.Marshal that bundled them and several times faster than
	// scenario.Parse; if that fails, or the plan it makes has another
	// fingerprint, they are parsed as the submitter's files are.
	plan, err := bundlePlan(&run, content, decodeScenario)
	if err != nil || plan.Fingerprint() != b.Fingerprint {
		plan, err = bundlePlan(&run, content, scenario.Parse)
	}
	if err != nil {
		return nil, fmt.Errorf("tournament bundle %s: %w", b.Fingerprint, err)
	}
	if fp := plan.Fingerprint(); fp != b.Fingerprint {
		return nil, parley.Errorf(parley.ECONFLICT, "tournament bundle %s rebuilds a plan with fingerprint %s: this worker's Parley differs from the submitter's", b.Fingerprint, fp)
	}
	submitted.File = ""
	return &Tournament{Fingerprint: b.Fingerprint, Plan: plan, Config: &submitted}, nil
}

// bundlePlan makes the plan of cfg, whose scenarios are bundled in content by
// path, decoded with parse.
func bundlePlan(cfg *tournament.Config, content map[string]bundledScenario, parse func(data []byte, name string) (*scenario.Scenario, error)) (*tournament.Plan, error) {
	load := func(path string) (*scenario.Scenario, error) {
		s, ok := content[path]
		if !ok {
			return nil, parley.Errorf(parley.ENOTFOUND, "scenario %q is not in the bundle", path)
		}
		return parse(s.Scenario, s.ID+".json")
	}
	c := *cfg // NewPlan may fill in defaults: each call starts from the bundle's
	return tournament.NewPlan(&c, load)
}

// decodeScenario decodes a bundled scenario (the JSON form of a parsed one)
// and validates it.
func decodeScenario(data []byte, name string) (*scenario.Scenario, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s scenario.Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, parley.Errorf(parley.EINVALID, "%s: %v", name, err)
	}
	s.File = name
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// putBundle stores the tournament's bundle under its fingerprint, with the
// sizes of jobs Submit chose by scenario (none with a fixed batch).
func (q *Queue) putBundle(ctx context.Context, t *Tournament, sizes map[string]int) error {
	data, err := t.bundle()
	if err != nil {
		return err
	}
	md, err := batchesMetadata(sizes)
	if err != nil {
		return fmt.Errorf("bundle %s: %w", t.Fingerprint, err)
	}
	meta := jetstream.ObjectMeta{Name: t.Fingerprint, Metadata: md}
	if _, err := q.bundles.Put(ctx, meta, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("store bundle %s: %w", t.Fingerprint, err)
	}
	return nil
}

// Load rebuilds the tournament with the given fingerprint from its bundle,
// as workers do.
func (q *Queue) Load(ctx context.Context, fingerprint string) (*Tournament, error) {
	if err := checkFingerprint(fingerprint); err != nil {
		return nil, err
	}
	data, err := q.bundles.GetBytes(ctx, fingerprint)
	if err != nil {
		if isNotFound(err) {
			return nil, parley.Errorf(parley.ENOTFOUND, "no tournament %s in the queue (its bundle is missing)", fingerprint)
		}
		return nil, fmt.Errorf("read bundle %s: %w", fingerprint, err)
	}
	return openBundle(data)
}
