// Package manifest defines .secgen.yaml, the record secgen keeps in every
// project it generates: which secgen and catalog produced it, from which
// blueprint and components, with which answers, and the SHA-256 of every
// file it wrote. `add`, `update` and `audit` read it.
//
// Schema version 2:
//
//	schema: 2                      # this document's schema version
//	secgen_version: 0.1.0          # the secgen that wrote it
//	catalog:                       # the catalog rendered from (see CatalogRef)
//	  {id: builtin, version: 0.1.0, source: builtin, digest: "sha256:<64 hex>"}
//	blueprint: go-service          # "" when components were chosen directly
//	components:                    # in rendering order, one per line
//	  - {name: go-service, version: 0.1.0}
//	controls: [APP-01, K8S-01, ...]  # the controls applied with these answers
//	answers: {name: demo, port: 8080, ...}   # validated answers, sorted by key
//	files:                         # sorted by path; the manifest itself is not listed
//	  - {path: go.mod, component: go-service, sha256: <64 hex>, git_blob: <40 hex>}
//
// git_blob is the git blob id of the content secgen wrote: `secgen update`
// finds that content (its merge base) by it, in the project's git object
// database or in .secgen/base/. A project adopted by `secgen init` has no
// components and no files until `secgen add`.
package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/base"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lazyre"
	"github.com/secgen/secgen/generator/plan"
)

// FileName is the manifest's path inside a project.
const FileName = ".secgen.yaml"

// SchemaVersion is the schema this package writes. It also reads schema 1.
const SchemaVersion = 2

// MaxSize bounds a manifest file.
const MaxSize = 4 << 20

// Manifest is the parsed .secgen.yaml.
type Manifest struct {
	Schema        int        `yaml:"schema"`
	SecgenVersion string     `yaml:"secgen_version"`
	Catalog       CatalogRef `yaml:"catalog"`
	// Previous is the catalog the project was at before the last update
	// that changed it: a file still holding what Previous rendered is
	// re-applied (a revert after an interrupted update).
	Previous   *CatalogRef    `yaml:"previous,omitempty"`
	Blueprint  string         `yaml:"blueprint"`
	Components []ComponentRef `yaml:"components"`
	// Controls are the IDs of the controls applied with these answers,
	// in registry order.
	Controls []string  `yaml:"controls"`
	Answers  yaml.Node `yaml:"answers"`
	// Skip lists path patterns (path.Match syntax) secgen never creates,
	// updates or deletes: the user owns them. A generated file the user
	// deleted or replaced by a link joins it.
	Skip []string `yaml:"skip,omitempty"`
	// Conflicts lists files written with conflict markers that were not
	// resolved yet; add and update refuse while any still holds markers.
	Conflicts []string `yaml:"conflicts,omitempty"`
	// AuditOptOut records a deliberate reduction of what the audit covers
	// (components or controls dropped, an older secgen or catalog), which
	// the generated CI otherwise refuses on a pull request. CODEOWNERS
	// review the manifest, so an opt-out is an owner's decision.
	AuditOptOut *AuditOptOut `yaml:"audit_opt_out,omitempty"`
	// Files is last, one entry per line, sorted by path, so two branches'
	// manifests usually merge in git without a conflict.
	Files []FileRecord `yaml:"files"`
}

// AuditOptOut is what a project deliberately stops auditing, and why.
type AuditOptOut struct {
	// Components and Controls may be dropped from the manifest.
	Components []string `yaml:"components,omitempty"`
	Controls   []string `yaml:"controls,omitempty"`
	// Downgrade allows an older secgen or catalog version.
	Downgrade bool `yaml:"downgrade,omitempty"`
	// Reason is required: why the owners accept the reduction.
	Reason string `yaml:"reason"`
}

// Skipped reports whether p matches a pattern of Skip.
func (m *Manifest) Skipped(p string) bool {
	for _, pat := range m.Skip {
		if ok, _ := path.Match(pat, p); ok {
			return true
		}
	}
	return false
}

// CatalogRef identifies the catalog a project was rendered from. Source
// never holds user information (names, passwords, tokens).
type CatalogRef struct {
	ID      string `yaml:"id"`               // catalog.yaml's id
	Version string `yaml:"version"`          // catalog.yaml's version
	Name    string `yaml:"name,omitempty"`   // the named catalog (secgen catalog add), if any
	Source  string `yaml:"source"`           // "builtin", a directory or a git URL
	Ref     string `yaml:"ref,omitempty"`    // the git ref asked for
	Commit  string `yaml:"commit,omitempty"` // the git commit it resolved to
	Signer  string `yaml:"signer,omitempty"` // fingerprint of the verified signer
	Digest  string `yaml:"digest,omitempty"` // built-in catalog: sha256 of its files
}

// Builtin reports whether the reference is to the embedded catalog.
func (c CatalogRef) Builtin() bool { return c.Source == "builtin" }

// ComponentRef is one applied component at its version.
type ComponentRef struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
}

// MarshalYAML writes a component on one line, `{name: k8s, version:
// 0.2.0}`, so that a line-wise merge of two branches' manifests keeps
// whole entries.
func (c ComponentRef) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	for _, kv := range [][2]string{{"name", c.Name}, {"version", c.Version}} {
		var v yaml.Node
		if err := v.Encode(kv[1]); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: kv[0]}, &v)
	}
	return n, nil
}

// FileRecord is one file secgen wrote.
type FileRecord struct {
	Path      string `yaml:"path"`
	Component string `yaml:"component"`
	SHA256    string `yaml:"sha256"`
	GitBlob   string `yaml:"git_blob"`
}

const header = "# Written by secgen: the record of how this project was generated.\n" +
	"# `secgen add`, `update` and `audit` read it; edit it only if you know why.\n"

// AnswersNode encodes answers (string, int, bool or []string values) as a
// YAML mapping sorted by key.
func AnswersNode(values map[string]any) (yaml.Node, error) {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, k := range keys {
		var v yaml.Node
		if err := v.Encode(values[k]); err != nil {
			return yaml.Node{}, fmt.Errorf("encode answer %q: %w", k, err)
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, &v)
	}
	return m, nil
}

// Records returns the file records of a plan, sorted by path.
func Records(files []plan.File) []FileRecord {
	out := make([]FileRecord, 0, len(files))
	for _, f := range files {
		out = append(out, FileRecord{Path: f.Path, Component: f.Component, SHA256: f.SHA256(), GitBlob: base.BlobID(f.Content)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Marshal encodes the manifest deterministically: the files last, one
// flow mapping per line, sorted by path.
func (m *Manifest) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	head := *m
	head.Files = nil
	if err := enc.Encode(&head); err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	out, ok := bytes.CutSuffix(buf.Bytes(), []byte("files: []\n"))
	if !ok {
		return nil, fmt.Errorf("encode manifest: files are not last")
	}
	files := slices.Clone(m.Files)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	if len(files) == 0 {
		return append(out, "files: []\n"...), nil
	}
	out = append(out, "files:\n"...)
	for _, f := range files {
		out = fmt.Appendf(out, "  - {path: %s, component: %s, sha256: %s, git_blob: %s}\n", flowString(f.Path), flowString(f.Component), flowString(f.SHA256), flowString(f.GitBlob))
	}
	return out, nil
}

// plainScalar matches strings YAML may read back as the same plain string
// in a flow mapping.
var plainScalar = lazyre.New(`^[A-Za-z0-9_.][A-Za-z0-9._/-]*$`)

// flowString writes s as a flow scalar: plain when that reads back as the
// same string, else double-quoted (JSON's quoting is valid YAML).
func flowString(s string) string {
	if plainScalar.MatchString(s) && !ambiguous(s) {
		return s
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// ambiguous reports whether a plain scalar would read as something other
// than that string (a number, a boolean, null).
func ambiguous(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", ".inf", ".nan":
		return true
	}
	// Only a hexadecimal number (0x...) holds other letters than e, o, x
	// and b; most paths and every id stop here.
	if strings.ContainsFunc(s, func(r rune) bool { return !strings.ContainsRune("0123456789+-.eExXoObB_:", r) }) && !strings.Contains(strings.ToLower(s), "0x") {
		return false
	}
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		return true
	}
	got, isString := v.(string)
	return !isString || got != s
}

var (
	conflictMarkers = lazyre.New(`(?m)^(<<<<<<<|>>>>>>>|=======)( |$)`)
	sha256Pattern   = lazyre.New(`^[0-9a-f]{64}$`)
	digestPattern   = lazyre.New(`^sha256:[0-9a-f]{64}$`)
	signerPattern   = lazyre.New(`^[0-9A-F]{40}([0-9A-F]{24})?$`)
	// refChars is the shape of a ref; validRef bounds its length apart: a
	// counted repetition would compile into a program 200 states long at
	// every start of the process.
	refChars    = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)
	blobPattern = lazyre.New(`^[0-9a-f]{40}$`)
	namePattern = lazyre.New(`^[a-z][a-z0-9-]{0,62}$`)
)

// Parse decodes a manifest strictly and checks its invariants: a known
// schema, named components, and file records whose paths stay inside the
// project. Every error is invalid input. A file listed twice with
// different records is refused; ParseMerged settles it.
func Parse(data []byte) (*Manifest, error) {
	return ParseMerged(data, nil)
}

// Pick chooses, for a path a merged manifest lists more than once with
// different records, the record that stands; false refuses the manifest.
type Pick func(path string, records []FileRecord) (FileRecord, bool)

// ParseMerged is Parse for a manifest that may be the line-wise union of
// two branches' manifests (the documented recipe for a conflict in git:
// keep the lines of both sides). Each entry is one line, so the union is
// valid YAML; what the union may hold twice is settled: an entry listed
// twice as the same line counts once, a component listed at two versions
// counts once at the newer one (versions never go backwards), and a file
// listed with two records is settled by pick (the engine keeps the record
// of the content on disk).
func ParseMerged(data []byte, pick Pick) (*Manifest, error) {
	if len(data) > MaxSize {
		return nil, failure.Invalidf("%s is larger than %d bytes", FileName, MaxSize)
	}
	if conflictMarkers.Match(data) {
		return nil, failure.Invalidf("%s holds merge conflict markers: keep the lines of both sides (git merge-file --union does), delete the marker lines, then run secgen update", FileName)
	}
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, failure.Invalidf("%s is not a valid manifest: %w", FileName, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, failure.Invalidf("%s must hold a single YAML document", FileName)
	}
	switch m.Schema {
	case 1:
		if m.Catalog.Source != "" || m.Catalog.Commit != "" {
			return nil, failure.Invalidf("%s: a schema 1 manifest records only the built-in catalog", FileName)
		}
		m.Schema, m.Catalog.Source = SchemaVersion, "builtin"
	case SchemaVersion:
	default:
		return nil, failure.Invalidf("%s has schema %d; this secgen reads schemas 1 and %d", FileName, m.Schema, SchemaVersion)
	}
	if err := m.Catalog.check(); err != nil {
		return nil, err
	}
	if m.Previous != nil {
		if err := m.Previous.check(); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for _, c := range m.Components {
		if !namePattern.MatchString(c.Name) {
			return nil, failure.Invalidf("%s: component %s is malformed", FileName, failure.Quote(c.Name))
		}
		seen[c.Name] = true
	}
	m.Components = settleComponents(m.Components)
	files, err := settleFiles(m.Files, pick)
	if err != nil {
		return nil, err
	}
	m.Files = files
	if m.Answers.Kind != 0 && m.Answers.Kind != yaml.MappingNode {
		return nil, failure.Invalidf("%s: answers must be a mapping", FileName)
	}
	paths := map[string]bool{}
	for _, f := range m.Files {
		if err := plan.CheckPath(f.Path); err != nil || Reserved(f.Path) {
			return nil, failure.Invalidf("%s names a file outside the project or otherwise invalid: %s", FileName, failure.Quote(f.Path))
		}
		paths[f.Path] = true
		if !sha256Pattern.MatchString(f.SHA256) {
			return nil, failure.Invalidf("%s: file %s has a malformed sha256", FileName, failure.Quote(f.Path))
		}
		if f.GitBlob != "" && !blobPattern.MatchString(f.GitBlob) {
			return nil, failure.Invalidf("%s: file %s has a malformed git_blob", FileName, failure.Quote(f.Path))
		}
		if !seen[f.Component] {
			return nil, failure.Invalidf("%s: file %s belongs to unlisted component %s", FileName, failure.Quote(f.Path), failure.Quote(f.Component))
		}
	}
	for _, pat := range m.Skip {
		if _, err := path.Match(pat, ""); err != nil || pat == "" || strings.HasPrefix(pat, "/") || strings.Contains(pat, "..") {
			return nil, failure.Invalidf("%s: skip pattern %s is malformed", FileName, failure.Quote(pat))
		}
	}
	for _, c := range m.Conflicts {
		if err := plan.CheckPath(c); err != nil || Reserved(c) {
			return nil, failure.Invalidf("%s: conflicts names an invalid path %s", FileName, failure.Quote(c))
		}
	}
	return &m, nil
}

// settleComponents keeps each component once, where it is first listed,
// at the newest version it is listed at.
func settleComponents(refs []ComponentRef) []ComponentRef {
	at := map[string]int{}
	out := refs[:0:0]
	for _, c := range refs {
		i, ok := at[c.Name]
		if !ok {
			at[c.Name] = len(out)
			out = append(out, c)
			continue
		}
		if newer(c.Version, out[i].Version) {
			out[i].Version = c.Version
		}
	}
	return out
}

// newer reports whether dotted version a is above b (numeric parts compare
// as numbers, others as text).
func newer(a, b string) bool {
	pa, pb := strings.Split(strings.TrimPrefix(a, "v"), "."), strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] == pb[i] {
			continue
		}
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		if ea == nil && eb == nil {
			return na > nb
		}
		return pa[i] > pb[i]
	}
	return len(pa) > len(pb)
}

// settleFiles keeps each file once: the same record listed twice counts
// once, and different records of one path are settled by pick (nil
// refuses them).
func settleFiles(files []FileRecord, pick Pick) ([]FileRecord, error) {
	byPath := map[string][]FileRecord{}
	var order []string
	for _, f := range files {
		if _, ok := byPath[f.Path]; !ok {
			order = append(order, f.Path)
		}
		if !slices.Contains(byPath[f.Path], f) {
			byPath[f.Path] = append(byPath[f.Path], f)
		}
	}
	out := make([]FileRecord, 0, len(order))
	for _, p := range order {
		recs := byPath[p]
		if len(recs) == 1 {
			out = append(out, recs[0])
			continue
		}
		var chosen FileRecord
		ok := false
		if pick != nil {
			chosen, ok = pick(p, recs)
		}
		if !ok {
			return nil, failure.Invalidf("%s lists %s twice, and neither record is the file there (after a merge, keep the entry of the side whose file you kept)", FileName, failure.Quote(p))
		}
		out = append(out, chosen)
	}
	return out, nil
}

// check validates a recorded catalog reference, which later commands use
// to find the catalog again.
func (c CatalogRef) check() error {
	bad := func(field, v string) error {
		return failure.Invalidf("%s: catalog.%s %s is malformed", FileName, field, failure.Quote(v))
	}
	switch {
	case !namePattern.MatchString(c.ID):
		return bad("id", c.ID)
	case c.Name != "" && !namePattern.MatchString(c.Name):
		return bad("name", c.Name)
	case c.Source == "" || len(c.Source) > 2048 || strings.ContainsFunc(c.Source, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return bad("source", c.Source)
	case hasUserInfo(c.Source):
		return failure.Invalidf("%s: catalog.source must not hold user information", FileName)
	case c.Ref != "" && (!validRef(c.Ref) || strings.Contains(c.Ref, "..")):
		return bad("ref", c.Ref)
	case c.Commit != "" && !blobPattern.MatchString(c.Commit):
		return bad("commit", c.Commit)
	case c.Signer != "" && !signerPattern.MatchString(c.Signer):
		return bad("signer", c.Signer)
	case c.Digest != "" && !digestPattern.MatchString(c.Digest):
		return bad("digest", c.Digest)
	case c.Builtin() && (c.Ref != "" || c.Commit != "" || c.Signer != "" || c.Name != ""):
		return failure.Invalidf("%s: the built-in catalog has no name, ref, commit or signer", FileName)
	}
	return nil
}

// hasUserInfo reports whether a URL's authority holds user information.
func hasUserInfo(source string) bool {
	i := strings.Index(source, "://")
	if i < 0 {
		return false
	}
	authority, _, _ := strings.Cut(source[i+3:], "/")
	return strings.Contains(authority, "@")
}

// Reserved reports whether p is one of secgen's own paths in a project
// (the manifest, the lock, the .secgen directory), which no component may
// render and no file record may name.
func Reserved(p string) bool {
	return p == FileName || p == ".secgen.lock" || p == ".secgen" || strings.HasPrefix(p, ".secgen/")
}

// AnswerNodes returns the recorded answers as YAML nodes by key, to be
// parsed against the questions with answers.ParseNode.
func (m *Manifest) AnswerNodes() (map[string]*yaml.Node, error) {
	out := map[string]*yaml.Node{}
	if m.Answers.Kind == 0 {
		return out, nil
	}
	c := m.Answers.Content
	for i := 0; i+1 < len(c); i += 2 {
		k := c[i]
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
			return nil, failure.Invalidf("%s: answer keys must be strings (line %d)", FileName, k.Line)
		}
		if _, dup := out[k.Value]; dup {
			return nil, failure.Invalidf("%s: answer %s appears twice", FileName, failure.Quote(k.Value))
		}
		out[k.Value] = c[i+1]
	}
	return out, nil
}

// validRef reports whether ref has the shape of a branch, tag or commit
// name of at most 200 bytes.
func validRef(ref string) bool { return len(ref) <= 200 && refChars.MatchString(ref) }
