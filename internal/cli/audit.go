package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"parley"
	"parley/client"
	"parley/live"
)

func init() { register(newAuditCmd) }

func newAuditCmd() *cobra.Command {
	var db, server, token string
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify the hash-chained audit trail of a database or a running server",
		Long: `audit recomputes the hash chain of every event of every negotiation in a
database (--db: a SQLite file or a postgres:// URL), or of the negotiation of a
token on a running server (--server URL --token T; events the token may not see
are checked through their body hashes). It prints one line per negotiation
and, for a broken chain, the first broken link; it exits 1 when any chain is
broken.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			switch {
			case db != "" && server != "":
				return usageError{fmt.Errorf("give --db or --server, not both")}
			case server != "":
				if token == "" {
					return usageError{fmt.Errorf("--server needs --token")}
				}
				c := client.New(server, token)
				me, err := c.Me(ctx)
				if err != nil {
					return err
				}
				a, err := c.Audit(ctx, me.Negotiation)
				if err != nil {
					return err
				}
				return report(out, a.Negotiation, a.Links)
			case db != "":
				return auditDB(ctx, cmd, db)
			}
			return usageError{fmt.Errorf("give --db FILE|URL or --server URL --token T")}
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "database to verify: a SQLite file or a postgres:// URL")
	cmd.Flags().StringVar(&server, "server", "", "running server to verify, e.g. http://127.0.0.1:8080")
	cmd.Flags().StringVar(&token, "token", "", "token of the negotiation to verify on --server")
	return cmd
}

func auditDB(ctx context.Context, cmd *cobra.Command, db string) error {
	if db == "memory" {
		return usageError{fmt.Errorf("--db memory holds nothing to audit")}
	}
	st, err := openStore(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	ns, err := st.Negotiations(ctx)
	if err != nil {
		return err
	}
	broken := 0
	for _, n := range ns {
		evs, err := st.Events(ctx, n.ID, 0, 0)
		if err != nil {
			return err
		}
		if report(cmd.OutOrStdout(), n.ID, live.LinksOf(evs)) != nil {
			broken++
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%d negotiations, %d broken\n", len(ns), broken)
	if broken > 0 {
		return &exitError{code: ExitFailure}
	}
	return nil
}

// report prints the verdict on one negotiation's chain.
func report(w interface{ Write([]byte) (int, error) }, id string, links []live.Link) error {
	if err := live.Verify(links); err != nil {
		fmt.Fprintf(w, "%s: BROKEN: %s\n", id, errMessage(err))
		return &exitError{code: ExitFailure}
	}
	fmt.Fprintf(w, "%s: ok, %d events\n", id, len(links))
	return nil
}

func errMessage(err error) string {
	if e, ok := err.(*parley.Error); ok {
		return e.Message
	}
	return err.Error()
}
