package goldentest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing/fstest"

	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/plan"
)

// BreakageStatus is the outcome of one breakage.
type BreakageStatus string

// The statuses of a breakage.
const (
	// Caught: the breakage's rule failed under its control.
	Caught BreakageStatus = "caught"
	// Missed: the broken tree passed the breakage's rule.
	Missed BreakageStatus = "missed"
	// Broken: the breakage could not be applied (its golden case is
	// unknown or did not render, an edit's text is not in the file).
	Broken BreakageStatus = "error"
)

// BreakageResult is the outcome of one breakage of the catalog.
type BreakageResult struct {
	Component string         `json:"component"`
	Name      string         `json:"name"`
	Rule      string         `json:"rule"`
	Control   string         `json:"control"`
	Golden    string         `json:"golden"`
	Status    BreakageStatus `json:"status"`
	// File and Line locate the breakage's declaration, File relative to
	// the catalog root (templates/<component>/breakages.yaml).
	File string `json:"file"`
	Line int    `json:"line"`
	// Fired lists the rules that failed on the broken tree, for a miss.
	Fired []string `json:"fired,omitempty"`
	// Err is why a breakage has status Broken.
	Err error `json:"-"`
}

// Report is the outcome of Prove: every case, then every breakage of the
// catalog in catalog order.
type Report struct {
	Cases     []Result
	Breakages []BreakageResult
}

// Failed reports whether any case differs, fails to render, fails its
// audit, or any breakage is not caught.
func (r *Report) Failed() bool {
	for _, c := range r.Cases {
		if c.Status == Fail || c.Status == Error || len(c.Findings) > 0 || len(c.Diagnostics) > 0 {
			return true
		}
	}
	for _, b := range r.Breakages {
		if b.Status != Caught {
			return true
		}
	}
	return false
}

// Prove is `secgen test`: it renders and compares every case as Run does,
// audits every render with the catalog's own rules (the components its
// manifest records; for an add case, the added one), and applies every
// breakage of the catalog to the render of its golden case, in memory,
// expecting its rule to fail under its control. Each case's audit findings
// go to its Result.Findings, and what the audit could not judge (a rule
// over the CEL cost limit, audit.CostLimit, named) to its Diagnostics. An
// error means the rules cannot run at all: an expression does not compile.
func Prove(ctx context.Context, cat *catalog.Catalog, cases []Case, opt Options) (*Report, error) {
	rules, err := audit.Compile(cat, nil)
	if err != nil {
		return nil, err
	}
	results, plans := run(ctx, cat, cases, opt)
	trees := make([]fstest.MapFS, len(cases))
	byName := map[string]int{}
	for i, c := range cases {
		byName[c.Name] = i
		if plans[i] != nil {
			trees[i] = treeFS(plans[i])
		}
	}
	rep := &Report{Cases: results}
	type job struct {
		cas int // a case to audit, or -1
		brk int // a breakage, or -1
	}
	var jobs []job
	for i := range cases {
		if trees[i] != nil {
			jobs = append(jobs, job{cas: i, brk: -1})
		}
	}
	var breakages []catalog.Breakage
	for _, name := range cat.ComponentNames() {
		comp, err := cat.Component(name)
		if err != nil {
			return nil, err
		}
		compBreakages, err := comp.Breakages()
		if err != nil {
			return nil, err
		}
		for _, b := range compBreakages {
			rep.Breakages = append(rep.Breakages, BreakageResult{
				Component: name, Name: b.Name, Rule: b.Rule, Control: b.Control, Golden: b.Golden,
				File: "templates/" + b.Pos.File, Line: b.Pos.Line,
			})
			breakages = append(breakages, b)
			jobs = append(jobs, job{cas: -1, brk: len(breakages) - 1})
		}
	}
	errs := make([]error, len(jobs))
	parallelDo(len(jobs), func(k int) {
		if ctx.Err() != nil {
			return
		}
		j := jobs[k]
		if j.cas >= 0 {
			c := cases[j.cas]
			rep, err := auditTree(ctx, cat, rules, trees[j.cas], addOf(c), "")
			if err != nil {
				errs[k] = fmt.Errorf("golden case %s: %w", c.Name, err)
				return
			}
			results[j.cas].Findings = rep.Findings
			for _, d := range rep.Diagnostics {
				if d.Fails {
					results[j.cas].Diagnostics = append(results[j.cas].Diagnostics, d)
				}
			}
			return
		}
		b, res := breakages[j.brk], &rep.Breakages[j.brk]
		i, ok := byName[b.Golden]
		switch {
		case !ok:
			res.Status, res.Err = Broken, failure.Invalidf("%s:%d: golden %s is not a golden case of the catalog", res.File, b.Pos.At("golden"), failure.Quote(b.Golden))
			return
		case trees[i] == nil:
			res.Status, res.Err = Broken, fmt.Errorf("%s:%d: golden case %s did not render", res.File, b.Pos.At("golden"), b.Golden)
			return
		}
		if !slices.Contains(audited(cat, rules, trees[i], addOf(cases[i])), res.Component) {
			res.Status, res.Err = Broken, failure.Invalidf("%s:%d: golden case %s does not apply component %s, so rule %s never runs on it", res.File, b.Pos.At("golden"), b.Golden, res.Component, b.Rule)
			return
		}
		broken, err := applyEdits(trees[i], b)
		if err != nil {
			res.Status, res.Err = Broken, err
			return
		}
		// Whether the rule catches the breakage is decided by the rule
		// alone (rules are evaluated independently); only a missed one is
		// audited whole, to say which rules fired instead.
		res.Status = Missed
		for _, only := range []string{b.Rule, ""} {
			audit, err := auditTree(ctx, cat, rules, broken, addOf(cases[i]), only)
			if err != nil {
				errs[k] = fmt.Errorf("breakage %q (%s:%d): %w", b.Name, res.File, res.Line, err)
				return
			}
			for _, f := range audit.Findings {
				if f.Rule == b.Rule && f.Control == b.Control {
					res.Status = Caught
				}
				if only == "" && !slices.Contains(res.Fired, f.Rule) {
					res.Fired = append(res.Fired, f.Rule)
				}
			}
			if res.Status == Caught {
				return
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rep, nil
}

// addOf is the component an add case's tree holds, the only one its audit
// may judge; nil for other cases (their manifest names the components).
func addOf(c Case) []string {
	if c.Spec.Add != "" {
		return []string{c.Spec.Add}
	}
	return nil
}

// audited returns the components whose rules audit a tree.
func audited(cat *catalog.Catalog, rules *audit.Rules, tree fs.FS, components []string) []string {
	rs, _, err := rules.ForFiles(cat, tree, components)
	if err != nil {
		return nil
	}
	var out []string
	for _, r := range rs.All() {
		if !slices.Contains(out, r.Component) {
			out = append(out, r.Component)
		}
	}
	return out
}

// auditTree audits a tree held in memory with the catalog's rules, or
// with the rule whose ID is only alone when only is not empty.
func auditTree(ctx context.Context, cat *catalog.Catalog, rules *audit.Rules, tree fs.FS, components []string, only string) (*audit.Report, error) {
	rs, req, err := rules.ForFiles(cat, tree, components)
	if err != nil {
		return nil, err
	}
	if only != "" {
		rs = rs.Rule(only)
	}
	return rs.Run(ctx, req)
}

// treeFS holds a render in memory, as the audit reads a project.
func treeFS(p *plan.Plan) fstest.MapFS {
	m := make(fstest.MapFS, len(p.Files))
	for _, f := range p.Files {
		m[f.Path] = &fstest.MapFile{Data: f.Content, Mode: f.Mode}
	}
	return m
}

// applyEdits returns a copy of tree with the breakage's edits applied. An
// edit that cannot apply (its file is missing, its text absent) is an error
// naming the breakages file, line and field.
func applyEdits(tree fstest.MapFS, b catalog.Breakage) (fstest.MapFS, error) {
	out := make(fstest.MapFS, len(tree))
	for p, f := range tree {
		out[p] = f
	}
	for j, e := range b.Edits {
		bad := func(field, format string, args ...any) error {
			return failure.Invalidf("templates/%s: breakage %q, edits[%d] %s: %s", e.Pos.Where(field), b.Name, j, field, fmt.Sprintf(format, args...))
		}
		f, ok := out[e.File]
		if e.Write != nil {
			mode := fs.FileMode(plan.ModeFile)
			if ok {
				mode = f.Mode
			}
			out[e.File] = &fstest.MapFile{Data: []byte(*e.Write), Mode: mode}
			continue
		}
		if !ok {
			return nil, bad("file", "golden case %s has no file %s", b.Golden, failure.Quote(e.File))
		}
		text := string(f.Data)
		switch {
		case e.Remove:
			delete(out, e.File)
			continue
		case e.Move != "":
			delete(out, e.File)
			out[e.Move] = f
			continue
		case e.Replace != "":
			if !strings.Contains(text, e.Replace) {
				return nil, bad("replace", "the text is not in %s of golden case %s", e.File, b.Golden)
			}
			text = strings.Replace(text, e.Replace, e.With, 1)
		case e.Regexp != "":
			re := regexp.MustCompile(e.Regexp) // validated by catalog.Load
			if !re.MatchString(text) {
				return nil, bad("regexp", "the expression matches nothing in %s of golden case %s", e.File, b.Golden)
			}
			text = re.ReplaceAllString(text, e.With)
		case e.Append != "":
			text += e.Append
		}
		out[e.File] = &fstest.MapFile{Data: []byte(text), Mode: f.Mode}
	}
	return out, nil
}

// parallelDo calls f(0..n-1) on as many goroutines as there are CPUs.
func parallelDo(n int, f func(int)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(n, max(1, runtime.GOMAXPROCS(0))) {
		wg.Go(func() {
			for i := range work {
				f(i)
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}
