package tournament

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"parley"
)

// ManifestFile is the name of the manifest in a tournament folder.
const ManifestFile = "tournament.json"

// Manifest describes a results folder: which plan and shard its results
// belong to, so a restart can resume them and merge can check them.
type Manifest struct {
	// Fingerprint is Plan.Fingerprint of the plan run.
	Fingerprint string `json:"fingerprint"`
	// Shard is "k/n", or "all".
	Shard string `json:"shard"`
	// Jobs is the number of negotiations of the shard; Done how many are in
	// results.csv.
	Jobs int64 `json:"jobs"`
	Done int64 `json:"done"`
	// Complete is true once every negotiation of the shard is written.
	Complete bool `json:"complete"`
	// MaxRoles is the number of per-role column groups of results.csv.
	MaxRoles int `json:"max_roles"`
	// Scenarios lists the scenario ids and paths.
	Scenarios []ManifestScenario `json:"scenarios"`
	// Config is the configuration run.
	Config *Config `json:"config"`
}

// ManifestScenario is one scenario of a manifest.
type ManifestScenario struct {
	ID   string `json:"id"`
	Path string `json:"path"`
}

// newManifest describes a run of shard of p.
func newManifest(p *Plan, shard Shard, jobs int64) *Manifest {
	m := &Manifest{Fingerprint: p.Fingerprint(), Shard: shard.String(), Jobs: jobs, MaxRoles: p.MaxRoles, Config: p.Config}
	for _, e := range p.Entries {
		m.Scenarios = append(m.Scenarios, ManifestScenario{ID: e.ID, Path: e.Path})
	}
	return m
}

// ReadManifest reads the manifest of a tournament folder.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, parley.Errorf(parley.ENOTFOUND, "%s: no tournament results here (%s missing)", dir, ManifestFile)
		}
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, parley.Errorf(parley.EINVALID, "%s: %v", path, err)
	}
	return &m, nil
}

// write replaces the manifest atomically.
func (m *Manifest) write(dir string) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	tmp := filepath.Join(dir, ManifestFile+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, ManifestFile)); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}
