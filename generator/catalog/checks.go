package catalog

import (
	"errors"
	"io/fs"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lazyre"
)

// Check is one audit rule of a component, declared in its checks.yaml. The
// catalog validates its shape; the audit package compiles and evaluates it
// (docs/audit.md describes the format).
type Check struct {
	// ID names the rule; unique in the catalog.
	ID string `yaml:"id" json:"id"`
	// Control is the control ID the rule proves; the component must claim it.
	Control string `yaml:"control" json:"control"`
	// Match is a slash-separated glob over project paths ("**" spans directories).
	Match string `yaml:"match" json:"match"`
	// Format forces how matched files are parsed; "" infers it from the name.
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// Scope is object (each parsed document, the default), container (each
	// container of each pod-bearing object), job or step (each job, or each
	// step, of a workflow), file (all documents of one file as `documents`)
	// or project (all documents of all matched files).
	Scope string `yaml:"scope,omitempty" json:"scope,omitempty"`
	// Select is a CEL expression over `object` choosing the documents the
	// rule looks at (in every scope); "" selects every document.
	Select string `yaml:"select,omitempty" json:"select,omitempty"`
	// When is a CEL expression over the project's recorded `answers`; a rule
	// with a When is skipped when it is false or when there are no answers.
	When string `yaml:"when,omitempty" json:"when,omitempty"`
	// Expr is the CEL expression that must hold.
	Expr string `yaml:"expr" json:"expr"`
	// Severity is error, warning or note.
	Severity string `yaml:"severity" json:"severity"`
	// Message says what is wrong when Expr does not hold.
	Message string `yaml:"message" json:"message"`
	// Fix says how to restore the control.
	Fix string `yaml:"fix" json:"fix"`
	// At lists dotted field paths (relative to the element the rule looks
	// at: the object, or the container, job or step) whose line a finding
	// points at, the first present one winning; for a container, an
	// inherited securityContext field is found in the pod's securityContext.
	At []string `yaml:"at,omitempty" json:"at,omitempty"`
	// Generated marks a rule about the layout the component generates (a
	// file or a test of its own): it runs only on a project whose manifest
	// records the component, never on a repository secgen did not generate.
	Generated bool `yaml:"generated,omitempty" json:"generated,omitempty"`
	// Fragments marks a rule over kustomize patch fragments (the files a
	// kustomization names as patches), which other rules never see: a
	// fragment is judged by what it sets, since what it omits comes from
	// its base.
	Fragments bool `yaml:"fragments,omitempty" json:"fragments,omitempty"`

	// Pos is where the rule is declared, field by field.
	Pos Pos `yaml:"-" json:"-"`
}

// The check formats, scopes and severities.
var (
	CheckFormats    = []string{"yaml", "hcl", "dockerfile", "gomod", "go", "text"}
	CheckScopes     = []string{"object", "container", "job", "step", "file", "project"}
	CheckSeverities = []string{"error", "warning", "note"}
)

var checkIDPattern = lazyre.New(`^[a-z][a-z0-9-]{0,80}$`)

// checksFile is the shape of a component's checks.yaml.
type checksFile struct {
	Checks []Check `yaml:"checks"`
}

// loadChecks reads <dir>/checks.yaml when present and validates every rule
// against the component's controls.
func loadChecks(root fs.FS, dir string, comp *Component) ([]Check, error) {
	file := dir + "/checks.yaml"
	if _, err := fs.Stat(root, file); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var doc checksFile
	node, err := decodeWithNode(root, file, &doc)
	if err != nil {
		return nil, err
	}
	items := listItems(node, "checks")
	claimed := map[string]bool{}
	for _, c := range comp.Controls {
		claimed[c.ID] = true
	}
	seen := map[string]bool{}
	for i := range doc.Checks {
		c := &doc.Checks[i]
		if i < len(items) {
			c.Pos = posOf(file, items[i])
		} else {
			c.Pos = posOf(file, nil)
		}
		bad := func(field, format string, args ...any) error {
			return failure.Invalidf("%s: checks[%d] (%s) %s: %s", c.Pos.Where(field), i, failure.Quote(c.ID), field, sprintf(format, args...))
		}
		switch {
		case !checkIDPattern.MatchString(c.ID):
			return nil, bad("id", "id must be a lower-case name")
		case seen[c.ID]:
			return nil, bad("id", "id is declared twice")
		case !claimed[c.Control]:
			return nil, bad("control", "control %s is not one the component claims", failure.Quote(c.Control))
		case !ValidGlob(c.Match):
			return nil, bad("match", "match %s is not a valid pattern", failure.Quote(c.Match))
		case c.Format != "" && !contains(CheckFormats, c.Format):
			return nil, bad("format", "format must be one of %s", strings.Join(CheckFormats, ", "))
		case c.Scope != "" && !contains(CheckScopes, c.Scope):
			return nil, bad("scope", "scope must be one of %s", strings.Join(CheckScopes, ", "))
		case strings.TrimSpace(c.Expr) == "":
			return nil, bad("expr", "expr is required")
		case !contains(CheckSeverities, c.Severity):
			return nil, bad("severity", "severity must be one of %s", strings.Join(CheckSeverities, ", "))
		case strings.TrimSpace(c.Message) == "":
			return nil, bad("message", "message is required")
		case strings.TrimSpace(c.Fix) == "":
			return nil, bad("fix", "fix is required")
		}
		if c.Scope == "" {
			c.Scope = "object"
		}
		seen[c.ID] = true
	}
	return doc.Checks, nil
}

// decodeWithNode decodes a declaration file strictly into `into` and also
// returns its node tree, whose lines locate each declaration.
func decodeWithNode(fsys fs.FS, name string, into any) (*yaml.Node, error) {
	if err := decodeFile(fsys, name, into); err != nil {
		return nil, err
	}
	data, err := readBounded(fsys, name, maxDeclarationSize)
	if err != nil {
		return nil, failure.Invalidf("%s: %w", name, err)
	}
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return nil, failure.Invalidf("%s: %w", name, err)
	}
	return &node, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ValidGlob reports whether pattern is a relative, slash-separated glob
// whose segments are path.Match patterns or "**".
func ValidGlob(pattern string) bool {
	if pattern == "" || strings.HasPrefix(pattern, "/") || strings.Contains(pattern, "\\") {
		return false
	}
	for _, seg := range strings.Split(pattern, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		if seg == "**" {
			continue
		}
		alts, ok := braceAlternatives(seg)
		if !ok {
			return false
		}
		for _, a := range alts {
			if _, err := pathMatch(a, ""); err != nil {
				return false
			}
		}
	}
	return true
}

// braceAlternatives expands one {a,b,c} group of a pattern segment
// ("*.{yaml,yml}" is "*.yaml" or "*.yml"); a segment without braces is its
// own only alternative. Nested or unbalanced braces are refused.
func braceAlternatives(seg string) ([]string, bool) {
	open := strings.IndexByte(seg, '{')
	if open < 0 {
		return []string{seg}, !strings.Contains(seg, "}")
	}
	end := strings.IndexByte(seg[open:], '}')
	if end < 0 {
		return nil, false
	}
	end += open
	inner, rest := seg[open+1:end], seg[end+1:]
	if strings.ContainsAny(inner, "{") || strings.ContainsAny(rest, "{}") {
		return nil, false
	}
	var out []string
	for _, alt := range strings.Split(inner, ",") {
		out = append(out, seg[:open]+alt+rest)
	}
	return out, true
}

// GlobMatch reports whether a slash-separated relative path matches a
// pattern accepted by ValidGlob; "**" matches zero or more segments.
func GlobMatch(pattern, name string) bool {
	return globSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

// Glob is a pattern accepted by ValidGlob with its brace alternatives
// expanded once, for matching many paths.
type Glob struct{ segs [][]string }

// CompileGlob prepares pattern for Match.
func CompileGlob(pattern string) Glob {
	var g Glob
	for _, seg := range strings.Split(pattern, "/") {
		alts, _ := braceAlternatives(seg)
		g.segs = append(g.segs, alts)
	}
	return g
}

// Match reports whether a slash-separated relative path matches, as
// GlobMatch does.
func (g Glob) Match(name string) bool {
	return globCompiled(g.segs, strings.Split(name, "/"))
}

func globCompiled(pat [][]string, name []string) bool {
	for len(pat) > 0 {
		if len(pat[0]) == 1 && pat[0][0] == "**" {
			for i := 0; i <= len(name); i++ {
				if globCompiled(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		ok := false
		for _, a := range pat[0] {
			if m, _ := pathMatch(a, name[0]); m {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

func segmentMatch(pat, name string) bool {
	alts, _ := braceAlternatives(pat)
	for _, a := range alts {
		if ok, _ := pathMatch(a, name); ok {
			return true
		}
	}
	return false
}

func globSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if globSegments(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if !segmentMatch(pat[0], name[0]) {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}
