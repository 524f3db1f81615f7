// Command parley is Parley's command line; see `parley help`.
package main

import (
	"context"
	"os"
	"os/signal"

	"parley/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
