package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/goldentest"
)

// TestOptions are the inputs of `secgen test`.
type TestOptions struct {
	CatalogArg
	Update bool
	Output string
}

func newTestCmd(streams *IO, runF func(context.Context, *TestOptions) error) *cobra.Command {
	opts := &TestOptions{}
	cmd := &cobra.Command{
		Use:   "test [CATALOG]",
		Short: "Render a catalog's golden cases and compare them byte for byte",
		Long: "test renders every golden case of the catalog CATALOG, goldens/<entry>/<case>/\n" +
			"{case.yaml,answers.yaml,tree/}, and compares each render with what the case records:\n" +
			"file set, executable bit and bytes. A tree holds\n" +
			"its manifest and the files no other tree holds; the manifest's hashes refer to the rest.\n" +
			"It prints a unified diff per differing file and exits 1 on any difference. --update\n" +
			"re-records the trees, each distinct output once. Every render is then audited with the\n" +
			"catalog's own rules (checks.yaml), and every breakage of breakages.yaml is applied to\n" +
			"its golden case's render, in memory, and must make its rule fail under its control; a\n" +
			"failing audit or an uncaught breakage exits 1, a malformed rule or breakage 2.\n\n" +
			catalogArgHelp + " --update needs a directory.",
		Example: "  secgen test\n" +
			"  secgen test ../platform-catalog --update\n" +
			"  secgen test https://git.example.com/platform/acme-catalog.git@v1.4.0 --keyring team.asc",
		Args: argsBetween(0, 1, "secgen test [CATALOG] [--ref REF] [--keyring FILE] [--update] [--output json]"),
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
	opts.CatalogArg.register(cmd.Flags())
	return cmd
}

type testDoc struct {
	Catalog   catalogJSON    `json:"catalog"`
	Cases     []testCaseJSON `json:"cases"`
	Breakages []breakageJSON `json:"breakages"`
}

type testCaseJSON struct {
	Name   string                  `json:"name"`
	Status goldentest.Status       `json:"status"`
	Files  []goldentest.Difference `json:"files,omitempty"`
	// Findings are the audit findings of the case's render: a golden
	// case must pass its catalog's own rules.
	Findings    []audit.Finding    `json:"findings,omitempty"`
	Diagnostics []audit.Diagnostic `json:"diagnostics,omitempty"`
	Error       string             `json:"error,omitempty"`
}

type breakageJSON struct {
	goldentest.BreakageResult
	Error string `json:"error,omitempty"`
}

// errGoldensDiffer marks a run whose cases differ; the summary was printed.
var errGoldensDiffer = errors.New("golden cases differ")

func runTest(ctx context.Context, streams *IO, opts *TestOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	files, err := openCatalogFiles(ctx, opts.CatalogArg)
	if err != nil {
		return err
	}
	if opts.Update && files.Dir == "" {
		return failure.Says("catalog ", files.Name, " is read from git, which secgen never writes to; ", failure.FieldRerecord, " re-records golden cases in a checkout of it")
	}
	cat, err := loadFiles(ctx, files)
	if err != nil {
		return err
	}
	cases, err := loadGoldens(ctx, files)
	if err != nil {
		return err
	}
	rep, err := goldentest.Prove(ctx, cat, cases, goldentest.Options{Update: opts.Update})
	if err != nil {
		return err
	}
	results := rep.Cases
	differ, broken, updated, unaudited, uncaught, audited := 0, 0, 0, 0, 0, 0
	for _, r := range results {
		switch r.Status {
		case goldentest.Fail:
			differ++
		case goldentest.Error:
			broken++
		case goldentest.Updated:
			updated++
		}
		switch {
		case len(r.Findings) > 0 || len(r.Diagnostics) > 0:
			unaudited++
		case r.Status != goldentest.Error:
			audited++
		}
	}
	for _, b := range rep.Breakages {
		if b.Status != goldentest.Caught {
			uncaught++
		}
	}
	bad := differ + broken
	if opts.Output == "json" {
		doc := testDoc{Catalog: catalogJSON{ID: cat.ID, Version: cat.Version, Source: files.Name, Ref: files.Origin.Ref, Commit: cat.Commit, Signer: files.Origin.Signer}, Cases: []testCaseJSON{}, Breakages: []breakageJSON{}}
		for _, r := range results {
			c := testCaseJSON{Name: r.Case, Status: r.Status, Files: r.Differences, Findings: r.Findings, Diagnostics: r.Diagnostics}
			if r.Err != nil {
				c.Error = oneLine(r.Err.Error())
			}
			doc.Cases = append(doc.Cases, c)
		}
		for _, b := range rep.Breakages {
			j := breakageJSON{BreakageResult: b}
			if b.Err != nil {
				j.Error = oneLine(b.Err.Error())
			}
			doc.Breakages = append(doc.Breakages, j)
		}
		if err := writeJSON(streams.Out, doc); err != nil {
			return err
		}
	} else {
		printTestResults(streams, results)
		printProof(streams, rep)
		proof := fmt.Sprintf("; %d pass their audit, %d of %d breakages caught", audited, len(rep.Breakages)-uncaught, len(rep.Breakages))
		switch {
		case broken > 0:
			fmt.Fprintf(streams.Out, "FAIL: %d of %d golden cases differ, %d fail to render%s\n", differ, len(results), broken, proof)
		case differ > 0:
			fmt.Fprintf(streams.Out, "FAIL: %d of %d golden cases differ%s\n", differ, len(results), proof)
		case unaudited > 0 || uncaught > 0:
			fmt.Fprintf(streams.Out, "FAIL: %d golden cases match%s\n", len(results), proof)
		case updated > 0:
			fmt.Fprintf(streams.Out, "ok: re-recorded %d of %d golden cases%s\n", updated, len(results), proof)
		default:
			fmt.Fprintf(streams.Out, "ok: %d golden cases match%s\n", len(results), proof)
		}
	}
	if bad > 0 {
		return fmt.Errorf("%w or fail to render: %d of %d", errGoldensDiffer, bad, len(results))
	}
	var why []string
	if unaudited > 0 {
		why = append(why, fmt.Sprintf("%d golden case(s) fail their catalog's audit rules", unaudited))
	}
	if uncaught > 0 {
		why = append(why, fmt.Sprintf("%d breakage(s) not caught", uncaught))
	}
	if len(why) > 0 {
		return fmt.Errorf("%w: %s", errProofFails, strings.Join(why, ", "))
	}
	return nil
}

// errProofFails marks a run whose goldens fail their audit or whose
// breakages are not caught; the details were printed.
var errProofFails = errors.New("the catalog's proof fails")

// printProof prints each audit finding of a golden case (rule, file and
// line) and each breakage that was not caught.
func printProof(streams *IO, rep *goldentest.Report) {
	w := streams.Out
	for _, r := range rep.Cases {
		for _, f := range r.Findings {
			fmt.Fprintf(w, "AUDIT %s: %s:%d: rule %s (%s) fails: %s\n", r.Case, f.File, f.Line, f.Rule, f.Control, f.Message)
		}
		for _, d := range r.Diagnostics {
			fmt.Fprintf(w, "AUDIT %s: %s:%d: not audited: %s\n", r.Case, d.File, d.Line, d.Reason)
		}
	}
	for _, b := range rep.Breakages {
		switch b.Status {
		case goldentest.Missed:
			fired := "no rule fired"
			if len(b.Fired) > 0 {
				fired = "fired: " + strings.Join(b.Fired, ", ")
			}
			fmt.Fprintf(w, "MISSED %s:%d: breakage %q of golden %s is not caught by rule %s under %s (%s)\n", b.File, b.Line, b.Name, b.Golden, b.Rule, b.Control, fired)
		case goldentest.Broken:
			fmt.Fprintf(w, "ERROR %s:%d: breakage %q: %s\n", b.File, b.Line, b.Name, oneLine(b.Err.Error()))
		}
	}
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
