package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/project"
)

// ExitConflicts is check's exit code when conflict markers remain.
const ExitConflicts = 3

// CheckOptions are the inputs of `secgen check`.
type CheckOptions struct {
	Dir    string
	Output string
	Diff   bool
	Source ProjectSource
}

func newCheckCmd(streams *IO, runF func(context.Context, *CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Tell whether the project is what its recorded catalog version renders",
		Long: "check compares the project with its recorded catalog version and answers.\n" +
			"Exit 0 up to date, 1 a newer catalog version is available (or update would\n" +
			"change files), 3 unresolved conflict markers remain. Files you changed are\n" +
			"listed as information (--diff shows them); placeholder answers as warnings.\n" +
			"From a subdirectory it walks up to the project's .secgen.yaml.",
		Example: "  secgen check\n" +
			"  secgen check -C ./payments --diff\n" +
			"  secgen check -o json",
		Args: argsBetween(0, 0, "secgen check [-C DIR] [-o text|json] [--diff]"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runCheck(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Dir, "directory", "C", "", "the project's root `DIR` (default: the project the working directory is in)")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output format: text or json")
	cmd.Flags().BoolVar(&opts.Diff, "diff", false, "show each file you changed as a unified diff against what secgen generated")
	opts.Source.register(cmd.Flags())
	registerCompletions(cmd, nil, "text", "json")
	return cmd
}

func runCheck(ctx context.Context, streams *IO, opts *CheckOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	p, err := openProject(ctx, opts.Dir, opts.Source, project.Current, false)
	if err != nil {
		return err
	}
	res, err := projectEngine(p, streams.version()).Check(ctx, engine.CheckRequest{Project: p, Diff: opts.Diff})
	if err != nil {
		return err
	}
	if opts.Output == "json" {
		if err := writeJSON(streams.Out, res); err != nil {
			return err
		}
	} else {
		printCheck(streams.Out, res)
	}
	switch res.Status {
	case engine.CheckConflicts:
		return &exitError{code: ExitConflicts, err: fmt.Errorf("%d file(s) still hold conflict markers", len(res.Conflicts))}
	case engine.CheckUpdateAvailable:
		return fmt.Errorf("an update is available: run secgen update")
	}
	return nil
}

func printCheck(w io.Writer, res *engine.CheckResult) {
	var b strings.Builder
	switch res.Status {
	case engine.CheckUpToDate:
		fmt.Fprintf(&b, "Up to date with catalog %s %s.\n", res.CatalogID, res.RecordedVersion)
	case engine.CheckUpdateAvailable:
		if res.CatalogVersion != res.RecordedVersion {
			fmt.Fprintf(&b, "Update available: catalog %s %s (this project has %s); run secgen update.\n", res.CatalogID, res.CatalogVersion, res.RecordedVersion)
		} else {
			fmt.Fprintf(&b, "Update available: secgen update would change %s.\n", strings.Join(res.Outdated, ", "))
		}
	case engine.CheckConflicts:
		b.WriteString("Unresolved conflicts:\n")
		for _, c := range res.Conflicts {
			fmt.Fprintf(&b, "  %s:%d\n", c.Path, c.Line)
		}
	}
	if len(res.Changed) > 0 {
		b.WriteString("Changed by you (information):\n")
		for _, c := range res.Changed {
			if c.Deleted {
				fmt.Fprintf(&b, "  %s (deleted)\n", c.Path)
			} else {
				fmt.Fprintf(&b, "  %s\n", c.Path)
			}
		}
		for _, c := range res.Changed {
			b.WriteString(c.Diff)
		}
	}
	for _, p := range res.Placeholders {
		fmt.Fprintf(&b, "warning: answer %s is still %q: %s\n", p.Answer, p.Value, p.Reason)
	}
	for _, s := range res.BeforeDeploy {
		if s.Missing {
			fmt.Fprintf(&b, "warning: file %s is missing: %s\n", s.What, s.Why)
		}
	}
	for _, s := range res.BeforeDeploy {
		if s.Kind == "cluster" {
			fmt.Fprintf(&b, "before you deploy, the cluster must run: %s\n", s.What)
		}
	}
	_, _ = io.WriteString(w, b.String())
}
