package audit

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"math/big"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	dockerfile "github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/zclconf/go-cty/cty"
	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/modfile"
)

// Document is one parsed unit a rule looks at: a YAML document, a top-level
// Terraform block, a Dockerfile instruction, a go.mod file, a Go source file
// or a text file. Value is what CEL sees as `object`.
type Document struct {
	Path  string
	Line  int
	Value map[string]any
}

// parsedFile is one file parsed in one format.
type parsedFile struct {
	Path      string
	Documents []Document
}

// FormatOf infers a file's format from its name.
func FormatOf(p string) string {
	base := path.Base(p)
	switch {
	case base == "go.mod":
		return "gomod"
	case base == "Dockerfile" || strings.HasPrefix(base, "Dockerfile.") || strings.HasSuffix(base, ".Dockerfile"):
		return "dockerfile"
	case strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml"):
		return "yaml"
	case strings.HasSuffix(base, ".tf") || strings.HasSuffix(base, ".hcl"):
		return "hcl"
	case strings.HasSuffix(base, ".go"):
		return "go"
	}
	return "text"
}

// parse turns a file's content into documents of the given format.
func parse(p, format string, data []byte) (parsedFile, error) {
	var (
		docs []Document
		err  error
	)
	switch format {
	case "yaml":
		docs, err = parseYAML(p, data)
	case "hcl":
		docs, err = parseHCL(p, data)
	case "dockerfile":
		docs, err = parseDockerfile(p, data)
	case "gomod":
		docs, err = parseGoMod(p, data)
	case "go":
		docs, err = parseGo(p, data)
	default:
		docs = []Document{{Path: p, Line: 1, Value: map[string]any{"path": p, "text": string(data)}}}
	}
	if err != nil {
		return parsedFile{}, fmt.Errorf("parse %s as %s: %w", p, format, err)
	}
	return parsedFile{Path: p, Documents: docs}, nil
}

// parseYAML decodes every document of a (multi-document) YAML stream;
// empty documents are skipped.
func parseYAML(p string, data []byte) ([]Document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []Document
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		m, ok := normalize(v).(map[string]any)
		if !ok {
			continue
		}
		line := n.Line
		if len(n.Content) > 0 {
			line = n.Content[0].Line
		}
		docs = append(docs, Document{Path: p, Line: line, Value: m})
	}
}

// normalize makes decoded YAML CEL-friendly: map keys become strings and
// integers int64.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = normalize(e)
		}
		return t
	case int:
		return int64(t)
	case uint64:
		return int64(t)
	}
	return v
}

// parseHCL reads a Terraform or Terragrunt file into one document per
// top-level block: {type, labels, attrs, src, blocks, line}. Attribute
// values are literal values where they can be evaluated without variables
// (objects and lists are walked, jsonencode(...) is looked through), and
// otherwise their source text; src holds every attribute's source text.
func parseHCL(p string, data []byte) ([]Document, error) {
	f, diags := hclsyntax.ParseConfig(data, p, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, fmt.Errorf("not native HCL syntax")
	}
	var docs []Document
	for _, b := range body.Blocks {
		docs = append(docs, Document{Path: p, Line: b.TypeRange.Start.Line, Value: hclBlock(b, data)})
	}
	// Top-level attributes (terragrunt.hcl's inputs, locals files) form one
	// more document of type "attributes".
	if len(body.Attributes) > 0 {
		attrs, src := hclAttrs(body.Attributes, data)
		docs = append(docs, Document{Path: p, Line: 1, Value: map[string]any{
			"type": "attributes", "labels": []any{}, "attrs": attrs, "src": src, "blocks": []any{}, "line": int64(1),
		}})
	}
	return docs, nil
}

func hclBlock(b *hclsyntax.Block, data []byte) map[string]any {
	labels := make([]any, len(b.Labels))
	for i, l := range b.Labels {
		labels[i] = l
	}
	attrs, src := hclAttrs(b.Body.Attributes, data)
	blocks := make([]any, 0, len(b.Body.Blocks))
	for _, nb := range b.Body.Blocks {
		blocks = append(blocks, hclBlock(nb, data))
	}
	return map[string]any{
		"type":   b.Type,
		"labels": labels,
		"attrs":  attrs,
		"src":    src,
		"blocks": blocks,
		"line":   int64(b.TypeRange.Start.Line),
	}
}

func hclAttrs(in hclsyntax.Attributes, data []byte) (attrs, src map[string]any) {
	attrs = make(map[string]any, len(in))
	src = make(map[string]any, len(in))
	for name, a := range in {
		attrs[name] = hclValue(a.Expr, data)
		src[name] = sourceText(a.Expr.Range(), data)
	}
	return attrs, src
}

func sourceText(r hcl.Range, data []byte) string {
	if r.Start.Byte < 0 || r.End.Byte > len(data) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return string(data[r.Start.Byte:r.End.Byte])
}

// hclValue converts an expression to a CEL-friendly value.
func hclValue(e hclsyntax.Expression, data []byte) any {
	switch t := e.(type) {
	case *hclsyntax.ObjectConsExpr:
		m := make(map[string]any, len(t.Items))
		for _, item := range t.Items {
			k, diags := item.KeyExpr.Value(nil)
			var key string
			if !diags.HasErrors() && k.Type() == cty.String && k.IsKnown() && !k.IsNull() {
				key = k.AsString()
			} else {
				key = strings.Trim(sourceText(item.KeyExpr.Range(), data), `"`)
			}
			m[key] = hclValue(item.ValueExpr, data)
		}
		return m
	case *hclsyntax.TupleConsExpr:
		l := make([]any, len(t.Exprs))
		for i, x := range t.Exprs {
			l[i] = hclValue(x, data)
		}
		return l
	case *hclsyntax.FunctionCallExpr:
		if t.Name == "jsonencode" && len(t.Args) == 1 {
			return hclValue(t.Args[0], data)
		}
	}
	v, diags := e.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return sourceText(e.Range(), data)
	}
	return ctyValue(v)
}

func ctyValue(v cty.Value) any {
	if v.IsNull() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString()
	case ty == cty.Bool:
		return v.True()
	case ty == cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInt() {
			if i, acc := bf.Int64(); acc == big.Exact {
				return i
			}
		}
		f, _ := bf.Float64()
		return f
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		var l []any
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			l = append(l, ctyValue(e))
		}
		if l == nil {
			l = []any{}
		}
		return l
	case ty.IsMapType() || ty.IsObjectType():
		m := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			m[k.AsString()] = ctyValue(e)
		}
		return m
	}
	return v.GoString()
}

// parseDockerfile reads a Dockerfile with BuildKit's parser into one
// document per instruction: {cmd, args, flags, original, line, stage,
// last_stage}. cmd is lower case; stage counts FROM instructions from 0.
func parseDockerfile(p string, data []byte) ([]Document, error) {
	res, err := dockerfile.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	stages := 0
	for _, n := range res.AST.Children {
		if strings.EqualFold(n.Value, "from") {
			stages++
		}
	}
	var docs []Document
	stage := -1
	for _, n := range res.AST.Children {
		cmd := strings.ToLower(n.Value)
		if cmd == "from" {
			stage++
		}
		var args []any
		for a := n.Next; a != nil; a = a.Next {
			args = append(args, a.Value)
		}
		if args == nil {
			args = []any{}
		}
		flags := make([]any, len(n.Flags))
		for i, f := range n.Flags {
			flags[i] = f
		}
		docs = append(docs, Document{Path: p, Line: n.StartLine, Value: map[string]any{
			"cmd":        cmd,
			"args":       args,
			"flags":      flags,
			"original":   n.Original,
			"line":       int64(n.StartLine),
			"stage":      int64(stage),
			"last_stage": stage == stages-1,
		}})
	}
	return docs, nil
}

// parseGoMod reads go.mod: {module, go, toolchain, require, replace,
// exclude, retract}; require entries are {path, version, indirect}.
func parseGoMod(p string, data []byte) ([]Document, error) {
	f, err := modfile.Parse(p, data, nil)
	if err != nil {
		return nil, err
	}
	v := map[string]any{"module": "", "go": "", "toolchain": ""}
	if f.Module != nil {
		v["module"] = f.Module.Mod.Path
	}
	if f.Go != nil {
		v["go"] = f.Go.Version
	}
	if f.Toolchain != nil {
		v["toolchain"] = f.Toolchain.Name
	}
	req := make([]any, 0, len(f.Require))
	for _, r := range f.Require {
		req = append(req, map[string]any{"path": r.Mod.Path, "version": r.Mod.Version, "indirect": r.Indirect, "line": int64(r.Syntax.Start.Line)})
	}
	v["require"] = req
	rep := make([]any, 0, len(f.Replace))
	for _, r := range f.Replace {
		rep = append(rep, map[string]any{"old": r.Old.Path, "new": r.New.Path, "version": r.New.Version, "line": int64(r.Syntax.Start.Line)})
	}
	v["replace"] = rep
	v["exclude"] = int64(len(f.Exclude))
	v["retract"] = int64(len(f.Retract))
	return []Document{{Path: p, Line: 1, Value: v}}, nil
}

// parseGo reads a Go source file: {path, package, imports, calls, funcs,
// tests, text}. calls lists every called name as written ("f", "pkg.F",
// "x.Method"); funcs the declared functions and methods; tests the Test*
// functions of a _test.go file.
func parseGo(p string, data []byte) ([]Document, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, p, data, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	imports := []any{}
	for _, im := range f.Imports {
		if s, err := strconv.Unquote(im.Path.Value); err == nil {
			imports = append(imports, s)
		}
	}
	calls := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if name := callName(c.Fun); name != "" {
				calls[name] = true
			}
		}
		return true
	})
	funcs, tests := []any{}, []any{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		funcs = append(funcs, fd.Name.Name)
		if strings.HasSuffix(p, "_test.go") && strings.HasPrefix(fd.Name.Name, "Test") && fd.Recv == nil {
			tests = append(tests, fd.Name.Name)
		}
	}
	return []Document{{Path: p, Line: 1, Value: map[string]any{
		"path":    p,
		"package": f.Name.Name,
		"imports": imports,
		"calls":   sortedKeys(calls),
		"funcs":   funcs,
		"tests":   tests,
		"text":    string(data),
	}}}, nil
}

func callName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.SelectorExpr:
		if x := callName(t.X); x != "" {
			return x + "." + t.Sel.Name
		}
		return t.Sel.Name
	case *ast.IndexExpr:
		return callName(t.X)
	case *ast.IndexListExpr:
		return callName(t.X)
	case *ast.CallExpr:
		return callName(t.Fun)
	}
	return ""
}

func sortedKeys(m map[string]bool) []any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}
