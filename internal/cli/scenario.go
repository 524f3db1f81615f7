package cli

import "parley/scenario"

// loadScenario reads the scenario at path for every command that takes one.
func loadScenario(path string) (*scenario.Scenario, error) {
	return scenario.Load(path)
}
