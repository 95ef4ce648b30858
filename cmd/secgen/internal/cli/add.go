package cli

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/project"
)

// AddOptions are the inputs of `secgen add`.
type AddOptions struct {
	Component   string
	Dir         string
	Set         []string
	AnswersFile string
	NoInput     bool
	DryRun      bool
	Conflict    string
	// AllowDowngrade accepts a catalog older than the recorded one.
	AllowDowngrade bool
	// AllowDirty works even when tracked files have uncommitted changes.
	AllowDirty bool
	// Output is text or json.
	Output string
	Source ProjectSource
}

func newAddCmd(streams *IO, runF func(context.Context, *AddOptions) error) *cobra.Command {
	opts := &AddOptions{}
	cmd := &cobra.Command{
		Use:   "add COMPONENT",
		Short: "Add a component to a project secgen generated or adopted",
		Long: "Render one more component into the project (the working directory, or -C DIR), reusing the\n" +
			"answers recorded in .secgen.yaml and asking only the component's new questions. Absent files\n" +
			"are created and identical ones left alone. A file that exists and differs is a conflict: by\n" +
			"default nothing is written and every conflict is listed (exit 1); --conflict=skip keeps your\n" +
			"files, --conflict=new writes secgen's version beside each as <path>.secgen-new, and\n" +
			"--conflict=mark writes every difference with conflict markers (as update does).",
		Example: "  secgen add k8s --set namespace=payments\n" +
			"  secgen add terraform-aws -C ./payments --dry-run",
		Args:              argsBetween(1, 1, "secgen add COMPONENT [-C DIR]"),
		ValidArgsFunction: completeComponents,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Component = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runAdd(cmd.Context(), streams, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Dir, "directory", "C", "", "the project's root `DIR` (default: the working directory)")
	f.StringArrayVar(&opts.Set, "set", nil, "answer a new question: `KEY=VALUE` (repeatable)")
	f.StringVar(&opts.AnswersFile, "answers", "", "read answers from a YAML `FILE` (- for standard input; a .secgen.yaml gives its answers)")
	f.BoolVar(&opts.NoInput, "no-input", false, "never prompt; missing required answers are an error")
	f.BoolVar(&opts.DryRun, "dry-run", false, "print a unified diff of the change and write nothing")
	f.StringVar(&opts.Conflict, "conflict", "fail", conflictUsage)
	f.StringVarP(&opts.Output, "output", "o", "text", "output format: text or json (every file with its action and reason)")
	f.BoolVar(&opts.AllowDirty, "allow-dirty", false, "work even when tracked files have uncommitted changes")
	f.BoolVar(&opts.AllowDowngrade, "allow-downgrade", false, "accept a catalog older than the one the project records, or another catalog")
	opts.Source.register(f)
	registerCompletions(cmd, componentScope, "text", "json")
	return cmd
}

func runAdd(ctx context.Context, streams *IO, opts *AddOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	policy, err := parseConflict(opts.Conflict, engine.ConflictFail)
	if err != nil {
		return err
	}
	p, err := openProject(ctx, opts.Dir, opts.Source, project.Recorded, false)
	if err != nil {
		return err
	}
	req := engine.AddRequest{Project: p, Component: opts.Component, Set: opts.Set, DryRun: opts.DryRun, Conflict: policy, AllowDowngrade: opts.AllowDowngrade, AllowDirty: opts.AllowDirty}
	if req.AnswersFile, err = optionalAnswersFile(streams, opts.AnswersFile); err != nil {
		return err
	}
	if streams.CanPrompt(opts.NoInput, opts.AnswersFile) {
		req.Prompter = streams.Prompter
		req.Review = reviewerFor(streams, p.Catalog.Catalog)
	}
	res, err := projectEngine(p, streams.version()).Add(ctx, req)
	if err != nil {
		return projectError(err)
	}
	if res.Wrote {
		// Last on standard error, after the summary.
		defer warnUninstallable(streams)
	}
	if opts.Output == "json" {
		if err := printJSON(streams.Out, res, opts.DryRun); err != nil {
			return err
		}
	}
	if slices.ContainsFunc(res.Conflicts, engine.Blocking) {
		printConflicts(streams.Err, res)
		if opts.DryRun && opts.Output != "json" {
			printDiff(streams.Out, res)
		}
		return fmt.Errorf("%d file(s) conflict with component %s, so nothing was written; rerun with --conflict=skip to keep yours or --conflict=new to write secgen's beside them as <path>.secgen-new", len(res.Conflicts), opts.Component)
	}
	if opts.Output == "json" {
		return markedError(streams, res)
	}
	if opts.DryRun {
		printDiff(streams.Out, res)
		return markedError(streams, res)
	}
	fmt.Fprintf(streams.Out, "Added component %s to %s.\n", opts.Component, res.Root)
	printChanges(streams.Out, res)
	return markedError(streams, res)
}
