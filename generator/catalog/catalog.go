// Package catalog loads a template catalog (components, blueprints, the pins
// table) from file systems and validates every entry strictly. The embedded
// catalog and git catalogs go through the same code.
package catalog

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/controls"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lazyre"
)

// Source is where a catalog is read from.
type Source struct {
	Templates  fs.FS  // catalog.yaml, controls.yaml, questions.yaml, pins.tsv and one directory per component
	Blueprints fs.FS  // one <name>.yaml per blueprint
	Commit     string // the git commit of a git catalog; "" for the embedded one
}

// Catalog is a loaded, validated catalog. It is read-only after Load.
type Catalog struct {
	ID       string
	Version  string
	Commit   string
	Registry *controls.Registry // the catalog's controls.yaml
	Pins     map[string]Pin
	// Shared are the questions of questions.yaml, by name: declared once
	// for the catalog and referenced by name from components.
	Shared map[string]*answers.Question
	// Sections group questions on a terminal, in order; the first one is
	// asked without a gate and is where questions without a section go.
	Sections []Section
	// components are the catalog's components by name, each loaded when
	// it is first asked for (Load loads every one at once).
	components map[string]*componentEntry
	blueprints map[string]*Blueprint
}

// componentEntry is one component, loaded on first use: an embedded
// catalog decodes only the components a run reads (LoadEmbedded).
type componentEntry struct {
	load func() (*Component, error)
}

// loaded is an entry for a component that is loaded already.
func loaded(comp *Component) *componentEntry {
	return &componentEntry{load: func() (*Component, error) { return comp, nil }}
}

// component returns the named component, loading it if needed; ok is
// false when the catalog has none of that name.
func (c *Catalog) component(name string) (comp *Component, ok bool, err error) {
	e, ok := c.components[name]
	if !ok {
		return nil, false, nil
	}
	comp, err = e.load()
	return comp, true, err
}

// Component is one component: its declaration plus its template files.
type Component struct {
	Name        string   `yaml:"name" json:"name"`
	Description string   `yaml:"description" json:"description"`
	Version     string   `yaml:"version" json:"version"`
	Requires    []string `yaml:"requires" json:"requires,omitempty"`
	// Controls is optional: IDs of the catalog's registry, each with the
	// condition it depends on, if any.
	Controls []ControlRef `yaml:"controls" json:"controls"`
	// BeforeDeploy lists what the user must do that secgen cannot: files
	// to add to the project and what the cluster must run, each under its
	// condition. The summary of new, its -o json and check list them.
	BeforeDeploy []DeployStep `yaml:"before_deploy" json:"before_deploy,omitempty"`
	// Questions are the component's questions in order: shared ones (the
	// catalog's declaration, referenced by name) and its own.
	Questions []*answers.Question `yaml:"-" json:"-"`
	Rules     []FileRule          `yaml:"files" json:"-"`
	// rules are the component's checks.yaml and breakages.yaml (Checks,
	// Breakages): decoded when the catalog loads, or on first use for the
	// embedded catalog (LoadEmbedded).
	rules func() (componentRules, error)

	// Sources lists the template files, sorted: paths relative to the
	// component's files/ directory, without the .tmpl suffix.
	Sources []string `yaml:"-" json:"-"`
	// Files is the component's files/ tree.
	Files fs.FS `yaml:"-" json:"-"`
}

// componentRules are a component's audit rules and the breakages that
// prove them.
type componentRules struct {
	checks    []Check
	breakages []Breakage
}

// Checks returns the component's audit rules, from its checks.yaml, in
// file order. The caller must not modify them.
func (c *Component) Checks() ([]Check, error) {
	r, err := c.rules()
	return r.checks, err
}

// Breakages returns the deliberate regressions the component's checks
// must catch, from its breakages.yaml. The caller must not modify them.
func (c *Component) Breakages() ([]Breakage, error) {
	r, err := c.rules()
	return r.breakages, err
}

// DeployStep is one thing to do before the first deployment: exactly one
// of File (a path the user must add to the project, such as a CA bundle
// secgen cannot vouch for) and Cluster (what the cluster must run, such as
// an operator), with Why saying what needs it. When is a condition over
// the answers, like a control's; empty means always.
type DeployStep struct {
	File    string `yaml:"file,omitempty" json:"file,omitempty"`
	Cluster string `yaml:"cluster,omitempty" json:"cluster,omitempty"`
	Why     string `yaml:"why" json:"why"`
	When    string `yaml:"when,omitempty" json:"when,omitempty"`
}

// ControlRef is one control a component implements. In component.yaml it is
// either an ID ("K8S-07") or a mapping with the condition the control
// depends on ({id: K8S-10, when: '{{ eq .mesh "istio" }}'}); When is a
// template over the answers, like a file rule's, that yields true or false.
// An empty When means the control always applies.
type ControlRef struct {
	ID   string `yaml:"id" json:"id"`
	When string `yaml:"when,omitempty" json:"when,omitempty"`
}

// UnmarshalYAML accepts the short form (a bare ID) and the mapping form;
// a mapping with any key other than id and when is refused.
func (r *ControlRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&r.ID)
	}
	var m map[string]string
	if err := n.Decode(&m); err != nil {
		return fmt.Errorf("line %d: a control is an ID or a mapping of id and when: %w", n.Line, err)
	}
	for k := range m {
		if k != "id" && k != "when" {
			return fmt.Errorf("line %d: field %s not found in a control (want id and when)", n.Line, k)
		}
	}
	*r = ControlRef{ID: m["id"], When: m["when"]}
	return nil
}

// IDs returns the IDs of controls, in order.
func IDs(controls []ControlRef) []string {
	out := make([]string, len(controls))
	for i, c := range controls {
		out[i] = c.ID
	}
	return out
}

// FileRule applies to the source paths it matches: render only when When is
// "true", with mode 0755 when Executable, and once per item of the list
// answer Foreach when it is set.
type FileRule struct {
	Match      string `yaml:"match"`
	When       string `yaml:"when"`
	Executable bool   `yaml:"executable"`
	// Foreach names a list question of the component: each matched source
	// renders once per item of its answer, with the item bound to the name
	// As in the data of the path and of the template (`{{ .env }}`).
	Foreach string `yaml:"foreach"`
	As      string `yaml:"as"`
	// RenamedFrom declares that the one template the rule matches used to
	// be the template at this source path (without .tmpl, path templates
	// allowed) in earlier versions: update moves the user's file from the
	// old rendered path to the new one and merges it, keeping their edits.
	RenamedFrom string `yaml:"renamed_from"`
}

// usesVariable reports whether template text refers to the answer or loop
// variable name (as `.name`, not as a prefix of a longer name).
func usesVariable(text, name string) bool {
	return regexp.MustCompile(`\.` + regexp.QuoteMeta(name) + `([^A-Za-z0-9_]|$)`).MatchString(text)
}

// Matches reports whether the rule applies to a source path.
func (r FileRule) Matches(src string) bool {
	if prefix, ok := strings.CutSuffix(r.Match, "/**"); ok {
		return strings.HasPrefix(src, prefix+"/")
	}
	ok, _ := path.Match(r.Match, src)
	return ok
}

// Blueprint is a named starting point: components in order plus defaults.
type Blueprint struct {
	Name        string               `yaml:"name" json:"name"`
	Description string               `yaml:"description" json:"description"`
	Components  []string             `yaml:"components" json:"components"`
	Defaults    map[string]yaml.Node `yaml:"defaults" json:"-"`
}

// Section is a named group of questions, declared in catalog.yaml.
type Section struct {
	Name  string `yaml:"name" json:"name"`
	Title string `yaml:"title" json:"title"`
}

// defaultSections stand when catalog.yaml declares none.
var defaultSections = []Section{{Name: "general", Title: "General"}}

// Pin is one row of the pins table: a GitHub Action at a verified commit.
type Pin struct {
	Action string
	Tag    string
	Commit string
}

const (
	maxDeclarationSize = 256 << 10
	maxTemplateSize    = 4 << 20
)

var (
	namePattern    = lazyre.New(`^[a-z][a-z0-9-]{0,62}$`)
	versionPattern = lazyre.New(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)
	actionPattern  = lazyre.New(`^[A-Za-z0-9-]+/[A-Za-z0-9._-]+(/[A-Za-z0-9._/-]+)?$`)
	shaPattern     = lazyre.New(`^[0-9a-f]{40}$`)
	tagPattern     = lazyre.New(`^v[0-9]+(\.[0-9]+)*$`)
)

// Files at the top of a catalog's templates that are not component directories.
const (
	catalogFile   = "catalog.yaml"
	controlsFile  = "controls.yaml"
	questionsFile = "questions.yaml"
	pinsFile      = "pins.tsv"
)

// MaxQuestions bounds the questions of questions.yaml and of one component.
const MaxQuestions = 1000

// questionItem is one item of a component's questions: either the name of a
// shared question (a YAML string) or a local declaration (a mapping).
type questionItem struct {
	Ref   string
	Local *answers.Question
}

// UnmarshalYAML decodes a string as a reference and a mapping as a local
// question. It takes the decoder's unmarshal function, so that the local
// declaration is decoded as strictly as the rest of the file.
func (q *questionItem) UnmarshalYAML(unmarshal func(any) error) error {
	var v any
	if err := unmarshal(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		q.Ref = v
		return nil
	case map[string]any:
		q.Local = &answers.Question{}
		return unmarshal(q.Local)
	default:
		return fmt.Errorf("a question is the name of a shared question or a mapping declaring one, not %T", v)
	}
}

// componentFile is component.yaml as written: questions may be references.
type componentFile struct {
	Component `yaml:",inline"`
	Questions []questionItem `yaml:"questions"`
}

// Load reads and validates a whole catalog. Every error names the file and
// the field at fault and is classified as invalid input.
func Load(ctx context.Context, src Source) (*Catalog, error) {
	return load(ctx, src, false)
}

// LoadEmbedded loads a catalog compiled into the binary, whose validity a
// test of the package embedding it proves with Load: it skips what that
// test already proved and what only some verbs need. Each component's
// checks.yaml and breakages.yaml are decoded and validated on first use
// (audit, lint and test need them; new, add, check and update without
// changes to judge do not), and the uniqueness of check IDs across
// components is not checked again. Never use it on a catalog read at run
// time: those are hostile input, and Load validates all of them.
func LoadEmbedded(ctx context.Context, src Source) (*Catalog, error) {
	return load(ctx, src, true)
}

func load(ctx context.Context, src Source, embedded bool) (*Catalog, error) {
	var err error
	c := &Catalog{
		Commit:     src.Commit,
		components: map[string]*componentEntry{},
		blueprints: map[string]*Blueprint{},
	}
	var meta struct {
		ID       string    `yaml:"id"`
		Version  string    `yaml:"version"`
		Sections []Section `yaml:"sections"`
	}
	if err := decodeFile(src.Templates, catalogFile, &meta); err != nil {
		return nil, err
	}
	if !namePattern.MatchString(meta.ID) {
		return nil, failure.Invalidf("catalog.yaml: id %s must be a lower-case name", failure.Quote(meta.ID))
	}
	if !versionPattern.MatchString(meta.Version) {
		return nil, failure.Invalidf("catalog.yaml: version %s must be a semantic version", failure.Quote(meta.Version))
	}
	c.ID, c.Version = meta.ID, meta.Version
	if c.Sections, err = checkSections(meta.Sections); err != nil {
		return nil, err
	}

	data, err := readBounded(src.Templates, controlsFile, maxDeclarationSize)
	if err != nil {
		return nil, failure.Invalidf("%s: %w", controlsFile, err)
	}
	reg, err := controls.Parse(data)
	if err != nil {
		return nil, failure.Invalidf("%s: %w", controlsFile, err)
	}
	c.Registry = reg

	if c.Shared, err = loadSharedQuestions(src.Templates, embedded); err != nil {
		return nil, err
	}

	pins, err := loadPins(src.Templates)
	if err != nil {
		return nil, err
	}
	c.Pins = pins

	entries, err := fs.ReadDir(src.Templates, ".")
	if err != nil {
		return nil, fmt.Errorf("read catalog templates: %w", err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		switch {
		case e.Name() == catalogFile || e.Name() == controlsFile || e.Name() == questionsFile || e.Name() == pinsFile || e.Name() == "embed.go":
			continue
		case e.Type()&fs.ModeSymlink != 0:
			return nil, failure.Invalidf("templates/%s: symbolic links are not allowed in a catalog", e.Name())
		case !e.IsDir():
			return nil, failure.Invalidf("templates/%s: unexpected file (components are directories)", e.Name())
		}
		if embedded {
			// Its validity, and that it is named as its directory, were
			// proven at test time: it is decoded when first asked for.
			dir := e.Name()
			c.components[dir] = &componentEntry{load: sync.OnceValues(func() (*Component, error) {
				comp, err := loadComponent(src.Templates, dir, c.Registry, c.Shared, true)
				if err != nil {
					return nil, err
				}
				return comp, c.placeComponentQuestions(comp)
			})}
			continue
		}
		comp, err := loadComponent(src.Templates, e.Name(), c.Registry, c.Shared, embedded)
		if err != nil {
			return nil, err
		}
		c.components[comp.Name] = loaded(comp)
	}
	if err := c.placeQuestions(embedded); err != nil {
		return nil, err
	}
	if !embedded {
		if err := c.checkComponents(); err != nil {
			return nil, err
		}
	}
	bps, err := fs.ReadDir(src.Blueprints, ".")
	if err != nil {
		return nil, fmt.Errorf("read catalog blueprints: %w", err)
	}
	for _, e := range bps {
		if e.Name() == "embed.go" {
			continue
		}
		if e.Type()&fs.ModeSymlink != 0 || !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".yaml") {
			return nil, failure.Invalidf("blueprints/%s: only <name>.yaml files are allowed", e.Name())
		}
		bp, err := c.loadBlueprint(src.Blueprints, e.Name(), embedded)
		if err != nil {
			return nil, err
		}
		c.blueprints[bp.Name] = bp
	}
	return c, nil
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func pathMatch(pattern, name string) (bool, error) { return path.Match(pattern, name) }

func decodeFile(fsys fs.FS, name string, into any) error {
	data, err := readBounded(fsys, name, maxDeclarationSize)
	if err != nil {
		return failure.Invalidf("%s: %w", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(into); err != nil {
		return failure.Invalidf("%s: %w", name, err)
	}
	return nil
}

func readBounded(fsys fs.FS, name string, limit int64) ([]byte, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return fs.ReadFile(fsys, name)
}

// loadSharedQuestions reads questions.yaml, which a catalog may omit.
func loadSharedQuestions(fsys fs.FS, embedded bool) (map[string]*answers.Question, error) {
	shared := map[string]*answers.Question{}
	if _, err := fs.Stat(fsys, questionsFile); errorsIsNotExist(err) {
		return shared, nil
	}
	var doc struct {
		Questions []*answers.Question `yaml:"questions"`
	}
	if err := decodeFile(fsys, questionsFile, &doc); err != nil {
		return nil, err
	}
	if len(doc.Questions) > MaxQuestions {
		return nil, failure.Invalidf("%s: more than %d questions", questionsFile, MaxQuestions)
	}
	for i, q := range doc.Questions {
		if q == nil {
			return nil, failure.Invalidf("%s: questions[%d] is empty", questionsFile, i)
		}
		if err := checkQuestion(q, embedded); err != nil {
			return nil, failure.Invalidf("%s: questions[%d]: %v", questionsFile, i, err)
		}
		if _, dup := shared[q.Name]; dup {
			return nil, failure.Invalidf("%s: question %q is declared twice", questionsFile, q.Name)
		}
		shared[q.Name] = q
	}
	return shared, nil
}

// checkQuestion validates a question of a catalog read at run time and
// prepares it; one of the embedded catalog, proven valid at test time, is
// only prepared.
func checkQuestion(q *answers.Question, embedded bool) error {
	if embedded {
		q.Prepare()
		return nil
	}
	return q.Check()
}

func loadComponent(root fs.FS, dir string, reg *controls.Registry, shared map[string]*answers.Question, embedded bool) (*Component, error) {
	file := dir + "/component.yaml"
	var decl componentFile
	if err := decodeFile(root, file, &decl); err != nil {
		return nil, err
	}
	comp := &decl.Component
	bad := func(format string, args ...any) error {
		return failure.Invalidf("%s: %s", file, fmt.Sprintf(format, args...))
	}
	if comp.Name != dir {
		return nil, bad("name %s must equal the directory name %q", failure.Quote(comp.Name), dir)
	}
	if !namePattern.MatchString(comp.Name) {
		return nil, bad("name %s must be a lower-case name", failure.Quote(comp.Name))
	}
	if strings.TrimSpace(comp.Description) == "" {
		return nil, bad("description is required")
	}
	if !versionPattern.MatchString(comp.Version) {
		return nil, bad("version %s must be a semantic version", failure.Quote(comp.Version))
	}
	seen := map[string]bool{}
	for _, c := range comp.Controls {
		if _, ok := reg.Lookup(c.ID); !ok {
			return nil, bad("controls: unknown control ID %s", failure.Quote(c.ID))
		}
		if seen[c.ID] {
			return nil, bad("controls: %s is listed twice", c.ID)
		}
		seen[c.ID] = true
	}
	for i, d := range comp.BeforeDeploy {
		switch {
		case (d.File == "") == (d.Cluster == ""):
			return nil, bad("before_deploy[%d]: give exactly one of file and cluster", i)
		case strings.TrimSpace(d.Why) == "":
			return nil, bad("before_deploy[%d]: why is required", i)
		case d.File != "" && (!fs.ValidPath(d.File) || strings.ContainsAny(d.File, "\\\x00")):
			return nil, bad("before_deploy[%d]: file %s must be a clean relative path", i, failure.Quote(d.File))
		}
	}
	if len(decl.Questions) > MaxQuestions {
		return nil, bad("questions: more than %d questions", MaxQuestions)
	}
	names := map[string]bool{}
	for i, item := range decl.Questions {
		q := item.Local
		switch {
		case item.Ref != "":
			var ok bool
			if q, ok = shared[item.Ref]; !ok {
				return nil, bad("questions[%d]: %s is not a shared question of %s%s", i, failure.Quote(item.Ref), questionsFile, suggestion(item.Ref, slices.Sorted(maps.Keys(shared))))
			}
		case q == nil:
			return nil, bad("questions[%d] is empty", i)
		default:
			if err := checkQuestion(q, embedded); err != nil {
				return nil, bad("questions[%d]: %v", i, err)
			}
			if _, isShared := shared[q.Name]; isShared {
				return nil, bad("questions[%d]: %q is a shared question of %s; reference it by name instead of declaring it again", i, q.Name, questionsFile)
			}
		}
		if names[q.Name] {
			return nil, bad("questions[%d]: question %q is asked twice", i, q.Name)
		}
		names[q.Name] = true
		comp.Questions = append(comp.Questions, q)
	}

	files, err := fs.Sub(root, dir+"/files")
	if err != nil {
		return nil, bad("files: %v", err)
	}
	comp.Files = files
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link, which a catalog may not contain", p)
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file", p)
		case !strings.HasSuffix(p, ".tmpl"):
			return fmt.Errorf("%s must end in .tmpl", p)
		}
		comp.Sources = append(comp.Sources, strings.TrimSuffix(p, ".tmpl"))
		return nil
	})
	if err != nil {
		return nil, failure.Invalidf("%s/files: %w", dir, err)
	}
	if len(comp.Sources) == 0 {
		return nil, failure.Invalidf("%s/files: the component has no templates", dir)
	}
	sort.Strings(comp.Sources)
	for i, r := range comp.Rules {
		if _, err := path.Match(strings.TrimSuffix(r.Match, "/**"), ""); err != nil || r.Match == "" {
			return nil, bad("files[%d].match %s is not a valid pattern", i, failure.Quote(r.Match))
		}
		if r.When == "" && !r.Executable && r.Foreach == "" && r.RenamedFrom == "" {
			return nil, bad("files[%d] has neither when, executable, foreach nor renamed_from", i)
		}
		if r.RenamedFrom != "" {
			if err := checkRenamedFrom(comp, r); err != nil {
				return nil, bad("files[%d].renamed_from: %v", i, err)
			}
		}
		if err := checkForeach(comp, r); err != nil {
			return nil, bad("files[%d]: %v", i, err)
		}
		matched := false
		for _, s := range comp.Sources {
			if !r.Matches(s) {
				continue
			}
			matched = true
			if r.Foreach != "" && !usesVariable(s, r.As) {
				return nil, bad("files[%d]: %s renders once per item of %s, so its path must use .%s", i, failure.Quote(s), r.Foreach, r.As)
			}
		}
		if !matched {
			return nil, bad("files[%d].match %s matches no template", i, failure.Quote(r.Match))
		}
	}
	for _, s := range comp.Sources {
		loops := 0
		for _, r := range comp.Rules {
			if r.Foreach != "" && r.Matches(s) {
				loops++
			}
		}
		if loops > 1 {
			return nil, bad("files: %s is matched by %d foreach rules; at most one may apply to a template", failure.Quote(s), loops)
		}
	}
	rules := func() (componentRules, error) {
		checks, err := loadChecks(root, dir, comp)
		if err != nil {
			return componentRules{}, err
		}
		breakages, err := loadBreakages(root, dir, comp, checks)
		if err != nil {
			return componentRules{}, err
		}
		return componentRules{checks: checks, breakages: breakages}, nil
	}
	if embedded {
		comp.rules = sync.OnceValues(rules)
		return comp, nil
	}
	r, err := rules()
	if err != nil {
		return nil, err
	}
	comp.rules = func() (componentRules, error) { return r, nil }
	return comp, nil
}

// checkRenamedFrom validates a declared rename: a clean relative source
// path, different from the one template the rule matches.
func checkRenamedFrom(comp *Component, r FileRule) error {
	old := r.RenamedFrom
	if strings.HasSuffix(old, ".tmpl") || path.IsAbs(old) || path.Clean(old) != old || old == "." || old == ".." || strings.HasPrefix(old, "../") || strings.ContainsAny(old, "\\\x00") {
		return fmt.Errorf("%s must be a clean relative source path without .tmpl", failure.Quote(old))
	}
	var matched []string
	for _, s := range comp.Sources {
		if r.Matches(s) {
			matched = append(matched, s)
		}
	}
	if len(matched) != 1 {
		return fmt.Errorf("the rule's match must select exactly one template, not %d", len(matched))
	}
	if matched[0] == old {
		return fmt.Errorf("%s is the template's own path", failure.Quote(old))
	}
	return nil
}

// checkSections validates the declared sections: distinct lower-case names
// and one-line titles.
func checkSections(secs []Section) ([]Section, error) {
	if len(secs) == 0 {
		return defaultSections, nil
	}
	seen := map[string]bool{}
	for i, s := range secs {
		if !namePattern.MatchString(s.Name) || seen[s.Name] {
			return nil, failure.Invalidf("catalog.yaml: sections[%d].name %s must be a distinct lower-case name", i, failure.Quote(s.Name))
		}
		if t := strings.TrimSpace(s.Title); t == "" || t != s.Title || len(t) > 40 || strings.ContainsAny(t, "\n\r\t") {
			return nil, failure.Invalidf("catalog.yaml: sections[%d].title must be one short line", i)
		}
		seen[s.Name] = true
	}
	return secs, nil
}

// placeQuestions puts questions without a section in the first one and
// refuses unknown sections: the shared questions, and each component's
// unless the components are loaded on first use (embedded), which places
// its questions then.
func (c *Catalog) placeQuestions(embedded bool) error {
	for _, name := range slices.Sorted(maps.Keys(c.Shared)) {
		q := c.Shared[name]
		if q.Section == "" {
			q.Section = c.Sections[0].Name
		}
		if c.SectionTitle(q.Section) == "" {
			return failure.Invalidf("%s: question %q: section %s is not declared in catalog.yaml", questionsFile, q.Name, failure.Quote(q.Section))
		}
	}
	if embedded {
		return nil
	}
	for _, name := range c.ComponentNames() {
		comp, _, _ := c.component(name) // loaded already
		if err := c.placeComponentQuestions(comp); err != nil {
			return err
		}
	}
	return nil
}

// placeComponentQuestions is placeQuestions for one component's questions.
func (c *Catalog) placeComponentQuestions(comp *Component) error {
	for _, q := range comp.Questions {
		if q.Section == "" {
			q.Section = c.Sections[0].Name
		}
		if c.SectionTitle(q.Section) == "" {
			return failure.Invalidf("%s/component.yaml: question %q: section %s is not declared in catalog.yaml", comp.Name, q.Name, failure.Quote(q.Section))
		}
	}
	return nil
}

// SectionTitle returns the title of a section, or "" when there is none.
func (c *Catalog) SectionTitle(name string) string {
	for _, s := range c.Sections {
		if s.Name == name {
			return s.Title
		}
	}
	return ""
}

// checkForeach validates a rule's foreach and as: both or neither, foreach
// naming a list question of the component, as a valid variable name.
func checkForeach(comp *Component, r FileRule) error {
	if r.Foreach == "" {
		if r.As != "" {
			return fmt.Errorf("as applies only with foreach")
		}
		return nil
	}
	// The item sits beside the answers, so as has the form of a question's
	// name; checkComponents makes sure that it is no question's name.
	if err := answers.CheckName(r.As); err != nil {
		return fmt.Errorf("foreach needs as, the name of the item variable: %w", err)
	}
	for _, q := range comp.Questions {
		if q.Name == r.Foreach {
			if q.Type != answers.List {
				return fmt.Errorf("foreach %q must name a list question, not a %s", r.Foreach, q.Type)
			}
			return nil
		}
	}
	return fmt.Errorf("foreach %s is not a question of the component", failure.Quote(r.Foreach))
}

// checkComponents validates references between components: requirements
// exist, and a question asked by several components is one shared question
// (answers live in one flat namespace, so two declarations could disagree).
// Load runs it, with every component loaded; an embedded catalog was
// proven to pass it at test time.
func (c *Catalog) checkComponents() error {
	declaredBy := map[*answers.Question]string{}
	byName := map[string]*answers.Question{}
	checkIDs := map[string]string{}
	for _, name := range c.ComponentNames() {
		comp, _, _ := c.component(name) // loaded already
		checks, _ := comp.Checks()      // decoded and validated by loadComponent
		for _, ch := range checks {
			if other, dup := checkIDs[ch.ID]; dup {
				return failure.Invalidf("%s/checks.yaml: check %s is also declared by %s", name, ch.ID, other)
			}
			checkIDs[ch.ID] = name
		}
		for _, r := range comp.Requires {
			if _, ok := c.components[r]; !ok || r == name {
				return failure.Invalidf("%s/component.yaml: requires names unknown component %s", name, failure.Quote(r))
			}
		}
		for _, q := range comp.Questions {
			if prev, ok := byName[q.Name]; ok && prev != q {
				return failure.Invalidf("%s/component.yaml: question %q is also declared by component %s; declare it once in %s and reference it by name from both", name, q.Name, declaredBy[prev], questionsFile)
			}
			byName[q.Name] = q
			if _, ok := declaredBy[q]; !ok {
				declaredBy[q] = name
			}
		}
	}
	// A foreach item variable sits beside the answers in the template data,
	// so it may not shadow an answer of any component a project may hold.
	for _, name := range c.ComponentNames() {
		comp, _, _ := c.component(name)
		for i, r := range comp.Rules {
			if _, clash := byName[r.As]; clash && r.As != "" {
				return failure.Invalidf("%s/component.yaml: files[%d]: as %q is the name of a question of the catalog; choose another name for the item", name, i, r.As)
			}
		}
	}
	return nil
}

func (c *Catalog) loadBlueprint(fsys fs.FS, file string, embedded bool) (*Blueprint, error) {
	bp := &Blueprint{}
	if err := decodeFile(fsys, file, bp); err != nil {
		return nil, failure.Invalidf("blueprints/%w", err)
	}
	if embedded {
		// Validated at test time; validating it here would load the
		// components it names, and check each default against its question.
		return bp, nil
	}
	bad := func(format string, args ...any) error {
		return failure.Invalidf("blueprints/%s: %s", file, fmt.Sprintf(format, args...))
	}
	if bp.Name+".yaml" != file || !namePattern.MatchString(bp.Name) {
		return nil, bad("name %s must be a lower-case name equal to the file name", failure.Quote(bp.Name))
	}
	if strings.TrimSpace(bp.Description) == "" {
		return nil, bad("description is required")
	}
	if len(bp.Components) == 0 {
		return nil, bad("components must not be empty")
	}
	seen := map[string]bool{}
	for _, name := range bp.Components {
		if _, ok := c.components[name]; !ok {
			return nil, bad("components: unknown component %s", failure.Quote(name))
		}
		if seen[name] {
			return nil, bad("components: %s is listed twice", name)
		}
		seen[name] = true
	}
	for _, name := range bp.Components {
		comp, _, _ := c.component(name) // loaded already
		for _, r := range comp.Requires {
			if !seen[r] {
				return nil, bad("component %s requires %s, which the blueprint does not include", name, r)
			}
		}
	}
	asked, err := c.Questions(bp.Components)
	if err != nil {
		return nil, bad("%v", err)
	}
	byName := map[string]answers.Asked{}
	for _, q := range asked {
		byName[q.Name] = q
	}
	for _, key := range slices.Sorted(maps.Keys(bp.Defaults)) {
		q, ok := byName[key]
		if !ok {
			return nil, bad("defaults: %s is not a question of its components", failure.Quote(key))
		}
		node := bp.Defaults[key]
		if node.Kind == yaml.ScalarNode && node.Tag == "!!str" && strings.Contains(node.Value, "{{") {
			continue
		}
		v, err := answers.ParseNode(q.Question, &node)
		if err == nil {
			err = q.Check(v)
		}
		if err != nil {
			return nil, bad("defaults: %s: %v", key, err)
		}
	}
	return bp, nil
}

func loadPins(fsys fs.FS) (map[string]Pin, error) {
	pins := map[string]Pin{}
	data, err := readBounded(fsys, pinsFile, maxDeclarationSize)
	if err != nil {
		if errorsIsNotExist(err) {
			return pins, nil
		}
		return nil, failure.Invalidf("pins.tsv: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) != 4 {
			return nil, failure.Invalidf("pins.tsv line %d: want 4 tab-separated columns, got %d", line, len(cols))
		}
		p := Pin{Action: cols[0], Tag: cols[1], Commit: cols[2]}
		switch {
		case !actionPattern.MatchString(p.Action):
			return nil, failure.Invalidf("pins.tsv line %d: malformed action %s", line, failure.Quote(p.Action))
		case !tagPattern.MatchString(p.Tag):
			return nil, failure.Invalidf("pins.tsv line %d: malformed tag %s", line, failure.Quote(p.Tag))
		case !shaPattern.MatchString(p.Commit):
			return nil, failure.Invalidf("pins.tsv line %d: commit must be 40 lower-case hex digits", line)
		}
		if _, dup := pins[p.Action]; dup {
			return nil, failure.Invalidf("pins.tsv line %d: %s is pinned twice", line, p.Action)
		}
		pins[p.Action] = p
	}
	return pins, nil
}
