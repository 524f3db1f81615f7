package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"parley/load"
)

func init() { register(newValidateCmd) }

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files (Parley, GENIUS or GeniusWeb) and report every problem with file:line:column",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, path := range args {
				if _, err := load.Load(path, load.Options{}); err != nil {
					bad++
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", path)
			}
			if bad > 0 {
				return &exitError{code: ExitBadInput, msg: fmt.Sprintf("%d of %d files invalid", bad, len(args))}
			}
			return nil
		},
	}
}
