package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/lint"
)

// LintOptions are the inputs of `secgen lint`.
type LintOptions struct {
	Catalog string
	Output  string
}

func newLintCmd(streams *IO, runF func(context.Context, *LintOptions) error) *cobra.Command {
	opts := &LintOptions{}
	cmd := &cobra.Command{
		Use:   "lint [CATALOG]",
		Short: "Check a catalog statically: schema, references, unused questions, controls, quoting",
		Long: "lint loads the catalog in directory CATALOG (default: the current directory) with the\n" +
			"strict loader (a catalog that does not load exits 2), then reports, as file:line, free\n" +
			"text reaching a file without its language's quoting function, unused questions,\n" +
			"undefined controls and dangling references. It exits 1 on any finding.",
		Args: argsBetween(0, 1, "secgen lint [CATALOG] [--output json]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Catalog = "."
			if len(args) == 1 {
				opts.Catalog = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runLint(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output format: text or json")
	return cmd
}

type lintDoc struct {
	Catalog  catalogJSON    `json:"catalog"`
	Findings []lint.Finding `json:"findings"`
}

func runLint(ctx context.Context, streams *IO, opts *LintOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	dir, err := openCatalogDir(opts.Catalog)
	if err != nil {
		return err
	}
	cat, err := dir.load(ctx)
	if err != nil {
		return err
	}
	findings, err := lint.Run(ctx, dir.Source, cat)
	if err != nil {
		return err
	}
	if opts.Output == "json" {
		doc := lintDoc{Catalog: catalogJSON{ID: cat.ID, Version: cat.Version, Commit: cat.Commit}, Findings: findings}
		if doc.Findings == nil {
			doc.Findings = []lint.Finding{}
		}
		if err := writeJSON(streams.Out, doc); err != nil {
			return err
		}
	} else {
		for _, f := range findings {
			fmt.Fprintln(streams.Out, f.String())
		}
		if len(findings) == 0 {
			fmt.Fprintf(streams.Out, "ok: catalog %s %s has no lint findings\n", cat.ID, cat.Version)
		}
	}
	if len(findings) > 0 {
		return fmt.Errorf("lint: %d finding(s) in catalog %s", len(findings), cat.ID)
	}
	return nil
}
