package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lint"
)

// LintOptions are the inputs of `secgen lint`.
type LintOptions struct {
	CatalogArg
	Output string
}

func newLintCmd(streams *IO, runF func(context.Context, *LintOptions) error) *cobra.Command {
	opts := &LintOptions{}
	cmd := &cobra.Command{
		Use:   "lint [CATALOG]",
		Short: "Check a catalog statically: schema, references, unused questions, controls, quoting",
		Long: "lint checks the catalog CATALOG and reports, as file:line, dangling references, free\n" +
			"text reaching a file without its language's quoting function, unused questions,\n" +
			"undefined controls, audit rules whose CEL does not compile in the audit's environment\n" +
			"or whose match selects no file of their component, and claimed controls without a\n" +
			"rule; a rule without a breakage is a warning. It exits 1 on any error, 2 when the\n" +
			"catalog does not load with the strict loader.\n\n" +
			catalogArgHelp,
		Example: "  secgen lint\n" +
			"  secgen lint ../platform-catalog -o json\n" +
			"  secgen lint https://git.example.com/platform/acme-catalog.git@v1.4.0 --keyring team.asc",
		Args: argsBetween(0, 1, "secgen lint [CATALOG] [--ref REF] [--keyring FILE] [--output json]"),
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
	opts.CatalogArg.register(cmd.Flags())
	return cmd
}

// catalogArgHelp says what CATALOG of lint and test may be.
const catalogArgHelp = "CATALOG is a directory (default: the current directory), a git URL[@REF] (https://,\n" +
	"ssh://, file://, http:// to a loopback address) read at REF and verified against --keyring\n" +
	"like every verb's git catalog, or the name of a catalog added with secgen catalog add (at\n" +
	"its pin, verified against its stored keyring; --ref reads another ref). A git catalog is\n" +
	"read with its goldens/ into the cache and never written to."

type lintDoc struct {
	// Catalog is absent when reference findings stopped lint before the
	// catalog could load.
	Catalog  *catalogJSON   `json:"catalog,omitempty"`
	Findings []lint.Finding `json:"findings"`
}

func runLint(ctx context.Context, streams *IO, opts *LintOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	files, err := openCatalogFiles(ctx, opts.CatalogArg)
	if err != nil {
		return err
	}
	findings, cat, err := lint.Check(ctx, files.Source)
	if err != nil {
		return failure.Invalidf("catalog %s does not load: %w", failure.Quote(files.Name), err)
	}
	if opts.Output == "json" {
		doc := lintDoc{Findings: findings}
		if cat != nil {
			doc.Catalog = &catalogJSON{ID: cat.ID, Version: cat.Version, Source: files.Name, Ref: files.Origin.Ref, Commit: cat.Commit, Signer: files.Origin.Signer}
		}
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
		switch warnings := len(findings) - lint.Errors(findings); {
		case len(findings) == 0:
			fmt.Fprintf(streams.Out, "ok: catalog %s %s has no lint findings\n", cat.ID, cat.Version)
		case warnings == len(findings):
			fmt.Fprintf(streams.Out, "ok: catalog %s %s has no lint errors, %d warning(s)\n", cat.ID, cat.Version, warnings)
		}
	}
	if n := lint.Errors(findings); n > 0 {
		return fmt.Errorf("lint: %d finding(s) in catalog %s", n, failure.Quote(files.Name))
	}
	return nil
}
