package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/suggest"
)

// ProjectRequest asks to audit a directory.
type ProjectRequest struct {
	// Dir is the directory to audit; "" is the working directory.
	Dir string
	// Components, when not empty, names the components whose rules apply
	// (for repositories secgen did not generate); otherwise they come from
	// the directory's manifest.
	Components []string
	// ConfigFile is an audit configuration file (Config); "" reads
	// ConfigName in the directory when it is there.
	ConfigFile string
	// BaselineFile lists accepted exceptions (the waivers of a Config).
	BaselineFile string
	// Exclude are more globs of paths not audited.
	Exclude []string
	// Set gives answers for a directory without a manifest.
	Set map[string]any
	// Today is the date waivers expire against (YYYY-MM-DD); "" is today.
	Today string
	// BaseManifest is the base branch's manifest file: the directory's
	// manifest must not audit less (CompareManifests).
	BaseManifest string
	// Manifest, when set, is the directory's manifest as the project layer
	// read it (it is not read again).
	Manifest *manifest.Manifest
}

// ConfigName is the audit configuration file read from the audited
// directory when no other is named.
const ConfigName = ".secgen-audit.yaml"

// Project audits a directory with cat's rules: those of the components its
// manifest records, or of req.Components.
func Project(ctx context.Context, cat *catalog.Catalog, req ProjectRequest) (*Report, error) {
	rs, r, err := Prepare(cat, req)
	if err != nil {
		return nil, err
	}
	rep, err := rs.Run(ctx, r)
	if err != nil || req.BaseManifest == "" {
		return rep, err
	}
	data, err := os.ReadFile(req.BaseManifest)
	if err != nil {
		return nil, failure.Invalidf("cannot read the base manifest %s: %s", failure.Quote(req.BaseManifest), describe(err))
	}
	base, err := manifest.Parse(data)
	if err != nil {
		return nil, failure.Invalidf("the base manifest %s: %w", failure.Quote(req.BaseManifest), err)
	}
	head := req.Manifest
	if head == nil {
		if head, err = readManifest(r.Root); err != nil {
			return nil, err
		}
	}
	if head == nil {
		rep.Diagnostics = append(rep.Diagnostics, Diagnostic{File: manifest.FileName, Kind: DiagWeakened, Fails: true,
			Reason: manifest.FileName + " is deleted, so nothing the base branch audits is audited"})
		return rep, nil
	}
	rep.Diagnostics = append(rep.Diagnostics, CompareManifests(base, head)...)
	return rep, nil
}

// Prepare resolves what Project audits: the compiled rules and the request.
func Prepare(cat *catalog.Catalog, req ProjectRequest) (*Rules, Request, error) {
	dir := req.Dir
	if dir == "" {
		dir = "."
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, Request{}, fmt.Errorf("resolve %s: %w", failure.Quote(dir), err)
	}
	info, err := os.Lstat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, Request{}, failure.Invalidf("directory %s does not exist", failure.Quote(dir))
	case err != nil:
		return nil, Request{}, fmt.Errorf("inspect %s: %w", failure.Quote(dir), err)
	case !info.IsDir():
		return nil, Request{}, failure.Invalidf("%s is not a directory", failure.Quote(dir))
	}
	out := Request{Root: root, Today: req.Today}
	m := req.Manifest
	if m == nil {
		if m, err = readManifest(root); err != nil {
			return nil, Request{}, err
		}
	}
	cfg, err := readConfig(root, req.ConfigFile)
	if err != nil {
		return nil, Request{}, err
	}
	if req.BaselineFile != "" {
		data, err := os.ReadFile(req.BaselineFile)
		if err != nil {
			return nil, Request{}, failure.Invalidf("cannot read the baseline %s: %s", failure.Quote(req.BaselineFile), describe(err))
		}
		base, err := ParseConfig(req.BaselineFile, data)
		if err != nil {
			return nil, Request{}, err
		}
		if len(base.Exclude) > 0 || len(base.Set) > 0 {
			return nil, Request{}, failure.Invalidf("the baseline %s may only list waivers", failure.Quote(req.BaselineFile))
		}
		out.Waivers = append(out.Waivers, base.Waivers...)
	}
	for _, g := range req.Exclude {
		if !catalog.ValidGlob(g) {
			return nil, Request{}, &failure.FieldError{Field: failure.FieldExclude, Value: g, Reason: "is not a valid pattern"}
		}
	}
	out.Exclude = append(slices.Clone(cfg.Exclude), req.Exclude...)
	out.Waivers = append(out.Waivers, cfg.Waivers...)
	set := maps.Clone(cfg.Set)
	if set == nil {
		set = map[string]any{}
	}
	maps.Copy(set, req.Set)
	if m != nil && len(set) > 0 {
		return nil, Request{}, failure.Says(manifest.FileName, " records the answers; answers given with ", failure.FieldSet, " or the audit configuration apply only to a directory without one")
	}
	if m == nil && len(set) > 0 {
		out.Answers = set
	}
	names, err := resolve(cat, m, dir, req.Components, &out)
	if err != nil {
		return nil, Request{}, err
	}
	rs, err := Compile(cat, names)
	if err != nil {
		return nil, Request{}, err
	}
	return rs, out, nil
}

// ForFiles prepares the audit of a project held in memory, fsys, with rules
// compiled for the whole catalog once (Compile(cat, nil)): the rules of the
// components its manifest records, or of components when not empty, and
// the request with its recorded answers. `secgen test` audits every golden
// render and every breakage this way, without writing a file.
func (rs *Rules) ForFiles(cat *catalog.Catalog, fsys fs.FS, components []string) (*Rules, Request, error) {
	var m *manifest.Manifest
	if _, err := lstat(fsys, manifest.FileName); err == nil {
		data, reason := readFile(fsys, manifest.FileName)
		if reason != "" {
			return nil, Request{}, failure.Invalidf("%s is not audited: %s", manifest.FileName, reason)
		}
		if m, err = manifest.Parse(data); err != nil {
			return nil, Request{}, err
		}
	}
	req := Request{Files: fsys}
	names, err := resolve(cat, m, ".", components, &req)
	if err != nil {
		return nil, Request{}, err
	}
	return rs.subset(names), req, nil
}

// Rule returns the rules narrowed to the one whose ID is id (none when rs
// has no such rule). Rules are evaluated independently of each other, so
// the findings of the narrowed rules are exactly that rule's findings in
// an audit by rs: secgen test proves a breakage is caught this way,
// parsing only the files the rule reads.
func (rs *Rules) Rule(id string) *Rules {
	out := &Rules{registry: rs.registry, renders: rs.renders}
	for _, r := range rs.rules {
		if r.ID == id {
			out.rules = append(out.rules, r)
		}
	}
	return out
}

// subset returns the rules of the named components, in the order named.
func (rs *Rules) subset(names []string) *Rules {
	out := &Rules{registry: rs.registry, renders: rs.renders}
	for _, n := range names {
		for _, r := range rs.rules {
			if r.Component == n {
				out.rules = append(out.rules, r)
			}
		}
	}
	return out
}

// resolve returns the components to audit (components, or those the
// manifest m records) and records m's answers in out; dir names the
// directory in errors.
func resolve(cat *catalog.Catalog, m *manifest.Manifest, dir string, components []string, out *Request) ([]string, error) {
	names := slices.Clone(components)
	for _, n := range names {
		if !cat.HasComponent(n) {
			return nil, failure.Invalidf("catalog %s has no component %s%s", cat.ID, failure.Quote(n), suggest.Phrase(n, cat.ComponentNames()))
		}
	}
	if m != nil {
		nodes, err := m.AnswerNodes()
		if err != nil {
			return nil, err
		}
		out.Answers = map[string]any{}
		for k, n := range nodes {
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, failure.Invalidf("%s: answer %s: %w", manifest.FileName, failure.Quote(k), err)
			}
			out.Answers[k] = v
		}
		out.Restorable = m.Catalog.ID == cat.ID
		out.Generated = map[string]bool{}
		for _, c := range m.Components {
			out.Generated[c.Name] = true
		}
		if len(names) == 0 {
			for _, c := range m.Components {
				if !cat.HasComponent(c.Name) {
					return nil, failure.Invalidf("%s lists component %s, which catalog %s does not have", manifest.FileName, failure.Quote(c.Name), cat.ID)
				}
				names = append(names, c.Name)
			}
		}
	}
	if len(names) == 0 {
		return nil, failure.Says(failure.Quote(dir), " has no ", manifest.FileName, " and no ", failure.FieldComponents, " were named: nothing to audit")
	}
	return names, nil
}

// readManifest returns the directory's parsed manifest, or nil when it has
// none.
func readManifest(root string) (*manifest.Manifest, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", root, err)
	}
	defer r.Close()
	if _, err := r.Lstat(manifest.FileName); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	data, reason := readFile(r.FS(), manifest.FileName)
	if reason != "" {
		return nil, failure.Invalidf("%s is not audited: %s", manifest.FileName, reason)
	}
	return manifest.Parse(data)
}

// readConfig reads the named audit configuration, or ConfigName in the
// directory (never through a symbolic link) when none is named.
func readConfig(root, name string) (*Config, error) {
	if name != "" {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, failure.Invalidf("cannot read the audit configuration %s: %s", failure.Quote(name), describe(err))
		}
		return ParseConfig(name, data)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", root, err)
	}
	defer r.Close()
	if _, err := r.Lstat(ConfigName); errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	data, reason := readFile(r.FS(), ConfigName)
	if reason != "" {
		return nil, failure.Invalidf("%s is not read: %s", ConfigName, reason)
	}
	return ParseConfig(ConfigName, data)
}

// RepositoryPrefix is dir's slash path relative to the root of the git
// repository holding it (the nearest parent with a .git entry), "" when dir
// is that root or is in no repository. SARIF locations are relative to the
// repository, as code scanning resolves them.
func RepositoryPrefix(dir string) string {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for cur := abs; ; {
		if _, err := os.Lstat(filepath.Join(cur, ".git")); err == nil {
			rel, err := filepath.Rel(cur, abs)
			if err != nil || rel == "." {
				return ""
			}
			return filepath.ToSlash(rel)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return ""
		}
		cur = parent
	}
}
