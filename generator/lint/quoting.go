package lint

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/template/parse"
)

// Language is the target language of a rendered file, which decides the
// quoting function free text must go through.
type Language string

// The languages with a quoting function, plus two without one.
const (
	YAML     Language = "YAML"
	HCL      Language = "HCL"
	Go       Language = "Go"
	Shell    Language = "shell"
	Markdown Language = "Markdown"
	// Path is a templated file path: free text may never reach one.
	Path Language = "file path"
	// Other is any file type without a quoting function: free text may
	// not reach it at all.
	Other Language = ""
)

// QuotingFunc is the function free text must go through in each language.
var QuotingFunc = map[Language]string{
	YAML:     "yamlString",
	HCL:      "hclString",
	Go:       "goString",
	Shell:    "shellArg",
	Markdown: "markdown",
}

// LanguageOf returns the language of a rendered file from its name: .yaml
// and .yml are YAML, .tf and .hcl HCL, .go Go, .sh shell and .md Markdown.
func LanguageOf(name string) Language {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml":
		return YAML
	case ".tf", ".hcl":
		return HCL
	case ".go":
		return Go
	case ".sh":
		return Shell
	case ".md":
		return Markdown
	}
	return Other
}

// commentLanguages are the languages whose line comments commentLines makes
// with a given prefix (trimmed): free text inside a comment stays a comment.
var commentLanguages = map[string][]Language{
	"#":  {YAML, HCL, Shell},
	"//": {Go, HCL},
}

// cleanFuncs return booleans, numbers or hashes whatever their arguments:
// no text of an argument reaches their result.
var cleanFuncs = map[string]bool{
	"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true, "not": true,
	"len": true, "empty": true, "hasAnswer": true, "hasComponent": true, "controlTitle": true,
	"pin": true, "hasPrefix": true, "hasSuffix": true, "contains": true, "has": true,
	"hasKey": true, "kindIs": true, "typeIs": true, "kindOf": true, "typeOf": true,
	"regexMatch": true, "atoi": true, "int": true, "int64": true, "float64": true,
	"add": true, "add1": true, "sub": true, "mul": true, "div": true, "mod": true,
	"max": true, "min": true, "sha1sum": true, "sha256sum": true, "adler32sum": true,
}

// kind is what a template value may carry.
type kind int

const (
	clean  kind = iota // no free text
	root               // the answers map itself
	free               // free text, unquoted
	quoted             // free text through a quoting function
)

type value struct {
	kind     kind
	question string     // the free-text question it comes from, if known
	fn       string     // the quoting function, for quoted
	langs    []Language // the languages fn quotes for, for quoted
}

// worse returns the more dangerous of two values.
func worse(a, b value) value {
	rank := func(v value) int {
		switch v.kind {
		case free, root:
			return 2
		case quoted:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// scope holds the template variables declared in one control structure;
// lookups and assignments reach the enclosing scopes, as in text/template.
type scope struct {
	vars   map[string]value
	parent *scope
}

func newScope(parent *scope) *scope { return &scope{vars: map[string]value{}, parent: parent} }

func (s *scope) lookup(name string) value {
	for sc := s; sc != nil; sc = sc.parent {
		if v, ok := sc.vars[name]; ok {
			return v
		}
	}
	return value{}
}

// assign sets a declared variable. The assignment may sit in a branch that
// does not run, so the variable keeps the worse of its old and new values.
func (s *scope) assign(name string, v value) {
	for sc := s; sc != nil; sc = sc.parent {
		if old, ok := sc.vars[name]; ok {
			sc.vars[name] = worse(old, v)
			return
		}
	}
	s.vars[name] = v
}

// quoteChecker walks one template and reports every action whose output
// carries free text not quoted for the file's language.
type quoteChecker struct {
	file     string
	lang     Language
	isFree   func(question string) bool
	trees    map[string]*parse.Tree
	visiting map[string]bool
	report   func(line int, msg string)
}

func (c *quoteChecker) check(t *parse.Tree) {
	top := newScope(nil)
	top.vars["$"] = value{kind: root}
	c.list(t.Root, value{kind: root}, top)
}

func (c *quoteChecker) list(l *parse.ListNode, dot value, vars *scope) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		c.node(n, dot, vars)
	}
}

func (c *quoteChecker) node(n parse.Node, dot value, vars *scope) {
	switch n := n.(type) {
	case *parse.ActionNode:
		v := c.pipe(n.Pipe, dot, vars)
		if len(n.Pipe.Decl) == 0 {
			c.sink(n, v)
		}
	case *parse.IfNode:
		inner := newScope(vars)
		c.pipe(n.Pipe, dot, inner)
		c.list(n.List, dot, inner)
		c.list(n.ElseList, dot, newScope(vars))
	case *parse.WithNode:
		inner := newScope(vars)
		v := c.pipe(n.Pipe, dot, inner)
		c.list(n.List, v, inner)
		c.list(n.ElseList, dot, newScope(vars))
	case *parse.RangeNode:
		inner := newScope(vars)
		v := c.cmds(n.Pipe, dot, inner)
		elem := v
		if v.kind == root {
			elem = value{kind: free}
		}
		switch len(n.Pipe.Decl) {
		case 1:
			inner.vars[n.Pipe.Decl[0].Ident[0]] = elem
		case 2:
			inner.vars[n.Pipe.Decl[0].Ident[0]] = value{}
			inner.vars[n.Pipe.Decl[1].Ident[0]] = elem
		}
		// Twice: an assignment late in the body reaches the output of the
		// next iteration.
		c.list(n.List, elem, inner)
		c.list(n.List, elem, inner)
		c.list(n.ElseList, dot, newScope(vars))
	case *parse.TemplateNode:
		v := value{}
		if n.Pipe != nil {
			v = c.pipe(n.Pipe, dot, vars)
		}
		t, ok := c.trees[n.Name]
		key := fmt.Sprintf("%s/%d/%s", n.Name, v.kind, v.fn)
		if !ok || c.visiting[key] {
			return
		}
		c.visiting[key] = true
		top := newScope(nil)
		top.vars["$"] = v
		c.list(t.Root, v, top)
		delete(c.visiting, key)
	case *parse.ListNode:
		c.list(n, dot, vars)
	}
}

// pipe evaluates a pipeline and binds its declared variables.
func (c *quoteChecker) pipe(p *parse.PipeNode, dot value, vars *scope) value {
	v := c.cmds(p, dot, vars)
	for _, d := range p.Decl {
		if p.IsAssign {
			vars.assign(d.Ident[0], v)
		} else {
			vars.vars[d.Ident[0]] = v
		}
	}
	return v
}

func (c *quoteChecker) cmds(p *parse.PipeNode, dot value, vars *scope) value {
	if p == nil {
		return value{}
	}
	var piped *value
	var v value
	for _, cmd := range p.Cmds {
		v = c.command(cmd, dot, vars, piped)
		piped = &v
	}
	return v
}

func (c *quoteChecker) command(cmd *parse.CommandNode, dot value, vars *scope, piped *value) value {
	if len(cmd.Args) == 0 {
		return value{}
	}
	if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
		args := cmd.Args[1:]
		vals := make([]value, 0, len(args)+1)
		for _, a := range args {
			vals = append(vals, c.operand(a, dot, vars))
		}
		if piped != nil {
			vals = append(vals, *piped)
		}
		return c.call(id.Ident, args, vals)
	}
	return c.operand(cmd.Args[0], dot, vars)
}

func (c *quoteChecker) operand(n parse.Node, dot value, vars *scope) value {
	switch n := n.(type) {
	case *parse.DotNode:
		return dot
	case *parse.FieldNode:
		return c.field(dot, n.Ident[0])
	case *parse.VariableNode:
		v := vars.lookup(n.Ident[0])
		if len(n.Ident) > 1 {
			return c.field(v, n.Ident[1])
		}
		return v
	case *parse.PipeNode:
		return c.pipe(n, dot, newScope(vars))
	case *parse.ChainNode:
		v := c.operand(n.Node, dot, vars)
		if v.kind == root && len(n.Field) > 0 {
			return c.field(v, n.Field[0])
		}
		return v
	case *parse.IdentifierNode:
		return c.call(n.Ident, nil, nil)
	}
	return value{}
}

// field is the value of .name on v: an answer when v is the answers map.
func (c *quoteChecker) field(v value, name string) value {
	if v.kind == root && c.isFree(name) {
		return value{kind: free, question: name}
	}
	if v.kind == free {
		return v
	}
	return value{}
}

func (c *quoteChecker) call(fn string, args []parse.Node, vals []value) value {
	worst := value{}
	for _, v := range vals {
		worst = worse(worst, v)
	}
	switch {
	case cleanFuncs[fn]:
		return value{}
	case fn == "index" && len(vals) >= 2 && vals[0].kind == root:
		if s, ok := args[1].(*parse.StringNode); ok {
			return c.field(vals[0], s.Text)
		}
		return value{kind: free}
	case fn == "commentLines" && len(vals) == 2:
		if vals[1].kind == clean {
			return value{}
		}
		var langs []Language
		if s, ok := args[0].(*parse.StringNode); ok {
			langs = commentLanguages[strings.TrimSpace(s.Text)]
		}
		return value{kind: quoted, question: vals[1].question, fn: "commentLines", langs: langs}
	}
	for lang, q := range QuotingFunc {
		if fn == q {
			if worst.kind == clean {
				return value{}
			}
			return value{kind: quoted, question: worst.question, fn: fn, langs: []Language{lang}}
		}
	}
	if worst.kind == root {
		return value{kind: free}
	}
	return worst
}

// lineOf returns the 1-based line of a node in the text it was parsed from.
func lineOf(n parse.Node) int {
	tr := &parse.Tree{}
	loc, _ := tr.ErrorContext(n)
	parts := strings.Split(loc, ":")
	if len(parts) < 3 {
		return 0
	}
	line, err := strconv.Atoi(parts[len(parts)-2])
	if err != nil {
		return 0
	}
	return line
}

// sink checks a value that an action writes into the file.
func (c *quoteChecker) sink(n *parse.ActionNode, v value) {
	what := "free text"
	if v.question != "" {
		what = fmt.Sprintf("free-text answer %q", v.question)
	}
	line := lineOf(n)
	want := QuotingFunc[c.lang]
	switch {
	case v.kind == clean:
		return
	case v.kind == quoted && slices.Contains(v.langs, c.lang):
		return
	case c.lang == Path:
		c.report(line, fmt.Sprintf("%s reaches a file path; free text may not name files", what))
	case c.lang == Other:
		c.report(line, fmt.Sprintf("%s reaches %s, a file type without a quoting function; free text may not reach it", what, path.Base(c.file)))
	case v.kind == quoted:
		c.report(line, fmt.Sprintf("%s is quoted with %s, which does not quote for %s; use %s", what, v.fn, c.lang, want))
	default:
		c.report(line, fmt.Sprintf("%s reaches a %s file unquoted; pipe it through %s", what, c.lang, want))
	}
}
