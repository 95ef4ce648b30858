package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/audit"
)

// worldCase is one directory of testdata/world: files written for the tests
// in the style of third-party repositories (not copied from any), and
// expect.yaml, the verdict the audit must reach on them.
type worldCase struct {
	// Components are the rules to audit with (the directory has no manifest).
	Components []string `yaml:"components"`
	// Config is an audit configuration file of the case, if any.
	Config string `yaml:"config"`
	// Today fixes the date waivers expire against.
	Today string `yaml:"today"`
	// Findings must each be reported (rule, file; line, object and element
	// when given).
	Findings []worldFinding `yaml:"findings"`
	// Absent are rules that must report nothing (false-positive classes).
	Absent []string `yaml:"absent"`
	// Diagnostics must each be reported (file and kind).
	Diagnostics []audit.Diagnostic `yaml:"diagnostics"`
	// Waived findings must be listed as waived, not as findings.
	Waived []worldFinding `yaml:"waived"`
	// Only says the findings listed are the only ones.
	Only bool `yaml:"only"`
	// Clean are files no finding may be about.
	Clean []string `yaml:"clean"`
	// Exact are files whose findings are exactly those listed.
	Exact []string `yaml:"exact"`
	// NoDiagnostics are files no diagnostic may be about.
	NoDiagnostics []string `yaml:"no_diagnostics"`
	// AbsentIn are rules that must report nothing about a file.
	AbsentIn map[string][]string `yaml:"absent_in"`
}

type worldFinding struct {
	Rule    string `yaml:"rule"`
	File    string `yaml:"file"`
	Line    int    `yaml:"line"`
	Object  string `yaml:"object"`
	Element string `yaml:"element"`
}

func (w worldFinding) matches(f audit.Finding) bool {
	return w.Rule == f.Rule && w.File == f.File && (w.Line == 0 || w.Line == f.Line) &&
		(w.Object == "" || w.Object == f.Object) && (w.Element == "" || w.Element == f.Element)
}

// TestWorld audits each case of the corpus and checks its verdict: the
// bypass classes are caught, the false-positive classes are not reported,
// what cannot be audited is a diagnostic.
func TestWorld(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	dirs, err := filepath.Glob("testdata/world/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no world cases (%v)", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "expect.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var c worldCase
			if err := yaml.Unmarshal(data, &c); err != nil {
				t.Fatal(err)
			}
			tree := filepath.Join(dir, "tree")
			if links, err := os.ReadFile(filepath.Join(dir, "symlinks")); err == nil {
				// Symbolic links are made by the test (git keeps them, but a
				// copy of the tree may not): one "LINK TARGET" per line.
				tree = copyTree(t, tree)
				for _, l := range strings.Split(strings.TrimSpace(string(links)), "\n") {
					link, target, _ := strings.Cut(l, " ")
					if err := os.Symlink(target, filepath.Join(tree, link)); err != nil {
						t.Fatal(err)
					}
				}
			}
			req := audit.ProjectRequest{Dir: tree, Components: c.Components, Today: c.Today}
			if c.Config != "" {
				req.ConfigFile = filepath.Join(dir, c.Config)
			}
			rep, err := audit.Project(context.Background(), cat, req)
			if err != nil {
				t.Fatal(err)
			}
			describe := func(fs []audit.Finding) string {
				var b strings.Builder
				for _, f := range fs {
					fmt.Fprintf(&b, "\n  %s %s:%d %s [%s]", f.Rule, f.File, f.Line, f.Object, f.Element)
				}
				return b.String()
			}
			for _, w := range c.Findings {
				if !slices.ContainsFunc(rep.Findings, w.matches) {
					t.Errorf("missed %+v; findings:%s", w, describe(rep.Findings))
				}
			}
			for _, w := range c.Waived {
				if !slices.ContainsFunc(rep.Waived, w.matches) {
					t.Errorf("not waived %+v; waived:%s", w, describe(rep.Waived))
				}
				if slices.ContainsFunc(rep.Findings, w.matches) {
					t.Errorf("waived finding %+v still reported", w)
				}
			}
			for _, f := range rep.Findings {
				if slices.Contains(c.Clean, f.File) {
					t.Errorf("finding in %s, which must have none: %s:%d %s: %s", f.File, f.File, f.Line, f.Rule, f.Message)
				}
				if slices.Contains(c.Absent, f.Rule) {
					t.Errorf("false statement: %s %s:%d %s [%s]: %s", f.Rule, f.File, f.Line, f.Object, f.Element, f.Message)
				}
				if slices.Contains(c.AbsentIn[f.File], f.Rule) {
					t.Errorf("false statement about %s: %s:%d %s [%s]: %s", f.File, f.Rule, f.Line, f.Object, f.Element, f.Message)
				}
				listed := slices.ContainsFunc(c.Findings, func(w worldFinding) bool { return w.matches(f) })
				if slices.Contains(c.Exact, f.File) && !listed {
					t.Errorf("unexpected finding in %s: %s:%d %s [%s]: %s", f.File, f.Rule, f.Line, f.Object, f.Element, f.Message)
				}
				if c.Only && !listed {
					t.Errorf("unexpected finding %s %s:%d %s [%s]: %s", f.Rule, f.File, f.Line, f.Object, f.Element, f.Message)
				}
				if strings.Contains(f.Message, "no such") || strings.Contains(f.Message, "cost limit") {
					t.Errorf("a raw CEL error reached a message: %s", f.Message)
				}
			}
			for _, d := range rep.Diagnostics {
				if slices.Contains(c.NoDiagnostics, d.File) {
					t.Errorf("diagnostic about %s, which must have none: %+v", d.File, d)
				}
			}
			for _, w := range c.Diagnostics {
				if !slices.ContainsFunc(rep.Diagnostics, func(d audit.Diagnostic) bool {
					return d.File == w.File && d.Kind == w.Kind && (w.Line == 0 || d.Line == w.Line)
				}) {
					t.Errorf("no %s diagnostic for %s; diagnostics: %+v", w.Kind, w.File, rep.Diagnostics)
				}
			}
		})
	}
}
