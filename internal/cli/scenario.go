package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"parley/load"
	"parley/scenario"
)

// loadScenario reads the scenario at path for every command that takes one.
func loadScenario(path string) (*scenario.Scenario, error) {
	return load.Load(path, load.Options{})
}

// scenarioInput is the set of flags of commands that read one scenario
// from a Parley file, a GENIUS or GeniusWeb folder, or explicit files.
type scenarioInput struct {
	format string
	raw    bool
}

func (in *scenarioInput) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&in.format, "format", "", "force the input format: parley, genius or geniusweb (default: detected from the content)")
	cmd.Flags().BoolVar(&in.raw, "raw", false, "keep GENIUS discrete evaluations raw instead of dividing by the largest (as NegMAS does)")
}

// load reads the scenario named by args: one path (a file or a folder), or
// several files of one GENIUS or GeniusWeb scenario. Warnings go to stderr.
func (in *scenarioInput) load(cmd *cobra.Command, args []string) (*scenario.Scenario, error) {
	f, err := load.ParseFormat(in.format)
	if err != nil {
		return nil, usageError{err}
	}
	opts := load.Options{Format: f, Raw: in.raw, Warn: func(msg string) {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", msg)
	}}
	if len(args) == 1 {
		return load.Load(args[0], opts)
	}
	return load.LoadFiles(args, opts)
}
