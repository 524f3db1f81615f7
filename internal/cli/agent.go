package cli

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"parley/client"
	"parley/live"
	"parley/negotiator"
)

func init() { register(newAgentCmd) }

// defaultNegotiator is the strategy an agent plays when none is named.
func defaultNegotiator(protocol string) string {
	switch protocol {
	case live.SingleText:
		return "hillclimber"
	case live.Broker:
		return "threshold"
	}
	return "boulware"
}

func newAgentCmd() *cobra.Command {
	var server, token, name string
	var seed uint64
	var verbose bool
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Take part in a live negotiation on a server with an automated negotiator",
		Long: `agent joins the negotiation of a participant token on a running parley serve
and plays it with one of Parley's negotiators, exactly as a person with that
token would: it sees the public record and its own preferences only. It waits
for the start, acts when the protocol asks, and prints the outcome when the
negotiation is over. Strategies: ` + strings.Join(negotiator.Names(), ", ") + `; the default
is boulware for saop, hillclimber for singletext and threshold for broker.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if server == "" || token == "" {
				return usageError{fmt.Errorf("--server and --token are required")}
			}
			ctx := cmd.Context()
			c := client.New(server, token)
			me, err := c.Me(ctx)
			if err != nil {
				return err
			}
			v, err := c.Negotiation(ctx, me.Negotiation)
			if err != nil {
				return err
			}
			if name == "" {
				name = defaultNegotiator(v.Protocol)
			}
			neg, err := negotiator.New(name)
			if err != nil {
				return usageError{err}
			}
			log := slog.New(slog.DiscardHandler)
			if verbose {
				log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s joins %q (%s) as %s\n", me.Party, v.Title, v.Protocol, name)
			a := &client.Agent{Client: c, Negotiator: neg, Seed: seed, Log: log}
			final, err := a.Run(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "outcome: %s\n", final.Phase)
			if final.Agreement != nil {
				keys := make([]string, 0, len(final.Agreement))
				for _, is := range final.Issues {
					keys = append(keys, is.Name)
				}
				for _, k := range keys {
					fmt.Fprintf(cmd.OutOrStdout(), "  %s = %s\n", k, final.Agreement[k])
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", "", "server URL, e.g. http://127.0.0.1:8080")
	cmd.Flags().StringVar(&token, "token", "", "participant token")
	cmd.Flags().StringVar(&name, "negotiator", "", "strategy to play (default by protocol)")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the negotiator's random source")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "log what the agent does on stderr")
	return cmd
}
