package cli

import (
	"parley/load"
	"parley/scenario"
)

// loadScenario reads the scenario at path for every command that takes one.
func loadScenario(path string) (*scenario.Scenario, error) {
	return load.Load(path, load.Options{})
}
