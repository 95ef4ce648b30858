// Package audit evaluates a catalog's audit rules (each component's
// checks.yaml) on a project's files as they are now: CEL expressions over
// parsed YAML documents, Terraform blocks, Dockerfile instructions, go.mod
// and Go source. It reports one finding per rule and place that fails,
// under the rule's control ID. It never writes to the project.
package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/controls"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
)

// MaxFileSize bounds a file the audit reads; larger files are reported as
// errors of the rules that match them.
const MaxFileSize = 4 << 20

// CostLimit bounds the work of one CEL evaluation (in CEL's cost units,
// about one per operation), so a hostile rule or a huge document cannot
// hang the audit: a rule that exceeds it is refused by name.
const CostLimit = 10_000_000

// Rule is a compiled check with the component that declares it.
type Rule struct {
	catalog.Check
	Component string

	sel, expr, when cel.Program
}

// Rules are a catalog's checks compiled once for a run.
type Rules struct {
	rules    []*Rule
	registry *controls.Registry
	renders  map[string]bool // control IDs some component of the catalog renders
}

// newEnv is the CEL environment every rule is compiled in.
func newEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("object", cel.DynType),
		cel.Variable("documents", cel.ListType(cel.DynType)),
		cel.Variable("files", cel.ListType(cel.DynType)),
		cel.Variable("path", cel.StringType),
		cel.Variable("answers", cel.MapType(cel.StringType, cel.DynType)),
		ext.Strings(),
		ext.Bindings(),
		quantityFunc(),
	)
}

// Compile compiles the checks of the named components of cat (every
// component when names is empty). An expression that does not compile is
// invalid input naming the rule.
func Compile(cat *catalog.Catalog, names []string) (*Rules, error) {
	env, err := newEnv()
	if err != nil {
		return nil, fmt.Errorf("audit: build CEL environment: %w", err)
	}
	if len(names) == 0 {
		names = cat.ComponentNames()
	}
	rs := &Rules{registry: cat.Registry, renders: map[string]bool{}}
	for _, name := range cat.ComponentNames() {
		comp, err := cat.Component(name)
		if err != nil {
			return nil, err
		}
		for _, c := range comp.Controls {
			rs.renders[c.ID] = true
		}
	}
	// Every distinct expression is compiled once, on all cores: compiling
	// is most of an audit's fixed cost.
	type job struct {
		src  string
		prg  cel.Program
		err  error
		rule string
		pos  catalog.Pos
		what string
	}
	jobs := map[string]*job{}
	var order []*job
	want := func(c catalog.Check, what, src string) {
		if src == "" {
			return
		}
		if _, ok := jobs[src]; !ok {
			j := &job{src: src, rule: c.ID, pos: c.Pos, what: what}
			jobs[src] = j
			order = append(order, j)
		}
	}
	for _, name := range names {
		comp, err := cat.Component(name)
		if err != nil {
			return nil, err
		}
		for _, c := range comp.Checks {
			if c.Pos.File == "" {
				c.Pos.File = name + "/checks.yaml"
			}
			want(c, "select", c.Select)
			want(c, "expr", c.Expr)
			want(c, "when", c.When)
			rs.rules = append(rs.rules, &Rule{Check: c, Component: name})
		}
	}
	parallel(len(order), func(i int) { order[i].prg, order[i].err = compileExpr(env, order[i].src) })
	for _, j := range order {
		if j.err != nil {
			return nil, failure.Invalidf("%s: check %s %s: %s", j.pos.Where(j.what), j.rule, j.what, oneLine(j.err.Error()))
		}
	}
	program := func(src string) cel.Program {
		if src == "" {
			return nil
		}
		return jobs[src].prg
	}
	for _, r := range rs.rules {
		r.sel, r.expr, r.when = program(r.Select), program(r.Expr), program(r.When)
	}
	return rs, nil
}

// compileExpr compiles one CEL expression into a program with the cost
// limit; constant regular expressions are compiled once.
func compileExpr(env *cel.Env, src string) (cel.Program, error) {
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	return env.Program(ast, cel.CostLimit(CostLimit), cel.EvalOptions(cel.OptOptimize))
}

// All returns the compiled rules in catalog order.
func (rs *Rules) All() []*Rule { return slices.Clone(rs.rules) }

// Finding is one place where a rule does not hold.
type Finding struct {
	Control      string `json:"control"`
	ControlTitle string `json:"control_title"`
	Rule         string `json:"rule"`
	Component    string `json:"component"`
	Severity     string `json:"severity"`
	File         string `json:"file"`
	Line         int    `json:"line"`
	Message      string `json:"message"`
	Fix          string `json:"fix"`
	// Restorable is true when the project's catalog renders the control,
	// so `secgen update` restores it.
	Restorable bool `json:"restorable"`
}

// Report is the outcome of an audit.
type Report struct {
	Components []string  `json:"components"`
	Rules      int       `json:"rules"`
	Files      int       `json:"files"`
	Findings   []Finding `json:"findings"`
	// Controls lists the control IDs the audit evaluated, registry order.
	Controls []string `json:"controls"`
}

// Request is what to audit.
type Request struct {
	// Root is the project directory.
	Root string
	// Answers are the project's recorded answers; nil when the project has
	// no manifest, in which case rules with a `when` are skipped.
	Answers map[string]any
	// Restorable says whether findings can be restored by `secgen update`
	// (the project was generated from this catalog).
	Restorable bool
	// Only, when not nil, limits the audit to these project paths (update
	// audits the files it changed).
	Only map[string]bool
	// Files, when not nil, holds the project's files instead of Root:
	// `secgen test` audits renders and broken copies in memory.
	Files fs.FS
}

// Run evaluates every rule on the project's files.
func (rs *Rules) Run(ctx context.Context, req Request) (*Report, error) {
	fsys := req.Files
	if fsys == nil {
		root, err := os.OpenRoot(req.Root)
		if err != nil {
			return nil, fmt.Errorf("audit: open %s: %w", req.Root, err)
		}
		defer root.Close()
		fsys = root.FS()
	}
	files, err := listFiles(fsys, req.Root)
	if err != nil {
		return nil, err
	}
	answers := map[string]any{}
	for k, v := range req.Answers {
		answers[k] = normalize(v)
	}
	rep := &Report{Findings: []Finding{}}
	seenComp := map[string]bool{}
	seenCtl := map[string]bool{}
	readFiles := map[string]bool{}

	// Which rules apply, and which files (in which format) each one reads.
	type active struct {
		rule *Rule
		keys []fileKey
	}
	var rules []active
	var keys []fileKey
	seenKey := map[fileKey]bool{}
	for _, r := range rs.rules {
		if !seenComp[r.Component] {
			seenComp[r.Component] = true
			rep.Components = append(rep.Components, r.Component)
		}
		if r.when != nil {
			if req.Answers == nil {
				continue
			}
			ok, _, err := evalBool(r.when, map[string]any{"answers": answers})
			if err != nil {
				return nil, refused(r, "when", err)
			}
			if !ok {
				continue
			}
		}
		rep.Rules++
		seenCtl[r.Control] = true
		a := active{rule: r}
		for _, p := range files {
			if !catalog.GlobMatch(r.Match, p) || (req.Only != nil && !req.Only[p] && r.Scope != "project") {
				continue
			}
			format := r.Format
			if format == "" {
				format = FormatOf(p)
			}
			k := fileKey{p, format}
			a.keys = append(a.keys, k)
			readFiles[p] = true
			if !seenKey[k] {
				seenKey[k] = true
				keys = append(keys, k)
			}
		}
		rules = append(rules, a)
	}

	// Read and parse every file once, on all cores.
	parsed := make([]parsedFile, len(keys))
	parseErr := make([]error, len(keys))
	index := make(map[fileKey]int, len(keys))
	for i, k := range keys {
		index[k] = i
	}
	parallel(len(keys), func(i int) {
		data, err := readFile(fsys, keys[i].path)
		if err == nil {
			parsed[i], err = parse(keys[i].path, keys[i].format, data)
		}
		parseErr[i] = err
	})

	// Evaluate every rule, on all cores; a file that cannot be read or
	// parsed is reported once, by the first rule that reads it.
	results := make([][]Finding, len(rules))
	reported := map[fileKey]bool{}
	for i, a := range rules {
		for _, k := range a.keys {
			if err := parseErr[index[k]]; err != nil && !reported[k] {
				reported[k] = true
				results[i] = append(results[i], rs.finding(a.rule, req, k.path, 1, fmt.Sprintf("cannot be read or parsed: %v", err)))
			}
		}
	}
	evalErr := make([]error, len(rules))
	parallel(len(rules), func(i int) {
		var matched []*parsedFile
		for _, k := range rules[i].keys {
			if n := index[k]; parseErr[n] == nil {
				matched = append(matched, &parsed[n])
			}
		}
		fs, err := rs.evalRule(rules[i].rule, req, answers, matched)
		results[i] = append(results[i], fs...)
		evalErr[i] = err
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(evalErr...); err != nil {
		return nil, err
	}
	for _, fs := range results {
		rep.Findings = append(rep.Findings, fs...)
	}
	rep.Files = len(readFiles)
	rep.Controls = slices.Collect(func(yield func(string) bool) {
		for id := range seenCtl {
			if !yield(id) {
				return
			}
		}
	})
	rs.registry.Sort(rep.Controls)
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule < b.Rule
	})
	return rep, nil
}

func (rs *Rules) evalRule(r *Rule, req Request, answers map[string]any, matched []*parsedFile) ([]Finding, error) {
	var out []Finding
	var err error
	fail := func(p string, line int, detail string) {
		msg := r.Message
		if detail != "" {
			msg += " (" + detail + ")"
		}
		out = append(out, rs.finding(r, req, p, line, msg))
	}
	if r.sel != nil {
		if matched, err = selectDocuments(r.sel, answers, matched); err != nil {
			return nil, refused(r, "select", err)
		}
	}
	switch r.Scope {
	case "object":
		for _, pf := range matched {
			for _, d := range pf.Documents {
				vars := map[string]any{"object": d.Value, "path": d.Path, "answers": answers, "documents": []any{}, "files": []any{}}
				ok, detail, err := evalBool(r.expr, vars)
				if err != nil {
					return nil, refused(r, "expr", err)
				}
				if !ok {
					fail(d.Path, d.Line, detail)
				}
			}
		}
	case "file":
		for _, pf := range matched {
			vars := map[string]any{"object": map[string]any{}, "path": pf.Path, "answers": answers, "documents": values(pf.Documents), "files": filesValue([]*parsedFile{pf})}
			ok, detail, err := evalBool(r.expr, vars)
			if err != nil {
				return nil, refused(r, "expr", err)
			}
			if !ok {
				fail(pf.Path, 1, detail)
			}
		}
	case "project":
		var docs []any
		for _, pf := range matched {
			docs = append(docs, values(pf.Documents)...)
		}
		if docs == nil {
			docs = []any{}
		}
		vars := map[string]any{"object": map[string]any{}, "path": "", "answers": answers, "documents": docs, "files": filesValue(matched)}
		ok, detail, err := evalBool(r.expr, vars)
		if err != nil {
			return nil, refused(r, "expr", err)
		}
		if !ok {
			p, line := globPrefix(r.Match), 0
			if len(matched) > 0 {
				p, line = matched[0].Path, 1
			}
			fail(p, line, detail)
		}
	}
	return out, nil
}

// fileKey is one file read in one format.
type fileKey struct{ path, format string }

// parallel calls f(0..n-1) on as many goroutines as there are CPUs.
func parallel(n int, f func(int)) {
	workers := min(n, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// selectDocuments keeps the documents for which sel holds; files left
// without documents are dropped.
func selectDocuments(sel cel.Program, answers map[string]any, files []*parsedFile) ([]*parsedFile, error) {
	var out []*parsedFile
	for _, pf := range files {
		kept := parsedFile{Path: pf.Path}
		for _, d := range pf.Documents {
			vars := map[string]any{"object": d.Value, "path": d.Path, "answers": answers, "documents": []any{}, "files": []any{}}
			ok, _, err := evalBool(sel, vars)
			if err != nil {
				return nil, err
			}
			if ok {
				kept.Documents = append(kept.Documents, d)
			}
		}
		if len(kept.Documents) > 0 {
			out = append(out, &kept)
		}
	}
	return out, nil
}

func (rs *Rules) finding(r *Rule, req Request, p string, line int, msg string) Finding {
	title := ""
	if c, ok := rs.registry.Lookup(r.Control); ok {
		title = c.Title
	}
	return Finding{
		Control:      r.Control,
		ControlTitle: title,
		Rule:         r.ID,
		Component:    r.Component,
		Severity:     r.Severity,
		File:         p,
		Line:         line,
		Message:      msg,
		Fix:          r.Fix,
		Restorable:   req.Restorable && rs.renders[r.Control],
	}
}

func values(docs []Document) []any {
	out := make([]any, len(docs))
	for i, d := range docs {
		out[i] = d.Value
	}
	return out
}

func filesValue(pfs []*parsedFile) []any {
	out := make([]any, len(pfs))
	for i, pf := range pfs {
		out[i] = map[string]any{"path": pf.Path, "documents": values(pf.Documents)}
	}
	return out
}

// evalBool runs a program; anything but true (including an evaluation
// error, such as a missing field) is false, with the error as detail. The
// error is the cost limit's: the rule is refused, not failed.
func evalBool(prg cel.Program, vars map[string]any) (bool, string, error) {
	out, _, err := prg.Eval(vars)
	if err != nil {
		if strings.Contains(err.Error(), "cost limit exceeded") {
			return false, "", err
		}
		return false, err.Error(), nil
	}
	return isTrue(out), "", nil
}

// refused is the error of a rule whose evaluation exceeded CostLimit.
func refused(r *Rule, field string, err error) error {
	return failure.Invalidf("%s: rule %s (component %s) is refused: its %s exceeds the CEL cost limit of %d (%v)", r.Pos.Where(field), r.ID, r.Component, field, CostLimit, err)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func isTrue(v ref.Val) bool {
	b, ok := v.(types.Bool)
	return ok && bool(b)
}

// globPrefix is the literal directory part of a pattern, used as the
// location of a project rule that matched no file.
func globPrefix(pattern string) string {
	var lit []string
	for _, seg := range strings.Split(pattern, "/") {
		if strings.ContainsAny(seg, "*?[") {
			break
		}
		lit = append(lit, seg)
	}
	if len(lit) == 0 {
		return "."
	}
	return path.Join(lit...)
}

// skipDirs are never audited: version control and secgen's own state.
var skipDirs = map[string]bool{".git": true, ".secgen": true, "node_modules": true}

// listFiles returns the regular files of fsys (the directory root) as
// slash paths, sorted, never following a symbolic link.
func listFiles(fsys fs.FS, root string) ([]string, error) {
	var out []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && skipDirs[d.Name()] {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && !manifest.Reserved(p) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit: list %s: %w", root, err)
	}
	return out, nil
}

var errTooLarge = errors.New("file too large")

func readFile(fsys fs.FS, p string) ([]byte, error) {
	info, err := lstat(fsys, p)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	if info.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %w (over %d bytes)", p, errTooLarge, MaxFileSize)
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

// lstat describes p without following a final symbolic link where fsys
// can tell (an os.Root's file system can).
func lstat(fsys fs.FS, p string) (fs.FileInfo, error) {
	if l, ok := fsys.(fs.ReadLinkFS); ok {
		return l.Lstat(p)
	}
	return fs.Stat(fsys, p)
}
