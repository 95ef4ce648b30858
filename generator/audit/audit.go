// Package audit evaluates a catalog's audit rules (each component's
// checks.yaml) on a project's files as they are now: CEL expressions over
// parsed YAML documents, Terraform blocks, Dockerfile instructions, go.mod
// and Go source. It reports one finding per rule and place that fails,
// under the rule's control ID. It never writes to the project.
package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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
// hang the audit: a rule over it is reported by name, not evaluated on.
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
		cel.Variable("pod", cel.DynType),
		cel.Variable("container", cel.DynType),
		cel.Variable("job", cel.DynType),
		cel.Variable("job_id", cel.StringType),
		cel.Variable("step", cel.DynType),
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
		checks, err := comp.Checks()
		if err != nil {
			return nil, err
		}
		for _, c := range checks {
			if c.Pos.File == "" {
				c.Pos.File = name + "/checks.yaml"
			}
			want(c, "select", c.Select)
			want(c, "expr", c.Expr)
			want(c, "when", c.When)
			rs.rules = append(rs.rules, &Rule{Check: c, Component: name})
		}
	}
	patterns := newPatternCache()
	parallel(len(order), func(i int) { order[i].prg, order[i].err = compileExpr(env, patterns, order[i].src) })
	for _, j := range order {
		if j.err != nil {
			return nil, failure.Invalidf("%s: check %s %s: %s", j.pos.Where(j.what), j.rule, j.what, strings.Join(strings.Fields(j.err.Error()), " "))
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
// limit; constant regular expressions are compiled once (patterns).
func compileExpr(env *cel.Env, patterns *patternCache, src string) (cel.Program, error) {
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	return env.Program(ast, cel.CostLimit(CostLimit), cel.EvalOptions(cel.OptOptimize), matchesOptimizations(patterns))
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
	// Object names the object the finding is about ("Deployment/api",
	// "resource aws_iam_policy.ci"); empty for file and project rules.
	Object string `json:"object,omitempty"`
	// Element names the container, job or step inside Object.
	Element string `json:"element,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
	// Restorable is true when the project's catalog renders the control,
	// so `secgen update` restores it.
	Restorable bool `json:"restorable"`
	// Waiver is the accepted exception that waives the finding (waived
	// findings only).
	Waiver *Waiver `json:"waiver,omitempty"`
}

// The kinds of diagnostic.
const (
	// DiagParse: a file, or one YAML document, does not parse.
	DiagParse = "parse"
	// DiagNotAudited: a file a rule matches was not read (a symbolic link,
	// too large, binary or not UTF-8).
	DiagNotAudited = "not-audited"
	// DiagEvaluation: a rule could not be evaluated on a document within
	// its cost limit.
	DiagEvaluation = "evaluation"
	// DiagWaiver: a waiver is malformed or expired, and waives nothing.
	DiagWaiver = "waiver"
)

// Diagnostic is something the audit could not look at, and why. It is
// never a finding: it says what was not audited.
type Diagnostic struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Kind   string `json:"kind"`
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason"`
	// Fails is true when what was not audited could hide a finding (a
	// manifest that does not parse, a symbolic link, a rule over its cost
	// limit): the audit then fails, as it would on a finding. A binary file
	// matched only by text rules, or an expired waiver, does not fail it.
	Fails bool `json:"fails"`
}

// Incomplete counts the diagnostics that fail the audit.
func (r *Report) Incomplete() int {
	n := 0
	for _, d := range r.Diagnostics {
		if d.Fails {
			n++
		}
	}
	return n
}

// Report is the outcome of an audit.
type Report struct {
	Components []string  `json:"components"`
	Rules      int       `json:"rules"`
	Files      int       `json:"files"`
	Findings   []Finding `json:"findings"`
	// Waived are the findings an accepted exception (inline waiver,
	// configuration or baseline) covers; they do not fail the audit.
	Waived []Finding `json:"waived"`
	// Diagnostics are the files and documents that were not audited.
	Diagnostics []Diagnostic `json:"diagnostics"`
	// Controls lists the control IDs the audit evaluated, registry order.
	Controls []string `json:"controls"`
	// HasManifest says the audited directory has a manifest.
	HasManifest bool `json:"-"`
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
	// Generated lists the components the project's manifest records; rules
	// marked generated run only for these.
	Generated map[string]bool
	// Exclude are globs of project paths not audited.
	Exclude []string
	// Waivers are accepted exceptions (configuration and baseline).
	Waivers []Waiver
	// Today is the date waivers' expiry is compared with (YYYY-MM-DD);
	// empty means the current date.
	Today string
	// Files, when not nil, holds the project's files instead of Root:
	// `secgen test` audits renders and broken copies in memory.
	Files fs.FS
}

// Run evaluates every rule on the project's files.
func (rs *Rules) Run(ctx context.Context, req Request) (*Report, error) {
	root := req.Files
	if root == nil {
		r, err := os.OpenRoot(req.Root)
		if err != nil {
			return nil, fmt.Errorf("audit: open %s: %w", req.Root, err)
		}
		defer r.Close()
		root = r.FS()
	}
	files, excludedFiles, skipped, err := listFiles(root, req.Root, req.Exclude)
	if err != nil {
		return nil, err
	}
	answers := map[string]any{}
	for k, v := range req.Answers {
		answers[k] = normalize(v)
	}
	rep := &Report{Findings: []Finding{}, Waived: []Finding{}, Diagnostics: []Diagnostic{}, HasManifest: req.Generated != nil}
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
	matchCache := map[string][]string{} // pattern -> the files it matches
	charts := helmCharts(files)
	seenKey := map[fileKey]bool{}
	for _, r := range rs.rules {
		if !seenComp[r.Component] {
			seenComp[r.Component] = true
			rep.Components = append(rep.Components, r.Component)
		}
		if r.Generated && !req.Generated[r.Component] {
			continue
		}
		if r.when != nil {
			if req.Answers == nil {
				continue
			}
			if ok, _ := evalBool(r.when, map[string]any{"answers": answers}); !ok {
				continue
			}
		}
		rep.Rules++
		seenCtl[r.Control] = true
		a := active{rule: r}
		hits, ok := matchCache[r.Match]
		if !ok {
			g := catalog.CompileGlob(r.Match)
			for _, p := range files {
				if g.Match(p) {
					hits = append(hits, p)
				}
			}
			matchCache[r.Match] = hits
		}
		for _, p := range hits {
			if req.Only != nil && !req.Only[p] && r.Scope != "project" {
				continue
			}
			format := r.Format
			if format == "" {
				format = FormatOf(p)
			}
			if chart := charts.source(p); chart != "" && format == "yaml" {
				// A Helm chart's templates are not Kubernetes objects
				// until rendered: the chart is one diagnostic.
				charts.judged[chart] = true
				continue
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
	rep.Diagnostics = append(rep.Diagnostics, charts.diagnostics()...)
	// A skipped file (symbolic link, special file) that some rule would
	// have read is said not to be audited.
	for _, sk := range skipped {
		for _, a := range rules {
			if catalog.GlobMatch(a.rule.Match, sk.File) && (req.Only == nil || req.Only[sk.File]) {
				rep.Diagnostics = append(rep.Diagnostics, sk)
				break
			}
		}
	}

	// Kustomize patch fragments are seen only by fragment rules, unless an
	// overlay that applies them was built: its objects are then audited as
	// they will be applied, and the patches through them. The overlays are
	// built while the files are parsed.
	var objectRules []*Rule
	for _, a := range rules {
		if builtRule(a.rule) {
			objectRules = append(objectRules, a.rule)
		}
	}
	builds := make(chan *kustomizeBuilds, 1)
	go func() { builds <- kustomizeAll(ctx, root, files, excludedFiles, objectRules, req.Only != nil) }()

	// Read and parse every file once, on all cores.
	parsed := make([]parsedFile, len(keys))
	diags := make([][]Diagnostic, len(keys))
	index := make(map[fileKey]int, len(keys))
	for i, k := range keys {
		index[k] = i
	}
	read := map[string]int{} // path -> first key index, so a file read in two formats is reported once
	textOnly := map[string]bool{}
	for i, k := range keys {
		if _, ok := read[k.path]; !ok {
			read[k.path] = i
			textOnly[k.path] = true
		}
		textOnly[k.path] = textOnly[k.path] && k.format == "text"
	}
	parallel(len(keys), func(i int) {
		data, reason := readFile(root, keys[i].path)
		if reason != "" {
			if read[keys[i].path] == i {
				diags[i] = []Diagnostic{{File: keys[i].path, Kind: DiagNotAudited, Reason: reason, Fails: !textOnly[keys[i].path]}}
			}
			parsed[i] = parsedFile{Path: keys[i].path}
			return
		}
		parsed[i], diags[i] = parse(keys[i].path, keys[i].format, data)
	})
	for _, d := range diags {
		rep.Diagnostics = append(rep.Diagnostics, d...)
	}

	fragments := patchFragments(root, files)
	kb := <-builds
	rep.Diagnostics = append(rep.Diagnostics, kb.diags...)

	// Evaluate every rule, on all cores: a project rule at once, any other
	// one file at a time (its findings are the same, file by file), so one
	// rule over every file is no longer than the rest together.
	type unit struct {
		rule    int
		matched []*parsedFile
	}
	var units []unit
	for i, a := range rules {
		var matched []*parsedFile
		for _, k := range a.keys {
			if kb.patches[k.path] {
				continue
			}
			if fragments[k.path] == a.rule.Fragments {
				matched = append(matched, &parsed[index[k]])
			}
		}
		if builtRule(a.rule) {
			g := catalog.CompileGlob(a.rule.Match)
			for j := range kb.files {
				if g.Match(kb.files[j].Path) {
					matched = append(matched, &kb.files[j])
				}
			}
		}
		if a.rule.Scope == "project" || len(matched) <= 1 {
			units = append(units, unit{i, matched})
			continue
		}
		for j := range matched {
			units = append(units, unit{i, matched[j : j+1]})
		}
	}
	results := make([][]Finding, len(units))
	evalDiags := make([][]Diagnostic, len(units))
	parallel(len(units), func(u int) {
		results[u], evalDiags[u] = rs.evalRule(rules[units[u].rule].rule, req, answers, units[u].matched)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	isExcluded := map[string]bool{}
	for _, p := range excludedFiles {
		isExcluded[p] = true
	}
	for _, d := range evalDiags {
		for _, x := range d {
			if x.Line < 0 {
				l := kb.locs[-x.Line-1]
				x.File, x.Line = l.file, l.line
			}
			if isExcluded[x.File] {
				continue
			}
			rep.Diagnostics = append(rep.Diagnostics, x)
		}
	}
	var all []Finding
	for _, fs := range results {
		all = append(all, fs...)
	}
	// A built overlay's finding that traces back to an excluded file is out
	// of the audit's scope, like the file itself.
	all = slices.DeleteFunc(kb.remap(all), func(f Finding) bool { return isExcluded[f.File] })
	inline := inlineWaivers(parsed)
	today := req.Today
	if today == "" {
		today = time.Now().UTC().Format(time.DateOnly)
	}
	waivers := append(slices.Clone(req.Waivers), inline.waivers...)
	rep.Diagnostics = append(rep.Diagnostics, inline.diags...)
	rep.Diagnostics = append(rep.Diagnostics, checkWaivers(waivers, today)...)
	for _, f := range all {
		if w := matchWaiver(waivers, f, today); w != nil {
			f.Waiver = w
			rep.Waived = append(rep.Waived, f)
			continue
		}
		rep.Findings = append(rep.Findings, f)
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
	sortFindings(rep.Findings)
	sortFindings(rep.Waived)
	sort.SliceStable(rep.Diagnostics, func(i, j int) bool {
		a, b := rep.Diagnostics[i], rep.Diagnostics[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule < b.Rule
	})
	rep.Diagnostics = slices.Compact(rep.Diagnostics)
	return rep, nil
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Element < b.Element
	})
}

// evalRule evaluates one rule on its matched files.
func (rs *Rules) evalRule(r *Rule, req Request, answers map[string]any, matched []*parsedFile) ([]Finding, []Diagnostic) {
	var (
		out   []Finding
		diags []Diagnostic
	)
	// check evaluates the rule's expression; a cost overrun is a
	// diagnostic, any other failure (a missing field, a false result) a
	// finding at the offending element's line.
	check := func(vars map[string]any, d *Document, object, elem, elemPath string) {
		ok, detail, tooCostly := eval(r.expr, vars)
		if ok {
			return
		}
		if tooCostly {
			diags = append(diags, Diagnostic{File: d.Path, Line: d.Line, Kind: DiagEvaluation, Rule: r.ID, Fails: true, Reason: "rule " + r.ID + " exceeds its evaluation cost limit on this document; it was not audited by that rule"})
			return
		}
		msg := r.Message
		if detail != "" {
			msg += " (" + detail + ")"
		}
		f := rs.finding(r, req, d.Path, lineOf(d, r.At, elemPath, vars), msg)
		f.Object, f.Element = object, elem
		out = append(out, f)
	}
	base := func(d *Document) map[string]any {
		pod, _ := podVar(d.Value)
		return map[string]any{"object": d.Value, "path": d.Path, "answers": answers, "documents": []any{}, "files": []any{},
			"pod": pod, "container": map[string]any{}, "job": map[string]any{}, "job_id": "", "step": map[string]any{}}
	}
	if r.sel != nil {
		matched = selectDocuments(r.sel, answers, matched, base)
	}
	switch r.Scope {
	case "object":
		for _, pf := range matched {
			for i := range pf.Documents {
				d := &pf.Documents[i]
				check(base(d), d, objectName(d), "", "")
			}
		}
	case "container", "job", "step":
		for _, pf := range matched {
			for i := range pf.Documents {
				d := &pf.Documents[i]
				var els []element
				switch r.Scope {
				case "container":
					els = containers(d.Value)
				case "job":
					els = jobs(d.Value)
				default:
					els = steps(d.Value)
				}
				for _, el := range els {
					vars := base(d)
					maps.Copy(vars, el.Vars)
					check(vars, d, objectName(d), el.Name, el.Path)
				}
			}
		}
	case "file":
		for _, pf := range matched {
			vars := map[string]any{"object": map[string]any{}, "path": pf.Path, "answers": answers, "documents": values(pf.Documents), "files": filesValue([]*parsedFile{pf}),
				"pod": map[string]any{}, "container": map[string]any{}, "job": map[string]any{}, "job_id": "", "step": map[string]any{}}
			check(vars, &Document{Path: pf.Path, Line: 1}, "", "", "")
		}
	case "project":
		var docs []any
		for _, pf := range matched {
			docs = append(docs, values(pf.Documents)...)
		}
		if docs == nil {
			docs = []any{}
		}
		vars := map[string]any{"object": map[string]any{}, "path": "", "answers": answers, "documents": docs, "files": filesValue(matched),
			"pod": map[string]any{}, "container": map[string]any{}, "job": map[string]any{}, "job_id": "", "step": map[string]any{}}
		p, line := globPrefix(r.Match), 0
		if len(matched) > 0 {
			p, line = matched[0].Path, 1
		}
		check(vars, &Document{Path: p, Line: line}, "", "", "")
	}
	return out, diags
}

// lineOf is the line a finding points at: the first of the rule's `at`
// fields present under the element (for a container, an inherited
// securityContext field is looked for in the pod's), else the element's
// own line, else the document's.
func lineOf(d *Document, at []string, elemPath string, vars map[string]any) int {
	if d.Lines == nil {
		return d.Line
	}
	podPath := ""
	if _, ok := vars["container"].(map[string]any)["type"]; ok {
		_, podPath = podSpec(d.Value)
	}
	// The element's own fields first, then the pod's fields it inherits.
	for _, f := range at {
		if f, ok := strings.CutPrefix(f, "pod."); ok {
			_, pp := podSpec(d.Value)
			if l, ok := d.Lines[joinPath(pp, f)]; ok {
				return l
			}
			continue
		}
		if l, ok := d.Lines[joinPath(elemPath, f)]; ok {
			return l
		}
	}
	if podPath != "" {
		for _, f := range at {
			if rest, ok := strings.CutPrefix(f, "securityContext."); ok {
				if l, ok := d.Lines[joinPath(podPath, "securityContext."+rest)]; ok {
					return l
				}
			}
		}
	}
	if elemPath != "" {
		if l, ok := d.Lines[elemPath]; ok {
			return l
		}
	}
	return d.Line
}

// objectName names a document for a finding: KIND/NAME for a Kubernetes
// object, TYPE LABELS for a Terraform block, the instruction for a
// Dockerfile.
func objectName(d *Document) string {
	v := d.Value
	if kind, ok := v["kind"].(string); ok {
		if _, ok := v["apiVersion"]; ok {
			name := ""
			if md, ok := v["metadata"].(map[string]any); ok {
				name, _ = md["name"].(string)
			}
			return kind + "/" + name
		}
	}
	if t, ok := v["type"].(string); ok {
		if labels, ok := v["labels"].([]any); ok {
			parts := []string{}
			for _, l := range labels {
				parts = append(parts, fmt.Sprint(l))
			}
			if t == "attributes" {
				return "top-level attributes"
			}
			return strings.TrimSpace(t + " " + strings.Join(parts, "."))
		}
	}
	if c, ok := v["cmd"].(string); ok {
		return strings.ToUpper(c) + " instruction"
	}
	return ""
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
func selectDocuments(sel cel.Program, answers map[string]any, files []*parsedFile, base func(*Document) map[string]any) []*parsedFile {
	var out []*parsedFile
	for _, pf := range files {
		kept := parsedFile{Path: pf.Path}
		for i := range pf.Documents {
			if ok, _ := evalBool(sel, base(&pf.Documents[i])); ok {
				kept.Documents = append(kept.Documents, pf.Documents[i])
			}
		}
		if len(kept.Documents) > 0 {
			out = append(out, &kept)
		}
	}
	return out
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
// error) is false.
func evalBool(prg cel.Program, vars map[string]any) (bool, string) {
	ok, detail, _ := eval(prg, vars)
	return ok, detail
}

// eval runs a program. A false result or an evaluation error fails; the
// detail never carries CEL's own message: a missing field is named, any
// other error said to be one. tooCostly reports a cost-limit overrun.
func eval(prg cel.Program, vars map[string]any) (ok bool, detail string, tooCostly bool) {
	out, _, err := prg.Eval(vars)
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "cost limit exceeded"):
			return false, "", true
		case strings.HasPrefix(msg, "no such key: "):
			return false, "field " + strconv.Quote(strings.TrimPrefix(msg, "no such key: ")) + " is missing", false
		default:
			return false, "a value does not have the shape the rule expects", false
		}
	}
	return isTrue(out), "", false
}

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

// listFiles returns the regular files under root as slash paths, sorted,
// never following a symbolic link, without the excluded ones; excludedFiles
// are the regular files of the excluded paths (a kustomize build still reads
// them, since a deploy applies them, but no finding is reported in them);
// skipped lists the symbolic links and special files met, as diagnostics.
func listFiles(fsys fs.FS, root string, exclude []string) (files, excludedFiles []string, skipped []Diagnostic, err error) {
	excluded := func(p string) bool {
		for _, g := range exclude {
			if catalog.GlobMatch(g, p) || catalog.GlobMatch(g+"/**", p) {
				return true
			}
		}
		return false
	}
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && skipDirs[d.Name()] {
				return fs.SkipDir
			}
			return nil
		}
		if excluded(p) {
			if d.Type().IsRegular() && !manifest.Reserved(p) {
				excludedFiles = append(excludedFiles, p)
			}
			return nil
		}
		switch {
		case manifest.Reserved(p):
		case d.Type().IsRegular():
			files = append(files, p)
		case d.Type()&fs.ModeSymlink != 0:
			skipped = append(skipped, Diagnostic{File: p, Kind: DiagNotAudited, Fails: true, Reason: "a symbolic link, which the audit never follows; audit the file it points to, or replace the link with the file"})
		default:
			skipped = append(skipped, Diagnostic{File: p, Kind: DiagNotAudited, Fails: true, Reason: "not a regular file"})
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("audit: list %s: %w", root, err)
	}
	return files, excludedFiles, skipped, nil
}

// readFile reads one project file; reason says why it was not read (too
// large, binary, not UTF-8, unreadable), for a not-audited diagnostic.
func readFile(root fs.FS, p string) (data []byte, reason string) {
	info, err := lstat(root, p)
	if err != nil {
		return nil, "cannot be read: " + describe(err)
	}
	if !info.Mode().IsRegular() {
		return nil, "not a regular file"
	}
	if info.Size() > MaxFileSize {
		return nil, fmt.Sprintf("larger than the audit reads (%d MiB)", MaxFileSize>>20)
	}
	f, err := root.Open(p)
	if err != nil {
		return nil, "cannot be read: " + describe(err)
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	switch {
	case err != nil:
		return nil, "cannot be read: " + describe(err)
	case len(data) > MaxFileSize:
		return nil, fmt.Sprintf("larger than the audit reads (%d MiB)", MaxFileSize>>20)
	case bytes.IndexByte(data, 0) >= 0:
		return nil, "a binary file (it holds NUL bytes)"
	case !utf8.Valid(data):
		return nil, "not UTF-8 text"
	}
	return data, ""
}

// lstat describes p without following a final symbolic link where fsys
// can tell (an os.Root's file system can).
func lstat(fsys fs.FS, p string) (fs.FileInfo, error) {
	if l, ok := fsys.(fs.ReadLinkFS); ok {
		return l.Lstat(p)
	}
	return fs.Stat(fsys, p)
}

// describe is an I/O error without the path (the diagnostic names it).
func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
