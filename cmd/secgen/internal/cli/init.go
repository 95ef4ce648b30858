package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/engine"
)

// InitOptions are the inputs of `secgen init`.
type InitOptions struct {
	Dir         string
	Blueprint   string
	Set         []string
	AnswersFile string
	NoInput     bool
	DryRun      bool
	// Output is text or json.
	Output string
}

func newInitCmd(streams *IO, runF func(context.Context, *InitOptions) error) *cobra.Command {
	opts := &InitOptions{}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Adopt an existing repository so secgen add works there",
		Long: "Record a .secgen.yaml in an existing directory that secgen did not create: the answers, and\n" +
			"no components or files. Nothing else is written. With --blueprint, the blueprint's questions\n" +
			"are answered now and its defaults apply to later `secgen add`s.",
		Example: "  secgen init --blueprint go-service --set name=payments --no-input\n  secgen add k8s",
		Args:    argsBetween(0, 0, "secgen init [--blueprint NAME] [-C DIR]"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runInit(cmd.Context(), streams, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Dir, "directory", "C", "", "the repository's root `DIR` (default: the working directory)")
	f.StringVar(&opts.Blueprint, "blueprint", "", "answer the questions of blueprint `NAME` now")
	f.StringArrayVar(&opts.Set, "set", nil, "answer a question: `KEY=VALUE` (repeatable)")
	f.StringVar(&opts.AnswersFile, "answers", "", "read answers from a YAML `FILE` (- for standard input; a .secgen.yaml gives its answers)")
	f.BoolVar(&opts.NoInput, "no-input", false, "never prompt; missing required answers are an error")
	f.BoolVar(&opts.DryRun, "dry-run", false, "print the manifest that would be written and write nothing")
	f.StringVarP(&opts.Output, "output", "o", "text", "output format: text or json (every file with its action and reason)")
	registerCompletions(cmd, blueprintScope, "text", "json")
	return cmd
}

func runInit(ctx context.Context, streams *IO, opts *InitOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	cat, err := loadCatalog(ctx)
	if err != nil {
		return err
	}
	req := engine.InitRequest{Dir: opts.Dir, Blueprint: opts.Blueprint, Set: opts.Set, DryRun: opts.DryRun}
	if req.AnswersFile, err = optionalAnswersFile(streams, opts.AnswersFile); err != nil {
		return err
	}
	if streams.CanPrompt(opts.NoInput, opts.AnswersFile) {
		req.Prompter = streams.Prompter
	}
	eng := &engine.Engine{Catalog: cat, Version: streams.version()}
	res, err := eng.Init(ctx, req)
	if err != nil {
		return err
	}
	if res.Wrote {
		// Last on standard error, after the summary.
		defer warnUninstallable(streams)
	}
	if opts.Output == "json" {
		return printJSON(streams.Out, res, opts.DryRun)
	}
	if opts.DryRun {
		printDiff(streams.Out, res)
		return nil
	}
	fmt.Fprintf(streams.Out, "Adopted %s: recorded .secgen.yaml. Add components with: secgen add COMPONENT\n", res.Root)
	return nil
}
