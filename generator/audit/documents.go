package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/big"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	dockerfile "github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/secgen/secgen/generator/lazyre"
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
	// Lines maps a field's dotted path ("spec.template.spec.containers.0")
	// to its line, for YAML documents and Terraform attributes.
	Lines map[string]int
}

// parsedFile is one file parsed in one format.
type parsedFile struct {
	Path      string
	Documents []Document
	// Waivers are the file's inline waivers; WaiverDiags the malformed ones.
	Waivers     []Waiver
	WaiverDiags []Diagnostic
}

// FormatOf infers a file's format from its name.
func FormatOf(p string) string {
	base := path.Base(p)
	switch {
	case base == "go.mod":
		return "gomod"
	case base == "Dockerfile" || strings.HasPrefix(base, "Dockerfile.") || strings.HasSuffix(base, ".Dockerfile"),
		base == "Containerfile" || strings.HasPrefix(base, "Containerfile.") || strings.HasSuffix(base, ".Containerfile"):
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

// parse turns a file's content into documents of the given format. A file
// (or, for YAML, a document) that cannot be parsed is a diagnostic, never a
// finding. Content is normalised first: a UTF-8 byte-order mark is dropped
// and CRLF line ends become LF, so line rules hold on any checkout.
func parse(p, format string, data []byte) (parsedFile, []Diagnostic) {
	data = normalizeText(data)
	pf, diags := parseDocuments(p, format, data)
	pf.Waivers, pf.WaiverDiags = scanInlineWaivers(p, data)
	return pf, diags
}

func parseDocuments(p, format string, data []byte) (parsedFile, []Diagnostic) {
	var (
		docs []Document
		err  error
	)
	switch format {
	case "yaml":
		docs, diags := parseYAML(p, data)
		return parsedFile{Path: p, Documents: docs}, diags
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
		return parsedFile{Path: p}, []Diagnostic{{File: p, Line: 1, Kind: DiagParse, Fails: format != "text", Reason: fmt.Sprintf("does not parse as %s: %s", format, oneLine(err.Error()))}}
	}
	return parsedFile{Path: p, Documents: docs}, nil
}

// normalizeText drops a UTF-8 byte-order mark and turns CRLF into LF.
func normalizeText(data []byte) []byte {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.Contains(data, []byte("\r\n")) {
		data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	}
	return data
}

// oneLine keeps the first line of a parser's message, bounded.
func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// parseYAML decodes every document of a (multi-document) YAML stream;
// empty documents are skipped. Each document is parsed on its own: one that
// does not parse (a template line, a duplicate key) is returned as a
// diagnostic while the file's other documents are still evaluated.
func parseYAML(p string, data []byte) ([]Document, []Diagnostic) {
	var (
		docs  []Document
		diags []Diagnostic
	)
	for _, chunk := range splitYAML(data) {
		var n yaml.Node
		err := yaml.Unmarshal(chunk.data, &n)
		var v any
		if err == nil {
			// A duplicate key is what the API server applies as its last
			// value (with a warning): audit that value, and say so.
			for _, dup := range dropDuplicateKeys(&n) {
				diags = append(diags, Diagnostic{File: p, Line: dup.Line + chunk.line - 1, Kind: DiagParse, Fails: true,
					Reason: "the key " + strconv.Quote(dup.Value) + " is repeated; its last value is audited, as the API server applies it"})
			}
			err = n.Decode(&v)
		}
		if err != nil {
			diags = append(diags, Diagnostic{File: p, Line: chunk.line, Kind: DiagParse, Fails: true, Reason: "a YAML document does not parse, so it is not audited: " + yamlError(err, chunk.line)})
			continue
		}
		m, ok := normalize(v).(map[string]any)
		if !ok || len(n.Content) == 0 {
			continue
		}
		root := n.Content[0]
		lines := map[string]int{}
		indexLines(root, "", chunk.line-1, lines)
		line := root.Line + chunk.line - 1
		docs = append(docs, Document{Path: p, Line: line, Value: m, Lines: lines})
	}
	return docs, diags
}

// dropDuplicateKeys removes, in every mapping under n, the earlier entries
// of a repeated key, and returns the repeated keys' nodes.
func dropDuplicateKeys(n *yaml.Node) []*yaml.Node {
	var dups []*yaml.Node
	var walk func(*yaml.Node, int)
	walk = func(n *yaml.Node, depth int) {
		if depth > 10_000 {
			return
		}
		if n.Kind == yaml.MappingNode {
			last := map[string]int{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Kind == yaml.ScalarNode {
					if _, ok := last[k.Value]; ok {
						dups = append(dups, k)
					}
					last[k.Value] = i
				}
			}
			if len(dups) > 0 {
				kept := n.Content[:0:0]
				for i := 0; i+1 < len(n.Content); i += 2 {
					k := n.Content[i]
					if k.Kind == yaml.ScalarNode && last[k.Value] != i {
						continue
					}
					kept = append(kept, n.Content[i], n.Content[i+1])
				}
				n.Content = kept
			}
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return dups
}

// yamlChunk is one document of a YAML stream and the line it starts on.
type yamlChunk struct {
	data []byte
	line int
}

// splitYAML cuts a stream at its document markers ("---" or "..." at the
// start of a line), so a document that does not parse cannot hide the
// others. Line numbers are kept by starting each chunk at its first line.
func splitYAML(data []byte) []yamlChunk {
	var out []yamlChunk
	start, startLine, line := 0, 1, 1
	for i := 0; i <= len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data) + 1
		lineEnd := len(data)
		if end >= 0 {
			lineEnd = i + end
			next = lineEnd + 1
		}
		text := data[i:lineEnd]
		if isDocMarker(text, "---") || isDocMarker(text, "...") {
			if i > start {
				out = append(out, yamlChunk{data: data[start:i], line: startLine})
			}
			// The marker line may carry content ("--- !tag" or "--- {a: 1}").
			rest := bytes.TrimSpace(text[3:])
			if len(rest) > 0 && text[0] == '-' {
				start, startLine = i+3, line
			} else {
				start, startLine = next, line+1
			}
		}
		i = next
		line++
	}
	if start < len(data) {
		out = append(out, yamlChunk{data: data[start:], line: startLine})
	}
	return out
}

func isDocMarker(line []byte, marker string) bool {
	if !bytes.HasPrefix(line, []byte(marker)) {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r'
}

// yamlError is the parser's message with the line made absolute.
func yamlError(err error, first int) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
		n, _ := strconv.Atoi(msg[m[2]:m[3]])
		msg = msg[:m[2]] + strconv.Itoa(n+first-1) + msg[m[3]:]
	}
	return msg
}

var yamlLine = lazyre.New(`line ([0-9]+)`)

// indexLines records the line of every mapping key and sequence item under
// n, by its dotted path ("spec.template.spec.containers.0.image").
func indexLines(n *yaml.Node, prefix string, offset int, lines map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := joinPath(prefix, k.Value)
			lines[key] = k.Line + offset
			indexLines(v, key, offset, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			key := joinPath(prefix, strconv.Itoa(i))
			lines[key] = c.Line + offset
			indexLines(c, key, offset, lines)
		}
	}
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
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
		lines := map[string]int{}
		hclLines(b.Body, "", lines)
		docs = append(docs, Document{Path: p, Line: b.TypeRange.Start.Line, Value: hclBlock(b, data), Lines: lines})
	}
	// Top-level attributes (terragrunt.hcl's inputs, locals files) form one
	// more document of type "attributes".
	if len(body.Attributes) > 0 {
		attrs, src := hclAttrs(body.Attributes, data)
		lines := map[string]int{}
		hclLines(&hclsyntax.Body{Attributes: body.Attributes}, "", lines)
		docs = append(docs, Document{Path: p, Line: 1, Lines: lines, Value: map[string]any{
			"type": "attributes", "labels": []any{}, "attrs": attrs, "src": src, "json": jsonAttrs(attrs), "blocks": []any{}, "line": int64(1),
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
		"json":   jsonAttrs(attrs),
		"blocks": blocks,
		"line":   int64(b.TypeRange.Start.Line),
	}
}

// hclLines records the line of every attribute and nested block of a body
// by its dotted path ("statement.0.actions").
func hclLines(body *hclsyntax.Body, prefix string, lines map[string]int) {
	for name, a := range body.Attributes {
		lines[joinPath(prefix, name)] = a.NameRange.Start.Line
	}
	count := map[string]int{}
	for _, nb := range body.Blocks {
		key := joinPath(prefix, nb.Type+"."+strconv.Itoa(count[nb.Type]))
		count[nb.Type]++
		if _, ok := lines[joinPath(prefix, nb.Type)]; !ok {
			lines[joinPath(prefix, nb.Type)] = nb.TypeRange.Start.Line
		}
		lines[key] = nb.TypeRange.Start.Line
		hclLines(nb.Body, key, lines)
	}
}

// jsonAttrs decodes the attributes whose value is a JSON document written
// as a string (a heredoc policy, a quoted JSON literal); interpolations
// inside it stand for an opaque value. Attributes built with jsonencode(...)
// are objects in attrs already.
func jsonAttrs(attrs map[string]any) map[string]any {
	out := map[string]any{}
	for name, v := range attrs {
		s, ok := v.(string)
		if !ok {
			continue
		}
		if d, ok := decodeJSONText(s); ok {
			out[name] = d
		}
	}
	return out
}

var interpolation = lazyre.New(`\$\{[^}]*\}`)

func decodeJSONText(s string) (any, bool) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "<<") { // a heredoc's source text: drop its marker lines
		_, body, ok := strings.Cut(t, "\n")
		if !ok {
			return nil, false
		}
		if i := strings.LastIndexByte(body, '\n'); i >= 0 {
			body = body[:i]
		}
		t = strings.TrimSpace(body)
	}
	if !strings.HasPrefix(t, "{") {
		return nil, false
	}
	t = interpolation.ReplaceAllString(t, "interpolated")
	var v any
	if err := json.Unmarshal([]byte(t), &v); err != nil {
		return nil, false
	}
	return normalizeJSON(v), true
}

// normalizeJSON makes decoded JSON CEL-friendly: whole numbers become int64.
func normalizeJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalizeJSON(e)
		}
	case []any:
		for i, e := range t {
			t[i] = normalizeJSON(e)
		}
	case float64:
		if t == float64(int64(t)) {
			return int64(t)
		}
	}
	return v
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
