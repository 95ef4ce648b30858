package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/gitinit"
	"github.com/secgen/secgen/generator/plan"
)

// NewOptions are the inputs of `secgen new`.
type NewOptions struct {
	Blueprint   string
	Dir         string
	Set         []string
	AnswersFile string
	NoInput     bool
	DryRun      bool
	NoGit       bool
	// Git creates a repository even inside an enclosing one.
	Git       bool
	GitAuthor string
	SignKey   string
	Output    string
	Without   []string
	Source    SourceOptions
}

func newNewCmd(streams *IO, runF func(context.Context, *NewOptions) error) *cobra.Command {
	opts := &NewOptions{}
	cmd := &cobra.Command{
		Use:   "new [CATALOG/]BLUEPRINT [DIR]",
		Short: "Render a new project from a blueprint",
		Long: "Render a new project from a blueprint into DIR (default: ./NAME), which must be absent\n" +
			"or empty. Missing answers are asked on a terminal; use --set, --answers and --no-input\n" +
			"otherwise. The project is written atomically, recorded in .secgen.yaml and committed to\n" +
			"a new git repository. CATALOG/BLUEPRINT takes the blueprint from a named catalog\n" +
			"(secgen catalog add); --catalog SOURCE from a directory or git repository.",
		Example: "  secgen new go-service ./payments --set name=payments --no-input\n" +
			"  secgen new go-service ./payments --answers answers.yaml --dry-run\n" +
			"  secgen new acme/go-service ./payments\n" +
			"  secgen new service --catalog https://git.example.com/platform/catalog@v1.2.0 --keyring platform.asc",
		Args: argsBetween(1, 2, "secgen new BLUEPRINT [DIR]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Blueprint = args[0]
			if len(args) == 2 {
				opts.Dir = args[1]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runNew(cmd.Context(), streams, opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.Set, "set", nil, "answer a question: `KEY=VALUE` (repeatable; lists are comma-separated)")
	f.StringVar(&opts.AnswersFile, "answers", "", "read answers from a YAML `FILE` (- for standard input; a .secgen.yaml gives its answers)")
	f.BoolVar(&opts.NoInput, "no-input", false, "never prompt; missing required answers are an error")
	f.BoolVar(&opts.DryRun, "dry-run", false, "show the plan and write nothing")
	f.BoolVar(&opts.NoGit, "no-git", false, "do not create a git repository")
	f.BoolVar(&opts.Git, "git", false, "create a git repository even inside an enclosing one (by default a project inside a repository, such as a monorepo, belongs to it)")
	f.StringVar(&opts.GitAuthor, "git-author", "", "author of the initial commit: `\"Name <email>\"` (default: your git config)")
	f.StringVar(&opts.SignKey, "sign-key", "", "sign the initial commit with the armored OpenPGP private key in `FILE`")
	f.StringVarP(&opts.Output, "output", "o", "text", "output format for the summary or plan: text or json")
	f.StringArrayVar(&opts.Without, "without", nil, "leave the blueprint's `COMPONENT` out, to secgen add it later (repeatable)")
	registerCompletions(cmd, blueprintScope, "text", "json")
	opts.Source.register(f)
	return cmd
}

func runNew(ctx context.Context, streams *IO, opts *NewOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	l, blueprint, err := openFor(ctx, opts.Source, opts.Blueprint)
	if err != nil {
		return err
	}
	// An unknown blueprint is reported before any file is read.
	if _, err := l.Catalog.Blueprint(blueprint); err != nil {
		return err
	}
	if opts.NoGit && opts.Git {
		return failure.Invalidf("--git and --no-git contradict each other; give one")
	}
	if opts.NoGit && (opts.SignKey != "" || opts.GitAuthor != "") {
		return failure.Invalidf("--sign-key and --git-author need a git repository; drop --no-git")
	}
	req := engine.NewRequest{
		Blueprint: blueprint, Target: opts.Dir, Set: opts.Set, DryRun: opts.DryRun,
		Without: opts.Without, StoreBases: opts.NoGit,
	}
	if req.AnswersFile, err = optionalAnswersFile(streams, opts.AnswersFile); err != nil {
		return err
	}
	if streams.CanPrompt(opts.NoInput, opts.AnswersFile) {
		req.Prompter = streams.Prompter
		req.Review = reviewerFor(streams, l.Catalog)
	}
	if !opts.NoGit && !opts.DryRun {
		g, err := gitOptions(opts)
		if err != nil {
			return err
		}
		g.Nested = opts.Git
		req.Git = g
	}
	res, err := engineFor(l, streams.version()).New(ctx, req)
	if err != nil {
		return err
	}
	if !opts.DryRun {
		// Last on standard error, after the summary.
		defer warnUninstallable(streams)
	}
	if opts.Output == "json" {
		return writeJSON(streams.Out, planJSON(res, opts.Dir, opts.Blueprint, opts.DryRun))
	}
	if opts.DryRun {
		return printPlan(streams.Out, res)
	}
	printSummary(streams.Out, res, opts.Dir, opts.Blueprint)
	return nil
}

// readAnswersFile reads an answers file, bounded; "-" reads standard input.
func readAnswersFile(streams *IO, path string) ([]byte, error) {
	if path == "-" {
		data, err := io.ReadAll(io.LimitReader(streams.In, answers.MaxFileSize+1))
		if err != nil {
			return nil, failure.Invalidf("read --answers from standard input: %w", err)
		}
		if len(data) > answers.MaxFileSize {
			return nil, failure.Invalidf("--answers - is larger than %d bytes", answers.MaxFileSize)
		}
		return data, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, failure.Invalidf("read --answers %s: %w", failure.Quote(path), err)
	}
	if !info.Mode().IsRegular() {
		return nil, failure.Invalidf("--answers %s is not a regular file", failure.Quote(path))
	}
	if info.Size() > answers.MaxFileSize {
		return nil, failure.Invalidf("--answers %s is larger than %d bytes", failure.Quote(path), answers.MaxFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, failure.Invalidf("read --answers %s: %w", failure.Quote(path), err)
	}
	return data, nil
}

func gitOptions(opts *NewOptions) (*engine.GitOptions, error) {
	g := &engine.GitOptions{Author: gitinit.DefaultAuthor()}
	if opts.GitAuthor != "" {
		a, err := gitinit.ParseAuthor(opts.GitAuthor)
		if err != nil {
			return nil, err
		}
		g.Author = a
	} else if a, ok := gitinit.GlobalAuthor(); ok {
		g.Author = a
	}
	if opts.SignKey != "" {
		k, err := gitinit.ReadSignKey(opts.SignKey)
		if err != nil {
			return nil, err
		}
		g.SignKey = k
	}
	return g, nil
}

type planFileJSON struct {
	Path      string `json:"path"`
	Mode      string `json:"mode"`
	Size      int    `json:"size"`
	Component string `json:"component"`
	SHA256    string `json:"sha256"`
}

type planJSONDoc struct {
	Target     string   `json:"target"`
	DryRun     bool     `json:"dry_run"`
	Blueprint  string   `json:"blueprint,omitempty"`
	Components []string `json:"components"`
	Controls   []string `json:"controls"`
	Commit     string   `json:"commit,omitempty"`
	// Enclosing is the repository the project belongs to when no nested
	// one was created.
	Enclosing string         `json:"enclosing_repository,omitempty"`
	Files     []planFileJSON `json:"files"`
	// Placeholders is the "Before you deploy" list of the text summary.
	Placeholders []engine.PlaceholderUse `json:"placeholders"`
	// BeforeDeploy are the files to add and what the cluster must run.
	BeforeDeploy []engine.DeployStep `json:"before_deploy"`
	NextSteps    []string            `json:"next_steps,omitempty"`
}

func planJSON(res *engine.Result, dir, entry string, dryRun bool) planJSONDoc {
	doc := planJSONDoc{
		Target: res.Target, DryRun: dryRun, Blueprint: res.Blueprint,
		Components: res.Components, Controls: res.Controls, Commit: res.Commit,
		Enclosing: res.Enclosing, Placeholders: res.Placeholders, BeforeDeploy: res.BeforeDeploy,
	}
	if doc.BeforeDeploy == nil {
		doc.BeforeDeploy = []engine.DeployStep{}
	}
	if doc.Placeholders == nil {
		doc.Placeholders = []engine.PlaceholderUse{}
	}
	if !dryRun {
		doc.NextSteps = nextSteps(res, dir, entry)
	}
	for _, f := range res.Plan.Files {
		doc.Files = append(doc.Files, planFileJSON{
			Path: f.Path, Mode: fmt.Sprintf("%04o", uint32(f.Mode.Perm())), Size: len(f.Content),
			Component: f.Component, SHA256: f.SHA256(),
		})
	}
	return doc
}

func printPlan(w io.Writer, res *engine.Result) error {
	fmt.Fprintf(w, "Plan for %s (dry run: nothing is written)\n\n", res.Target)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODE\tSIZE\tCOMPONENT\tPATH")
	for _, f := range res.Plan.Files {
		fmt.Fprintf(tw, "%04o\t%d\t%s\t%s\n", uint32(f.Mode.Perm()), len(f.Content), f.Component, f.Path)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d files, %s; controls (%d): %s\n", len(res.Plan.Files), humanSize(res.Plan.Size()), len(res.Controls), strings.Join(res.Controls, ", "))
	printBeforeDeploy(w, res.Placeholders, res.BeforeDeploy)
	return nil
}

// printSummary reports a new project; entry is the blueprint as the user
// named it (NAME/ENTRY for a named catalog).
func printSummary(w io.Writer, res *engine.Result, dir, entry string) {
	what := "blueprint " + res.Blueprint
	fmt.Fprintf(w, "Created %s from %s: %d files, %s.\n", res.Target, what, len(res.Plan.Files), humanSize(res.Plan.Size()))
	fmt.Fprintf(w, "Controls applied (%d): %s\n", len(res.Controls), strings.Join(res.Controls, ", "))
	if res.Enclosing != "" {
		fmt.Fprintf(w, "No git repository created: %s is inside the repository at %s; commit it there (--git creates one of its own).\n", res.Target, res.Enclosing)
	}
	if res.Commit != "" {
		fmt.Fprintf(w, "Initial commit %s on branch main.\n", res.Commit[:12])
	}
	fmt.Fprintln(w, "\nNext steps:")
	for _, s := range nextSteps(res, dir, entry) {
		fmt.Fprintf(w, "  %s\n", s)
	}
	printBeforeDeploy(w, res.Placeholders, res.BeforeDeploy)
}

// nextSteps are the commands to run after `new`, in order; entry is the
// blueprint as the user named it.
func nextSteps(res *engine.Result, dir, entry string) []string {
	rel := dir
	if rel == "" {
		rel = filepath.Base(res.Target)
	}
	steps := []string{"cd " + shellWord(rel)}
	switch {
	case hasFile(res, "Makefile"):
		if hasFile(res, ".env.example") {
			steps = append(steps, "make dev     # run it on 127.0.0.1 against a development-only OIDC issuer (settings: .env.example)")
		}
		steps = append(steps, "make test    # the project's own tests, with the race detector (make lint: vet, staticcheck, gosec)")
	case hasFile(res, "go.mod"):
		steps = append(steps, "go test ./...    # the service's own tests")
	}
	if n := len(res.Placeholders) + len(res.BeforeDeploy); n > 0 {
		steps = append(steps, fmt.Sprintf("do the %d thing(s) listed under \"Before you deploy\" below; secgen check lists them again", n))
	}
	steps = append(steps, fmt.Sprintf("secgen show %s    # what each control does and where it lives", entry))
	return steps
}

// maxListedFiles bounds the files listed per placeholder in the text summary
// (-o json lists them all).
const maxListedFiles = 4

// printBeforeDeploy ends the summary with the "Before you deploy" list:
// placeholder answers to replace, files to add, what the cluster must run.
func printBeforeDeploy(w io.Writer, ps []engine.PlaceholderUse, steps []engine.DeployStep) {
	if len(ps)+len(steps) == 0 {
		return
	}
	fmt.Fprintln(w, "\nBefore you deploy:")
	var files, cluster []engine.DeployStep
	for _, s := range steps {
		if s.Kind == "file" {
			files = append(files, s)
		} else {
			cluster = append(cluster, s)
		}
	}
	if len(files) > 0 {
		fmt.Fprintln(w, "\nAdd these files, which secgen does not write:")
		for _, s := range files {
			fmt.Fprintf(w, "  %s\n      %s\n", s.What, s.Why)
		}
	}
	if len(cluster) > 0 {
		fmt.Fprintln(w, "\nMake sure the cluster runs:")
		for _, s := range cluster {
			fmt.Fprintf(w, "  %s\n      %s\n", s.What, s.Why)
		}
	}
	if len(ps) == 0 {
		return
	}
	fmt.Fprintln(w, "\nReplace these placeholder answers (in the files, or generate again with --set KEY=VALUE):")
	for _, p := range ps {
		fmt.Fprintf(w, "  %s = %s\n      %s\n", p.Name, p.Value, p.Reason)
		files := p.Files
		more := ""
		if len(files) > maxListedFiles {
			more = fmt.Sprintf(" and %d more", len(files)-maxListedFiles)
			files = files[:maxListedFiles]
		}
		if len(files) > 0 {
			fmt.Fprintf(w, "      used in %s%s\n", strings.Join(files, ", "), more)
		}
	}
}

// shellWord quotes a path for the "cd" step when it needs quoting.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// hasFile reports whether the plan renders a file at path.
func hasFile(res *engine.Result, path string) bool {
	return slices.ContainsFunc(res.Plan.Files, func(f plan.File) bool { return f.Path == path })
}

func humanSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
