package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/goldentest"
)

// TestOptions are the inputs of `secgen test`.
type TestOptions struct {
	Catalog string
	Update  bool
	Output  string
}

func newTestCmd(streams *IO, runF func(context.Context, *TestOptions) error) *cobra.Command {
	opts := &TestOptions{}
	cmd := &cobra.Command{
		Use:   "test [CATALOG]",
		Short: "Render a catalog's golden cases and compare them byte for byte",
		Long: "test renders every golden case of the catalog in directory CATALOG (default: the\n" +
			"current directory), goldens/<entry>/<case>/{case.yaml,answers.yaml,tree/}, and compares\n" +
			"each render with what the case records: file set, executable bit and bytes. A tree holds\n" +
			"its manifest and the files no other tree holds; the manifest's hashes refer to the rest.\n" +
			"It prints a unified diff per differing file and exits 1 on any difference. --update\n" +
			"re-records the trees, each distinct output once.",
		Example: "  secgen test\n" +
			"  secgen test ../platform-catalog --update",
		Args: argsBetween(0, 1, "secgen test [CATALOG] [--update] [--output json]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Catalog = "."
			if len(args) == 1 {
				opts.Catalog = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTest(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Update, "update", false, "re-record the tree of every differing case")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output format: text or json")
	return cmd
}

type testDoc struct {
	Catalog catalogJSON    `json:"catalog"`
	Cases   []testCaseJSON `json:"cases"`
}

type testCaseJSON struct {
	Name   string                  `json:"name"`
	Status goldentest.Status       `json:"status"`
	Files  []goldentest.Difference `json:"files,omitempty"`
	Error  string                  `json:"error,omitempty"`
}

// errGoldensDiffer marks a run whose cases differ; the summary was printed.
var errGoldensDiffer = errors.New("golden cases differ")

func runTest(ctx context.Context, streams *IO, opts *TestOptions) error {
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
	cases, err := goldentest.Load(ctx, filepath.Join(dir.Root, "goldens"))
	if err != nil {
		return err
	}
	results := goldentest.Run(ctx, cat, cases, goldentest.Options{Update: opts.Update})
	differ, broken, updated := 0, 0, 0
	for _, r := range results {
		switch r.Status {
		case goldentest.Fail:
			differ++
		case goldentest.Error:
			broken++
		case goldentest.Updated:
			updated++
		}
	}
	bad := differ + broken
	if opts.Output == "json" {
		doc := testDoc{Catalog: catalogJSON{ID: cat.ID, Version: cat.Version, Commit: cat.Commit}, Cases: []testCaseJSON{}}
		for _, r := range results {
			c := testCaseJSON{Name: r.Case, Status: r.Status, Files: r.Differences}
			if r.Err != nil {
				c.Error = oneLine(r.Err.Error())
			}
			doc.Cases = append(doc.Cases, c)
		}
		if err := writeJSON(streams.Out, doc); err != nil {
			return err
		}
	} else {
		printTestResults(streams, results)
		switch {
		case broken > 0:
			fmt.Fprintf(streams.Out, "FAIL: %d of %d golden cases differ, %d fail to render\n", differ, len(results), broken)
		case differ > 0:
			fmt.Fprintf(streams.Out, "FAIL: %d of %d golden cases differ\n", differ, len(results))
		case updated > 0:
			fmt.Fprintf(streams.Out, "ok: re-recorded %d of %d golden cases\n", updated, len(results))
		default:
			fmt.Fprintf(streams.Out, "ok: %d golden cases match\n", len(results))
		}
	}
	if bad > 0 {
		return fmt.Errorf("%w or fail to render: %d of %d", errGoldensDiffer, bad, len(results))
	}
	return nil
}

func printTestResults(streams *IO, results []goldentest.Result) {
	w := streams.Out
	for _, r := range results {
		switch r.Status {
		case goldentest.Error:
			fmt.Fprintf(w, "ERROR %s: %s\n", r.Case, oneLine(r.Err.Error()))
		case goldentest.Updated:
			fmt.Fprintf(w, "updated %s (%d files)\n", r.Case, len(r.Differences))
		case goldentest.Fail:
			fmt.Fprintf(w, "FAIL %s\n", r.Case)
			for _, d := range r.Differences {
				switch d.Kind {
				case goldentest.Content:
					fmt.Fprint(w, d.Diff)
				case goldentest.Mode:
					fmt.Fprintf(w, "%s: mode %v, want %v\n", d.Path, d.Got, d.Want)
				case goldentest.Missing:
					fmt.Fprintf(w, "%s: missing (in the golden tree, not rendered)\n", d.Path)
				case goldentest.Extra:
					fmt.Fprintf(w, "%s: extra (rendered, not in the golden tree)\n", d.Path)
				}
			}
		}
	}
}
