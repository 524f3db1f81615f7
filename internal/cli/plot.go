package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"parley/plot"
	"parley/tournament"
)

func init() { register(newPlotCmd) }

func newPlotCmd() *cobra.Command {
	var out, rankBy string
	cmd := &cobra.Command{
		Use:   "plot RESULTS_DIR",
		Short: "Draw a tournament's figures (scores with confidence intervals, agreement rates) as SVG and PNG",
		Long: `plot reads the results folder of a tournament (parley tournament --out DIR)
and writes its figures, as SVG and PNG, to --out (default DIR/figures):
each score per competitor with 95% confidence intervals, and the agreement
rate per scenario. For one negotiation's utility space, see
'parley tournament replay --plot FILE'.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				out = filepath.Join(args[0], "figures")
			}
			sc, err := tournament.WriteScores(args[0], rankBy)
			if err != nil {
				return err
			}
			files, err := plot.TournamentFiles(out, sc)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), strings.Join(files, "\n"))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "figures folder (default RESULTS_DIR/figures)")
	cmd.Flags().StringVar(&rankBy, "rank-by", "", "score to rank competitors by")
	return cmd
}
