// Package cli is the parley command line: cobra commands that parse flags,
// call Parley's packages and print. Each command lives in its own file and
// registers itself with register from an init function.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"parley"
)

var commands []func() *cobra.Command

// register adds a command constructor to the root command. Call it from init.
func register(f func() *cobra.Command) { commands = append(commands, f) }

// NewRoot returns the parley root command with every registered subcommand.
func NewRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "parley",
		Short: "Parley: a neutral broker for multi-party, multi-issue negotiation",
		Long: `Parley describes negotiations in one file, analyses which deals every side
prefers to walking away, runs automated or live negotiations with preferences
kept confidential, and runs reproducible tournaments.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var cmds []*cobra.Command
	for _, f := range commands {
		cmds = append(cmds, f())
	}
	slices.SortFunc(cmds, func(a, b *cobra.Command) int {
		if a.Name() < b.Name() {
			return -1
		}
		if a.Name() > b.Name() {
			return 1
		}
		return 0
	})
	root.AddCommand(cmds...)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	markUsageErrors(root)
	return root
}

// markUsageErrors wraps every command's argument check so that its errors
// count as bad input (exit code 2).
func markUsageErrors(c *cobra.Command) {
	if orig := c.Args; orig != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := orig(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}

// Exit codes.
const (
	ExitOK       = 0
	ExitFailure  = 1 // a fault inside Parley or the environment
	ExitBadInput = 2 // invalid input: files, flags or fields
)

// Run executes the command line args with the given streams and returns the
// process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := NewRoot()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "parley:", err)
	switch parley.ErrorCode(err) {
	case parley.EINVALID, parley.ENOTFOUND, parley.EUNSUPPORTED:
		return ExitBadInput
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return ExitBadInput
	}
	if isUsageError(err) || strings.HasPrefix(err.Error(), "unknown command") {
		return ExitBadInput
	}
	return ExitFailure
}

// exitError ends a command with a given exit code and message, after the
// command has printed its own output.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError marks errors in flags or arguments.
type usageError struct{ error }

func isUsageError(err error) bool {
	var u usageError
	return errors.As(err, &u)
}
