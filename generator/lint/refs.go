package lint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/catalog"
)

// Check lints the catalog at src. It first checks the references between the
// catalog's declarations, each finding with its file and line: blueprints
// naming components, components requiring components, component controls
// missing from controls.yaml, question references missing from
// questions.yaml, and file rules matching no template. When they all hold,
// it loads the catalog with catalog.Load (an error means the catalog does
// not load: schema errors and the like) and runs Run on it. The catalog is
// nil when reference findings stopped the check before loading.
func Check(ctx context.Context, src catalog.Source) ([]Finding, *catalog.Catalog, error) {
	findings, err := references(src)
	if err != nil || len(findings) > 0 {
		return findings, nil, err
	}
	cat, err := catalog.Load(ctx, src)
	if err != nil {
		return nil, nil, err
	}
	findings, err = Run(ctx, src, cat)
	return findings, cat, err
}

// topLevelFiles are the catalog's own files beside the component directories.
var topLevelFiles = map[string]bool{
	"catalog.yaml": true, "controls.yaml": true, "questions.yaml": true, "pins.tsv": true, "embed.go": true,
}

// refChecker holds the parsed declarations the reference check needs.
type refChecker struct {
	src        catalog.Source
	components map[string]*yaml.Node // component.yaml documents by directory
	controls   map[string]bool
	shared     map[string]bool
	findings   []Finding
}

// references checks the references between declarations without loading
// the catalog. A file that does not parse is skipped: catalog.Load reports
// it afterwards.
func references(src catalog.Source) ([]Finding, error) {
	r := &refChecker{src: src, components: map[string]*yaml.Node{}, controls: map[string]bool{}, shared: map[string]bool{}}
	for _, id := range r.listed("controls.yaml", "controls", "id") {
		r.controls[id.Value] = true
	}
	for _, q := range r.listed("questions.yaml", "questions", "name") {
		r.shared[q.Value] = true
	}
	entries, err := fs.ReadDir(src.Templates, ".")
	if err != nil {
		return nil, fmt.Errorf("read catalog templates: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || topLevelFiles[e.Name()] {
			continue
		}
		if doc := parseYAML(src.Templates, e.Name()+"/component.yaml"); doc != nil {
			r.components[e.Name()] = doc
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.components)) {
		if err := r.component(name, r.components[name]); err != nil {
			return nil, err
		}
	}
	bps, err := fs.ReadDir(src.Blueprints, ".")
	if err != nil {
		return nil, fmt.Errorf("read catalog blueprints: %w", err)
	}
	for _, e := range bps {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		doc := parseYAML(src.Blueprints, e.Name())
		for _, c := range sequence(field(doc, "components")) {
			if _, ok := r.components[c.Value]; c.Kind == yaml.ScalarNode && !ok {
				r.add("blueprints/"+e.Name(), c.Line, fmt.Sprintf("components: unknown component %q", c.Value))
			}
		}
	}
	sortFindings(r.findings)
	return r.findings, nil
}

func (r *refChecker) add(file string, line int, msg string) {
	r.findings = append(r.findings, Finding{File: file, Line: line, Check: CheckReference, Message: msg, Severity: SeverityError})
}

func (r *refChecker) component(name string, doc *yaml.Node) error {
	file := "templates/" + name + "/component.yaml"
	for _, req := range sequence(field(doc, "requires")) {
		if _, ok := r.components[req.Value]; !ok || req.Value == name {
			r.add(file, req.Line, fmt.Sprintf("requires: unknown component %q", req.Value))
		}
	}
	for _, id := range sequence(field(doc, "controls")) {
		if id.Kind == yaml.MappingNode { // {id, when}: a control with its condition
			if id = field(id, "id"); id == nil {
				continue // the catalog's own loading refuses a control without an ID
			}
		}
		if !r.controls[id.Value] {
			r.add(file, id.Line, fmt.Sprintf("controls: %q is not defined in the catalog's controls.yaml", id.Value))
		}
	}
	for _, q := range sequence(field(doc, "questions")) {
		if q.Kind == yaml.ScalarNode && !r.shared[q.Value] {
			r.add(file, q.Line, fmt.Sprintf("questions: %q is not a shared question of questions.yaml", q.Value))
		}
	}
	claimed := map[string]bool{}
	for _, id := range sequence(field(doc, "controls")) {
		if id.Kind == yaml.MappingNode {
			id = field(id, "id")
		}
		if id != nil {
			claimed[id.Value] = true
		}
	}
	checks := "templates/" + name + "/checks.yaml"
	for _, c := range sequence(field(parseYAML(r.src.Templates, name+"/checks.yaml"), "checks")) {
		ctl := field(c, "control")
		if ctl == nil || ctl.Kind != yaml.ScalarNode {
			continue // the catalog's own loading refuses a rule without a control
		}
		switch {
		case !r.controls[ctl.Value]:
			r.add(checks, ctl.Line, fmt.Sprintf("control: %q is not defined in the catalog's controls.yaml", ctl.Value))
		case !claimed[ctl.Value]:
			r.add(checks, ctl.Line, fmt.Sprintf("control: %q is not a control component %s claims", ctl.Value, name))
		}
	}
	rules := sequence(field(doc, "files"))
	if len(rules) == 0 {
		return nil
	}
	sources, err := templateSources(r.src.Templates, name+"/files")
	if err != nil {
		return err
	}
	for _, rule := range rules {
		m := field(rule, "match")
		if m == nil || m.Kind != yaml.ScalarNode {
			continue
		}
		matched := false
		for _, s := range sources {
			if (catalog.FileRule{Match: m.Value}).Matches(s) {
				matched = true
				break
			}
		}
		if !matched {
			r.add(file, m.Line, fmt.Sprintf("files: match %q matches no template", m.Value))
		}
	}
	return nil
}

// listed returns the key scalar of every item of the top-level list of a
// catalog file, such as the id of each control.
func (r *refChecker) listed(file, list, key string) []*yaml.Node {
	var out []*yaml.Node
	for _, item := range sequence(field(parseYAML(r.src.Templates, file), list)) {
		if v := field(item, key); v != nil && v.Kind == yaml.ScalarNode {
			out = append(out, v)
		}
	}
	return out
}

// templateSources lists a component's template paths without .tmpl.
func templateSources(fsys fs.FS, dir string) ([]string, error) {
	var out []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasSuffix(p, ".tmpl") {
			rel := strings.TrimPrefix(p, dir+"/")
			out = append(out, strings.TrimSuffix(rel, ".tmpl"))
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list %s: %w", path.Clean(dir), err)
	}
	return out, nil
}

// parseYAML returns the top node of a YAML file, or nil when the file is
// missing or does not parse.
func parseYAML(fsys fs.FS, name string) *yaml.Node {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

// field returns the value of key in a mapping node, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// sequence returns the items of a sequence node, or nil.
func sequence(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}
