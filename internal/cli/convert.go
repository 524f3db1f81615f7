package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"parley"
	"parley/genius"
	"parley/geniusweb"
	"parley/load"
	"parley/scenario"
)

func init() { register(newConvertCmd) }

// Output formats of convert.
const (
	toParleyYAML = "parley-yaml"
	toParleyJSON = "parley-json"
	toGenius     = "genius"
	toGeniusWeb  = "geniusweb"
)

func newConvertCmd() *cobra.Command {
	var out, to, format string
	var raw bool
	var steps int
	cmd := &cobra.Command{
		Use:   "convert IN... -o OUT",
		Short: "Convert a scenario between Parley YAML/JSON, GENIUS XML and GeniusWeb JSON",
		Long: `convert reads a scenario in any format Parley knows and writes it in another.

IN is a Parley file, a GENIUS folder, a GeniusWeb folder, or the explicit files
of a GENIUS or GeniusWeb scenario (a domain file and its profiles); the format
is detected from the content unless --format forces it.

OUT is a file for parley-yaml and parley-json ("-" for standard output) and a
folder for genius and geniusweb (created if needed). --to defaults from OUT's
extension: .yaml/.yml for parley-yaml, .json for parley-json.

GENIUS and GeniusWeb hold linear additive preferences only; what each format
cannot hold is reported as a warning on standard error (see docs/formats.md).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{fmt.Errorf("give the output with -o OUT")}
			}
			f, err := load.ParseFormat(format)
			if err != nil {
				return usageError{err}
			}
			if to == "" {
				switch strings.ToLower(filepath.Ext(out)) {
				case ".yaml", ".yml":
					to = toParleyYAML
				case ".json":
					to = toParleyJSON
				default:
					return usageError{fmt.Errorf("cannot tell the output format from %q: give --to %s, %s, %s or %s", out, toParleyYAML, toParleyJSON, toGenius, toGeniusWeb)}
				}
			}
			warn := func(msg string) { fmt.Fprintln(cmd.ErrOrStderr(), "parley: warning:", msg) }
			sc, err := load.LoadFiles(args, load.Options{Format: f, Raw: raw, RealSteps: steps, Warn: warn})
			if err != nil {
				return err
			}
			switch to {
			case toParleyYAML, toParleyJSON:
				return writeParley(cmd, sc, out, to)
			case toGenius:
				return genius.WriteDir(sc, out, warn)
			case toGeniusWeb:
				return geniusweb.WriteDir(sc, out, warn)
			}
			return usageError{fmt.Errorf("unknown --to %q: want %s, %s, %s or %s", to, toParleyYAML, toParleyJSON, toGenius, toGeniusWeb)}
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "output file (parley-yaml, parley-json; - for standard output) or folder (genius, geniusweb)")
	cmd.Flags().StringVar(&to, "to", "", "output format: parley-yaml, parley-json, genius or geniusweb (default from OUT's extension)")
	cmd.Flags().StringVar(&format, "format", "auto", "input format: auto, parley, genius or geniusweb")
	cmd.Flags().BoolVar(&raw, "raw", false, "GENIUS input: keep discrete evaluations unnormalised (as NegMAS), not divided by the issue's largest")
	cmd.Flags().IntVar(&steps, "real-steps", 0, fmt.Sprintf("GENIUS input: grid points of real issues (default %d)", scenario.DefaultSteps))
	return cmd
}

// writeParley writes sc as a Parley YAML or JSON file, or to standard output
// for "-".
func writeParley(cmd *cobra.Command, sc *scenario.Scenario, out, to string) error {
	var data []byte
	var err error
	if to == toParleyJSON {
		data, err = json.MarshalIndent(sc, "", "  ")
		data = append(data, '\n')
	} else {
		data, err = yaml.Marshal(sc)
	}
	if err != nil {
		return parley.Errorf(parley.EINTERNAL, "encode scenario: %v", err)
	}
	if out == "-" {
		_, err = cmd.OutOrStdout().Write(data)
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("write scenario: %w", err)
	}
	return nil
}
