package cli

import (
	"bufio"
	"encoding/csv"
	"strconv"

	"github.com/spf13/cobra"

	"parley"
	"parley/space"
	"parley/utility"
)

func init() { register(newOutcomesCmd) }

func newOutcomesCmd() *cobra.Command {
	var in scenarioInput
	cmd := &cobra.Command{
		Use:   "outcomes PATH | FILE...",
		Short: "Write every outcome with every participant's utility as CSV",
		Long: `outcomes writes one CSV row per outcome of the scenario's space (real issues on
their grid): a column per issue with its value, then a column per participant
with its utility. For spreadsheets, plots and independent checks.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := in.load(cmd, args)
			if err != nil {
				return err
			}
			profiles, err := utility.Participants(sc)
			if err != nil {
				return err
			}
			sp, err := space.Of(sc)
			if err != nil {
				return err
			}
			if n, ok := sp.Len(); !ok || n > 100_000_000 {
				return parley.Errorf(parley.EUNSUPPORTED, "the space has %s outcomes: too many to list (at most 100,000,000)", sp.BigLen())
			}
			bw := bufio.NewWriterSize(cmd.OutOrStdout(), 1<<16)
			w := csv.NewWriter(bw)
			row := make([]string, 0, len(sc.Issues)+len(profiles))
			for _, is := range sc.Issues {
				row = append(row, is.Name)
			}
			for _, p := range profiles {
				row = append(row, p.Name)
			}
			if err := w.Write(row); err != nil {
				return err
			}
			it := sp.Iter()
			for it.Next() {
				o := it.Outcome()
				row = row[:0]
				for i, v := range o {
					row = append(row, sc.Issues[i].Label(v))
				}
				for _, p := range profiles {
					row = append(row, strconv.FormatFloat(p.Func.Utility(o), 'g', -1, 64))
				}
				if err := w.Write(row); err != nil {
					return err
				}
			}
			w.Flush()
			if err := w.Error(); err != nil {
				return err
			}
			return bw.Flush()
		},
	}
	in.addFlags(cmd)
	return cmd
}
