package catalog

import (
	"errors"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lazyre"
)

// Breakage is one deliberate regression of a control, declared in a
// component's breakages.yaml: edits of the files of one golden case's tree
// that the named rule must catch under its control. `secgen test` applies
// every breakage and fails when its rule does not fire.
type Breakage struct {
	// Name says what the breakage does ("pod runs as uid 0"); unique in
	// the component.
	Name string `yaml:"name" json:"name"`
	// Rule is the ID of the component's check that must fail.
	Rule string `yaml:"rule" json:"rule"`
	// Control is the control the finding must carry: the rule's.
	Control string `yaml:"control" json:"control"`
	// Golden names the golden case (<entry>/<case>) whose tree is broken.
	Golden string `yaml:"golden" json:"golden"`
	// Edits are applied in order to a copy of the case's tree.
	Edits []Edit `yaml:"edits" json:"edits"`

	// Pos is where the breakage is declared, field by field.
	Pos Pos `yaml:"-" json:"-"`
}

// Edit changes one file of a golden tree. Exactly one of Replace, Regexp,
// Append, Write, Move and Remove is set.
type Edit struct {
	// File is the slash-separated path in the tree.
	File string `yaml:"file" json:"file"`
	// Replace is text the file must contain; its first occurrence becomes
	// With.
	Replace string `yaml:"replace,omitempty" json:"replace,omitempty"`
	// Regexp is an RE2 expression the file must match; every match becomes
	// With, in which $1 and ${name} expand.
	Regexp string `yaml:"regexp,omitempty" json:"regexp,omitempty"`
	// With replaces Replace or Regexp ("" deletes).
	With string `yaml:"with,omitempty" json:"with,omitempty"`
	// Append is added at the end of the file.
	Append string `yaml:"append,omitempty" json:"append,omitempty"`
	// Write, when not nil, is the file's whole new content (the file may
	// be new).
	Write *string `yaml:"write,omitempty" json:"write,omitempty"`
	// Move renames the file to this path (a manifest saved as .yml must
	// still be audited).
	Move string `yaml:"move,omitempty" json:"move,omitempty"`
	// Remove deletes the file.
	Remove bool `yaml:"remove,omitempty" json:"remove,omitempty"`

	// Pos is where the edit is declared, field by field.
	Pos Pos `yaml:"-" json:"-"`
}

// The limits of a breakages file.
const (
	maxBreakages = 1000
	maxEdits     = 50
)

var goldenName = lazyre.New(`^[a-z0-9][a-z0-9._-]{0,99}/[a-z0-9][a-z0-9._-]{0,99}$`)

// breakagesFile is the shape of a component's breakages.yaml.
type breakagesFile struct {
	Breakages []Breakage `yaml:"breakages"`
}

// BreakagesFile is the name of a component's breakages file, beside its
// checks.yaml.
const BreakagesFile = "breakages.yaml"

// loadBreakages reads <dir>/breakages.yaml when present and validates every
// breakage against the component's checks; an error names the file, the
// line and the field.
func loadBreakages(root fs.FS, dir string, comp *Component, checks []Check) ([]Breakage, error) {
	file := dir + "/" + BreakagesFile
	if _, err := fs.Stat(root, file); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var doc breakagesFile
	node, err := decodeWithNode(root, file, &doc)
	if err != nil {
		return nil, err
	}
	if len(doc.Breakages) > maxBreakages {
		return nil, failure.Invalidf("%s: more than %d breakages", file, maxBreakages)
	}
	items := listItems(node, "breakages")
	rules := map[string]*Check{}
	for i := range checks {
		rules[checks[i].ID] = &checks[i]
	}
	seen := map[string]bool{}
	for i := range doc.Breakages {
		b := &doc.Breakages[i]
		item := posOf(file, nil)
		if i < len(items) {
			item = posOf(file, items[i])
		}
		b.Pos = item
		where := "breakages[" + strconv.Itoa(i) + "]"
		bad := func(p Pos, field, format string, args ...any) error {
			return failure.Invalidf("%s: %s (%s) %s: %s", p.Where(field), where, failure.Quote(b.Name), field, sprintf(format, args...))
		}
		r := rules[b.Rule]
		switch {
		case strings.TrimSpace(b.Name) == "" || strings.ContainsAny(b.Name, "\n\r\t") || len(b.Name) > 200:
			return nil, bad(item, "name", "name must be one short line")
		case seen[b.Name]:
			return nil, bad(item, "name", "name is declared twice")
		case b.Rule == "":
			return nil, bad(item, "rule", "rule is required: the ID of the check that must catch the breakage")
		case r == nil:
			return nil, bad(item, "rule", "rule %s is not a check of component %s (its checks.yaml)", failure.Quote(b.Rule), comp.Name)
		case b.Control != r.Control:
			return nil, bad(item, "control", "control %s is not %s, the control of rule %s", failure.Quote(b.Control), r.Control, b.Rule)
		case !goldenName.MatchString(b.Golden):
			return nil, bad(item, "golden", "golden must name a golden case as <entry>/<case>")
		case len(b.Edits) == 0:
			return nil, bad(item, "edits", "edits are required: at least one change of a file")
		case len(b.Edits) > maxEdits:
			return nil, bad(item, "edits", "more than %d edits", maxEdits)
		}
		seen[b.Name] = true
		var edits []*yaml.Node
		if i < len(items) {
			if n := fieldNode(items[i], "edits"); n != nil && n.Kind == yaml.SequenceNode {
				edits = n.Content
			}
		}
		for j := range b.Edits {
			e := &b.Edits[j]
			e.Pos = posOf(file, nil)
			if j < len(edits) {
				e.Pos = posOf(file, edits[j])
			}
			where := where + ".edits[" + strconv.Itoa(j) + "]"
			badEdit := func(field, format string, args ...any) error {
				return failure.Invalidf("%s: %s (%s) %s: %s", e.Pos.Where(field), where, failure.Quote(b.Name), field, sprintf(format, args...))
			}
			if !fs.ValidPath(e.File) || e.File == "." || path.Clean(e.File) != e.File {
				return nil, badEdit("file", "file %s must be a clean relative path in the golden tree", failure.Quote(e.File))
			}
			kinds := 0
			for _, set := range []bool{e.Replace != "", e.Regexp != "", e.Append != "", e.Write != nil, e.Move != "", e.Remove} {
				if set {
					kinds++
				}
			}
			switch {
			case kinds != 1:
				return nil, badEdit("file", "set exactly one of replace, regexp, append, write, move and remove")
			case e.Move != "" && (!fs.ValidPath(e.Move) || e.Move == "." || path.Clean(e.Move) != e.Move):
				return nil, badEdit("move", "move %s must be a clean relative path in the golden tree", failure.Quote(e.Move))
			case e.With != "" && e.Replace == "" && e.Regexp == "":
				return nil, badEdit("with", "with applies only to replace and regexp")
			}
			if e.Regexp != "" {
				if _, err := regexp.Compile(e.Regexp); err != nil {
					return nil, badEdit("regexp", "%v", err)
				}
			}
		}
	}
	return doc.Breakages, nil
}
