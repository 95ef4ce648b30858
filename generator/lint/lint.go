// Package lint runs the static checks of `secgen lint` on a loaded catalog:
// free text reaches files only through its language's quoting function,
// every declared question is used, every control ID a template cites is
// defined, and every component, action pin and template a template names
// exists. Schema and the references between declarations are checked before,
// by catalog.Load. Lint never renders anything and never prints.
package lint

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"text/template/parse"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/lazyre"
)

// The checks, as named in findings.
const (
	CheckQuoting   = "quoting"
	CheckUnused    = "unused-question"
	CheckControl   = "undefined-control"
	CheckReference = "dangling-reference"
	CheckSyntax    = "template-syntax"
	CheckRuleExpr  = "rule-expression"
	CheckRuleMatch = "rule-match"
	CheckUnproven  = "unproven-control"
	CheckUntested  = "untested-rule"
)

// The severities of findings: an error fails lint (exit 1), a warning is
// reported only.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Finding is one problem, located in a catalog file.
type Finding struct {
	// File is the path relative to the catalog root, slash-separated,
	// such as templates/k8s/files/deploy/k8s/base/deployment.yaml.tmpl.
	File string `json:"file"`
	// Line is 1-based; 0 when the finding concerns the whole file.
	Line    int    `json:"line,omitempty"`
	Check   string `json:"check"`
	Message string `json:"message"`
	// Severity is SeverityError or SeverityWarning.
	Severity string `json:"severity"`
}

// String formats the finding as "file:line: message (check)", with
// "warning: " before the message of a warning.
func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc += ":" + strconv.Itoa(f.Line)
	}
	if f.Severity == SeverityWarning {
		return fmt.Sprintf("%s: warning: %s (%s)", loc, f.Message, f.Check)
	}
	return fmt.Sprintf("%s: %s (%s)", loc, f.Message, f.Check)
}

// Errors counts the findings that are errors.
func Errors(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Severity != SeverityWarning {
			n++
		}
	}
	return n
}

// Run lints a catalog that catalog.Load accepted from src. Findings are
// sorted by file and line; an error means a file could not be read.
func Run(ctx context.Context, src catalog.Source, cat *catalog.Catalog) ([]Finding, error) {
	l := &linter{
		cat:     cat,
		src:     src,
		freeQ:   map[string]bool{},
		refs:    map[string]bool{},
		areas:   map[string]bool{},
		reports: map[Finding]bool{},
	}
	for _, c := range cat.Registry.All() {
		area, _, _ := strings.Cut(c.ID, "-")
		l.areas[area] = true
	}
	for _, q := range cat.Shared {
		if FreeText(q) {
			l.freeQ[q.Name] = true
		}
	}
	for _, name := range cat.ComponentNames() {
		comp, _ := cat.Component(name)
		for _, q := range comp.Questions {
			if FreeText(q) {
				l.freeQ[q.Name] = true
			}
		}
	}
	for _, name := range cat.ComponentNames() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		comp, _ := cat.Component(name)
		if err := l.component(comp); err != nil {
			return nil, err
		}
	}
	for _, name := range cat.BlueprintNames() {
		bp, _ := cat.Blueprint(name)
		for _, node := range bp.Defaults {
			if node.Kind == yaml.ScalarNode && strings.Contains(node.Value, "{{") {
				l.refsIn("blueprints/"+name+".yaml", node.Value)
			}
		}
	}
	if err := l.unused(); err != nil {
		return nil, err
	}
	if err := l.rules(); err != nil {
		return nil, err
	}
	out := make([]Finding, 0, len(l.reports))
	for f := range l.reports {
		out = append(out, f)
	}
	sortFindings(out)
	return out, nil
}

// sortFindings orders findings by file, line and message.
func sortFindings(fs []Finding) {
	sort.Slice(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Message < b.Message
	})
}

type linter struct {
	cat     *catalog.Catalog
	src     catalog.Source
	freeQ   map[string]bool // free-text question names
	refs    map[string]bool // question names some template reads
	areas   map[string]bool // control areas of the registry
	reports map[Finding]bool
}

func (l *linter) report(file string, line int, check, msg string) {
	l.reports[Finding{File: file, Line: line, Check: check, Message: msg, Severity: SeverityError}] = true
}

func (l *linter) warn(file string, line int, check, msg string) {
	l.reports[Finding{File: file, Line: line, Check: check, Message: msg, Severity: SeverityWarning}] = true
}

func (l *linter) component(comp *catalog.Component) error {
	decl := "templates/" + comp.Name + "/component.yaml"
	for _, r := range comp.Rules {
		if r.When != "" {
			l.refsIn(decl, r.When)
		}
		if r.Foreach != "" {
			l.refs[r.Foreach] = true
		}
	}
	for _, q := range comp.Questions {
		if text, ok := q.DefaultTemplate(); ok {
			l.refsIn(decl, text)
		}
	}
	for _, src := range comp.Sources {
		file := "templates/" + comp.Name + "/files/" + src + ".tmpl"
		text, err := fs.ReadFile(comp.Files, src+".tmpl")
		if err != nil {
			return fmt.Errorf("read %s: %w", file, err)
		}
		trees, ok := l.parse(file, string(text))
		if ok {
			l.templates(file, LanguageOf(src), trees, l.itemOf(comp, src))
		}
		l.controlMentions(file, string(text))
		if strings.Contains(src, "{{") {
			// A foreach item in a path is checked by render: it must be one
			// safe path segment. Free answers may not name files at all.
			if trees, ok := l.parse(file, src); ok {
				l.templates(file, Path, trees, "")
			}
		}
	}
	return nil
}

var parseErrorLine = lazyre.New(`^template: [^\n]*?:([0-9]+):`)

// parse parses template text the way render does, without checking function
// names (render does, and a bad name is a syntax finding there).
func (l *linter) parse(file, text string) (map[string]*parse.Tree, bool) {
	t := parse.New(file)
	t.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := t.Parse(text, "", "", trees); err != nil {
		line := 0
		if m := parseErrorLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		l.report(file, line, CheckSyntax, oneLine(err.Error()))
		return nil, false
	}
	return trees, true
}

// refsIn records the questions a short template (a rule or a default) reads.
func (l *linter) refsIn(file, text string) {
	trees, ok := l.parse(file, text)
	if !ok {
		return
	}
	for _, t := range trees {
		walk(t.Root, l.visitRefs)
	}
}

// itemOf returns the item variable of the foreach rule that renders a
// source once per item of a free-text list answer, or "".
func (l *linter) itemOf(comp *catalog.Component, src string) string {
	for _, r := range comp.Rules {
		if r.Foreach != "" && r.Matches(src) && l.freeQ[r.Foreach] {
			return r.As
		}
	}
	return ""
}

// templates runs the per-template checks on a parsed file. item, when set,
// is a foreach item variable that carries free text.
func (l *linter) templates(file string, lang Language, trees map[string]*parse.Tree, item string) {
	qc := &quoteChecker{
		file:     file,
		lang:     lang,
		isFree:   func(q string) bool { return l.freeQ[q] || (item != "" && q == item) },
		trees:    trees,
		visiting: map[string]bool{},
		report:   func(line int, msg string) { l.report(file, line, CheckQuoting, msg) },
	}
	if t := trees[file]; t != nil {
		qc.check(t)
	}
	for _, t := range trees {
		walk(t.Root, func(n parse.Node) {
			l.visitRefs(n)
			l.visitCalls(file, trees, n)
		})
	}
}

// visitRefs records the answers a node reads: .name, $.name, index . "name"
// and hasAnswer "name".
func (l *linter) visitRefs(n parse.Node) {
	switch n := n.(type) {
	case *parse.FieldNode:
		l.refs[n.Ident[0]] = true
	case *parse.VariableNode:
		if n.Ident[0] == "$" && len(n.Ident) > 1 {
			l.refs[n.Ident[1]] = true
		}
	case *parse.CommandNode:
		if id, ok := n.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "index" || id.Ident == "hasAnswer") {
			for _, a := range n.Args[1:] {
				if s, ok := a.(*parse.StringNode); ok {
					l.refs[s.Text] = true
				}
			}
		}
	}
}

// visitCalls checks the literal arguments of functions that name catalog
// entries, and the templates {{template}} calls.
func (l *linter) visitCalls(file string, trees map[string]*parse.Tree, n parse.Node) {
	if t, ok := n.(*parse.TemplateNode); ok {
		if trees[t.Name] == nil {
			l.report(file, lineOf(t), CheckReference, fmt.Sprintf("template %q is not defined in this file", t.Name))
		}
		return
	}
	cmd, ok := n.(*parse.CommandNode)
	if !ok || len(cmd.Args) != 2 {
		return
	}
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	if !ok {
		return
	}
	arg, ok := cmd.Args[1].(*parse.StringNode)
	if !ok {
		return
	}
	switch id.Ident {
	case "hasComponent":
		if !l.cat.HasComponent(arg.Text) {
			l.report(file, lineOf(cmd), CheckReference, fmt.Sprintf("hasComponent names unknown component %q", arg.Text))
		}
	case "pin":
		if _, err := l.cat.PinFor(arg.Text); err != nil {
			l.report(file, lineOf(cmd), CheckReference, fmt.Sprintf("pin: %v", err))
		}
	case "controlTitle":
		if _, ok := l.cat.Registry.Lookup(arg.Text); !ok {
			l.report(file, lineOf(cmd), CheckControl, undefinedControl(arg.Text))
		}
	}
}

var controlMention = lazyre.New(`\b([A-Z][A-Z0-9]*)-([0-9]+)\b`)

// controlMentions reports control IDs cited in a template (such as
// "# K8S-02") whose area exists in the registry but whose ID does not.
func (l *linter) controlMentions(file, text string) {
	for i, line := range strings.Split(text, "\n") {
		for _, m := range controlMention.FindAllStringSubmatch(line, -1) {
			if !l.areas[m[1]] {
				continue
			}
			if _, ok := l.cat.Registry.Lookup(m[0]); !ok {
				l.report(file, i+1, CheckControl, undefinedControl(m[0]))
			}
		}
	}
}

// undefinedControl is the one message for an undefined control, so a
// controlTitle call that is also a mention is reported once.
func undefinedControl(id string) string {
	return fmt.Sprintf("control %q is not defined in the catalog's controls.yaml", id)
}

// unused reports each question declaration that no template, file rule or
// question default of the catalog reads, and each shared question that no
// component asks.
func (l *linter) unused() error {
	asked := map[string]bool{}
	for _, name := range l.cat.ComponentNames() {
		comp, _ := l.cat.Component(name)
		file := "templates/" + name + "/component.yaml"
		var lines map[string]int
		for _, q := range comp.Questions {
			asked[q.Name] = true
			if l.refs[q.Name] || l.cat.Shared[q.Name] == q {
				continue // read, or shared: reported once, below
			}
			if lines == nil {
				var err error
				if lines, err = questionLines(l.src.Templates, name+"/component.yaml"); err != nil {
					return err
				}
			}
			l.report(file, lines[q.Name], CheckUnused, fmt.Sprintf("question %q is declared but no template, file rule or default reads it", q.Name))
		}
	}
	var lines map[string]int
	for name := range l.cat.Shared {
		if l.refs[name] && asked[name] {
			continue
		}
		if lines == nil {
			var err error
			if lines, err = questionLines(l.src.Templates, "questions.yaml"); err != nil {
				return err
			}
		}
		msg := fmt.Sprintf("shared question %q is declared but no template, file rule or default reads it", name)
		if !asked[name] {
			msg = fmt.Sprintf("shared question %q is declared but no component asks it", name)
		}
		l.report("templates/questions.yaml", lines[name], CheckUnused, msg)
	}
	return nil
}

// questionLines maps question names to the line of their declaration in a
// file whose questions: list declares them (component.yaml, questions.yaml).
func questionLines(fsys fs.FS, name string) (map[string]int, error) {
	out := map[string]int{}
	doc := parseYAML(fsys, name)
	if doc == nil {
		return nil, fmt.Errorf("%s no longer parses", name)
	}
	for _, item := range sequence(field(doc, "questions")) {
		if n := field(item, "name"); n != nil {
			out[n.Value] = n.Line
		}
	}
	return out, nil
}

// walk calls visit on n and every node below it.
func walk(n parse.Node, visit func(parse.Node)) {
	if n == nil {
		return
	}
	visit(n)
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, visit)
		}
	case *parse.ActionNode:
		walk(n.Pipe, visit)
	case *parse.IfNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.TemplateNode:
		if n.Pipe != nil {
			walk(n.Pipe, visit)
		}
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, d := range n.Decl {
			walk(d, visit)
		}
		for _, c := range n.Cmds {
			walk(c, visit)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walk(a, visit)
		}
	case *parse.ChainNode:
		walk(n.Node, visit)
	}
}

func walkBranch(b *parse.BranchNode, visit func(parse.Node)) {
	walk(b.Pipe, visit)
	if b.List != nil {
		walk(b.List, visit)
	}
	if b.ElseList != nil {
		walk(b.ElseList, visit)
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
