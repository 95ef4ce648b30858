package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/project"
)

// UpdateOptions are the inputs of `secgen update`.
type UpdateOptions struct {
	Dir         string
	Set         []string
	AnswersFile string
	NoInput     bool
	DryRun      bool
	// Conflict is the --conflict policy: mark (default), fail, skip or new.
	Conflict string
	// AllowDowngrade accepts a catalog older than the recorded one.
	AllowDowngrade bool
	// AllowDirty works even when tracked files have uncommitted changes.
	AllowDirty bool
	// Output is text or json.
	Output string
	Source ProjectSource
}

func newUpdateCmd(streams *IO, runF func(context.Context, *UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{}
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Re-apply the current catalog to a project, merging your changes",
		Long: "Re-render every component of the project with the current version of its catalog (this\n" +
			"secgen's built-in one, a named catalog at its pinned commit, or the recorded git ref; --catalog-ref\n" +
			"moves to another ref) and the recorded answers.\n" +
			"Files you never changed are replaced; files you changed are merged three ways against what\n" +
			"secgen wrote last time. Conflicts are written with <<<<<<< yours / >>>>>>> secgen markers and\n" +
			"listed (exit 1); --conflict means what it means for add: fail writes nothing, skip keeps your\n" +
			"file, new keeps it and writes secgen's version beside it as <path>.secgen-new. Files the\n" +
			"catalog dropped are removed only if you never changed them.",
		Example: "  secgen update --dry-run\n  secgen update -C ./payments",
		Args:    argsBetween(0, 0, "secgen update [-C DIR] [--dry-run]"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runUpdate(cmd.Context(), streams, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Dir, "directory", "C", "", "the project's root `DIR` (default: the working directory)")
	f.StringArrayVar(&opts.Set, "set", nil, "answer a question, or change a recorded answer: `KEY=VALUE` (repeatable; validated as in new)")
	f.StringVar(&opts.AnswersFile, "answers", "", "read answers from a YAML `FILE` (- for standard input; a .secgen.yaml gives its answers); its answers replace recorded ones")
	f.BoolVar(&opts.NoInput, "no-input", false, "never prompt; missing required answers are an error")
	f.BoolVar(&opts.DryRun, "dry-run", false, "print a unified diff of the change and write nothing")
	f.StringVar(&opts.Conflict, "conflict", "mark", conflictUsage)
	f.StringVarP(&opts.Output, "output", "o", "text", "output format: text or json (every file with its action and reason)")
	f.BoolVar(&opts.AllowDirty, "allow-dirty", false, "work even when tracked files have uncommitted changes")
	f.BoolVar(&opts.AllowDowngrade, "allow-downgrade", false, "accept a catalog older than the one the project records, or another catalog")
	f.StringVar(&opts.Source.CatalogRef, "catalog-ref", "", "move the project to `REF` (branch, tag or commit) of its git catalog")
	opts.Source.register(f)
	registerCompletions(cmd, projectComponents, "text", "json")
	return cmd
}

func runUpdate(ctx context.Context, streams *IO, opts *UpdateOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	policy, err := parseConflict(opts.Conflict, engine.ConflictMark)
	if err != nil {
		return err
	}
	p, err := openProject(ctx, opts.Dir, opts.Source, project.Current, false)
	if err != nil {
		return err
	}
	l := p.Catalog
	cat := l.Catalog
	req := engine.UpdateRequest{Project: p, Set: opts.Set, DryRun: opts.DryRun, Conflict: policy, AllowDowngrade: opts.AllowDowngrade, AllowDirty: opts.AllowDirty}
	if req.AnswersFile, err = optionalAnswersFile(streams, opts.AnswersFile); err != nil {
		return err
	}
	if streams.CanPrompt(opts.NoInput, opts.AnswersFile) {
		req.Prompter = streams.Prompter
	}
	res, err := projectEngine(p, streams.version()).Update(ctx, req)
	if err != nil {
		return projectError(err)
	}
	if res.Wrote {
		// Last on standard error, after the summary.
		defer warnUninstallable(streams)
	}
	switch {
	case refused(res):
		if opts.Output == "json" {
			if err := printJSON(streams.Out, res, opts.DryRun); err != nil {
				return err
			}
		}
		printConflicts(streams.Err, res)
		return fmt.Errorf("%d file(s) conflict, so nothing was written (--conflict=fail); rerun with --conflict=mark to merge with markers, skip to keep yours or new to write secgen's beside them as <path>.secgen-new", len(res.Conflicts))
	case opts.Output == "json":
		if err := printJSON(streams.Out, res, opts.DryRun); err != nil {
			return err
		}
	case opts.DryRun:
		printDiff(streams.Out, res)
	default:
		at := ""
		if l.Ref.Commit != "" {
			at = " (commit " + l.Ref.Commit[:12] + ")"
		}
		fmt.Fprintf(streams.Out, "Updated %s to catalog %s %s%s.\n", res.Root, cat.ID, cat.Version, at)
		printChanges(streams.Out, res)
	}
	if err := markedError(streams, res); err != nil {
		return err
	}
	if len(res.Weakenings) > 0 {
		for _, w := range res.Weakenings {
			fmt.Fprintf(streams.Err, "weakened: %s (%s) in %s:%d by %s: %s (rule %s)\n", w.Control, w.ControlTitle, w.File, w.Line, w.Cause, w.Message, w.Rule)
		}
		return fmt.Errorf("the update merged cleanly but %d control(s) no longer hold: see secgen audit", len(res.Weakenings))
	}
	return nil
}
