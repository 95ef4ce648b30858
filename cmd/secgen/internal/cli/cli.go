// Package cli is secgen's command-line layer: one file per verb, each with an
// options struct filled by cobra and a run function that calls the engine.
// Exit codes are decided in one place, Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/secgen/secgen/cmd/secgen/internal/buildinfo"
	"github.com/secgen/secgen/cmd/secgen/internal/prompt"
	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/suggest"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	// ExitInterrupted is the shell's code for a process ended by SIGINT.
	ExitInterrupted = 130
)

// IO are the streams a command uses, and what is known about them.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	InTTY  bool
	OutTTY bool
	// Prompter asks questions when prompting is possible; nil means never.
	Prompter answers.Prompter
	// Build is this secgen's version; the zero value reads the binary's
	// build information.
	Build buildinfo.Info
}

// build is this secgen's version and whether CI can install it.
func (s *IO) build() buildinfo.Info {
	if s.Build.Version == "" {
		return buildinfo.Read()
	}
	return s.Build
}

// version is this secgen's version, as manifests record it.
func (s *IO) version() string { return s.build().Version }

// warnUninstallable warns, after a command recorded this secgen's version
// in a manifest, when that version cannot be installed: the generated CI
// installs exactly the recorded version and refuses any other.
func warnUninstallable(s *IO) {
	b := s.build()
	if b.Installable {
		return
	}
	fmt.Fprintf(s.Err, "warning: .secgen.yaml records secgen %s, which %s, so the generated CI's secgen job will refuse it; install a release (go install %s@latest) and run secgen update.\n", b.Version, b.Problem, buildinfo.Command)
}

// System returns the process's own streams. Prompts are drawn on standard
// error, so standard output can be piped (secgen new ... | tee log) while
// the questions are still asked.
func System() *IO {
	inTTY := term.IsTerminal(int(os.Stdin.Fd()))
	outTTY := term.IsTerminal(int(os.Stdout.Fd()))
	return &IO{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InTTY: inTTY, OutTTY: outTTY,
		Prompter: prompt.Survey{In: os.Stdin, Out: os.Stderr, Err: os.Stderr},
		Build:    buildinfo.Read(),
	}
}

// CanPrompt is true when standard input is a terminal that the answers do
// not come from ("--answers -"), a prompter exists and input was not
// disabled. Standard output does not matter: prompts go to standard error.
func (s *IO) CanPrompt(noInput bool, answersFile string) bool {
	return !noInput && s.InTTY && answersFile != "-" && s.Prompter != nil
}

// Main runs secgen with args and returns the process exit code.
func Main(ctx context.Context, args []string, streams *IO) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	root := NewRoot(streams)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, prompt.ErrDeclined) {
		// The same exit as an interrupted prompt: the user stopped it.
		fmt.Fprintln(streams.Err, "secgen: "+err.Error())
		return ExitInterrupted
	}
	if errors.Is(err, prompt.ErrInterrupted) || errors.Is(err, context.Canceled) {
		// Prompts come before any write, and writes are atomic or journaled.
		fmt.Fprintln(streams.Err, "secgen: interrupted")
		return ExitInterrupted
	}
	fmt.Fprintln(streams.Err, "secgen: "+oneLine(inFlags(err, cmd)))
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if failure.IsInvalidInput(err) {
		return ExitUsage
	}
	return ExitFailure
}

// exitError carries an exit code other than 1 and 2 (check's 3).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// NewRoot builds the command tree.
func NewRoot(streams *IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "secgen",
		Short: "Generate projects whose every file comes hardened",
		Long: "secgen renders a Go service, its container image, Kubernetes manifests, Terraform\n" +
			"modules and CI workflows with the hardening controls of its security guide in place.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if v, _ := cmd.Flags().GetBool("version"); v {
				return printVersion(streams, "text")
			}
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return cmd.Help()
		},
	}
	root.Flags().Bool("version", false, "print secgen's version (as secgen version does)")
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(
		newNewCmd(streams, nil),
		newAddCmd(streams, nil),
		newUpdateCmd(streams, nil),
		newInitCmd(streams, nil),
		newListCmd(streams, nil),
		newShowCmd(streams, nil),
		newTestCmd(streams, nil),
		newLintCmd(streams, nil),
		newCatalogCmd(streams),
		newAuditCmd(streams, nil),
		newCheckCmd(streams, nil),
		newVersionCmd(streams),
	)
	registerAll(root)
	return root
}

// unknownCommand refuses a verb cmd does not have, suggesting the closest.
func unknownCommand(cmd *cobra.Command, name string) error {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return failure.Invalidf("unknown command %s for %s%s; run '%s --help'", failure.Quote(name), cmd.CommandPath(), suggest.DidYouMean(name, names), cmd.CommandPath())
}

// renamedFlags are flags earlier secgen versions had, by their new names.
var renamedFlags = map[string]string{
	"--dir":    "--directory",
	"--format": "--output",
}

// flagError makes a flag parsing error invalid input (exit 2) and, for an
// unknown flag, suggests the closest flag the command has.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	var long, short []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		long = append(long, "--"+f.Name)
		if f.Shorthand != "" {
			short = append(short, "-"+f.Shorthand)
		}
	})
	if name, ok := strings.CutPrefix(msg, "unknown flag: "); ok {
		hint := suggest.DidYouMean(name, long)
		if to, ok := renamedFlags[name]; ok && cmd.Flags().Lookup(strings.TrimPrefix(to, "--")) != nil {
			hint = fmt.Sprintf(" (it is %s now)", to)
		}
		return failure.Invalidf("%s: unknown flag %s%s; run '%s --help'", cmd.CommandPath(), name, hint, cmd.CommandPath())
	}
	if strings.HasPrefix(msg, "unknown shorthand flag: ") {
		return failure.Invalidf("%s: %s (it has %s); run '%s --help'", cmd.CommandPath(), msg, strings.Join(short, ", "), cmd.CommandPath())
	}
	return failure.Invalid(err)
}

// loadCatalog loads the embedded catalog.
func loadCatalog(ctx context.Context) (*catalog.Catalog, error) {
	return builtin.Catalog(ctx)
}

// argsBetween accepts lo to hi positional arguments, else an invalid-input error.
func argsBetween(lo, hi int, usage string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return failure.Invalidf("usage: %s", usage)
		}
		return nil
	}
}

func checkOutput(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return failure.Invalidf("--output must be one of %s, got %s", strings.Join(allowed, ", "), failure.Quote(format))
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
