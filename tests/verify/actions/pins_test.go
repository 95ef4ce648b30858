package actions

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// pin is one row of templates/pins.tsv.
type pin struct {
	tag string
	sha string
}

var (
	shaRe      = regexp.MustCompile(`^[0-9a-f]{40}$`)
	tagRe      = regexp.MustCompile(`^v[0-9]+(\.[0-9]+){0,2}$`)
	repoRe     = regexp.MustCompile(`^[A-Za-z0-9][-A-Za-z0-9_.]*/[A-Za-z0-9][-A-Za-z0-9_.]*$`)
	dockerRe   = regexp.MustCompile(`^docker://[^@\s]+@sha256:[0-9a-f]{64}$`)
	usesLineRe = regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*(.*?)\s*$`)
	pinCallRe  = regexp.MustCompile(`\bpin\s+"([^"]*)"`)
	pinOnlyRe  = regexp.MustCompile(`^\{\{-?\s*pin\s+"([^"]*)"\s*-?\}\}$`)
)

// loadPins reads the catalog's one pins table and checks each row's shape.
func loadPins(t *testing.T) map[string]pin {
	t.Helper()
	path := filepath.Join(templatesDir, "pins.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("opening the pins table: %v", err)
	}
	defer f.Close()
	pins := map[string]pin{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 4 {
			t.Fatalf("%s:%d: want 4 tab-separated columns, got %d", path, n, len(cols))
		}
		action, tag, sha := cols[0], cols[1], cols[2]
		switch {
		case !repoRe.MatchString(action):
			t.Errorf("%s:%d: %q is not an owner/repository", path, n, action)
		case !tagRe.MatchString(tag):
			t.Errorf("%s:%d: %q is not a release tag", path, n, tag)
		case !shaRe.MatchString(sha):
			t.Errorf("%s:%d: %q is not a full 40-hex commit SHA", path, n, sha)
		}
		if _, dup := pins[action]; dup {
			t.Errorf("%s:%d: %s is pinned twice", path, n, action)
		}
		pins[action] = pin{tag: tag, sha: sha}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if len(pins) == 0 {
		t.Fatalf("%s has no pins", path)
	}
	return pins
}

// repoOf maps an action (possibly a sub-action such as github/codeql-action/init) to
// the repository whose row pins it.
func repoOf(action string) string {
	parts := strings.SplitN(action, "/", 3)
	if len(parts) < 2 {
		return action
	}
	return parts[0] + "/" + parts[1]
}

// checkUses checks one rendered `uses:` value and its trailing comment (SC-05): a
// remote action must be in the pins table, referenced by exactly the table's commit
// SHA, with the table's tag as the comment. Local actions and digest-pinned container
// actions are accepted.
func checkUses(pins map[string]pin, ref, comment string) error {
	switch {
	case strings.HasPrefix(ref, "./"):
		return nil
	case strings.HasPrefix(ref, "docker://"):
		if !dockerRe.MatchString(ref) {
			return fmt.Errorf("container action %q is not pinned by sha256 digest", ref)
		}
		return nil
	}
	action, version, ok := strings.Cut(ref, "@")
	if !ok {
		return fmt.Errorf("%q has no @ref", ref)
	}
	p, ok := pins[repoOf(action)]
	if !ok {
		return fmt.Errorf("%q: %s is not in templates/pins.tsv", ref, repoOf(action))
	}
	if !shaRe.MatchString(version) {
		return fmt.Errorf("%q is referenced by tag or branch %q, not by commit SHA", ref, version)
	}
	if version != p.sha {
		return fmt.Errorf("%q: SHA differs from the pins table (%s)", ref, p.sha)
	}
	if c := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(comment), "#")); c != p.tag {
		return fmt.Errorf("%q: trailing comment %q, want the table's tag %q", ref, comment, p.tag)
	}
	return nil
}

func TestCheckUsesRejects(t *testing.T) {
	pins := map[string]pin{"actions/checkout": {tag: "v7.0.1", sha: strings.Repeat("a", 40)}}
	good := "actions/checkout@" + strings.Repeat("a", 40)
	if err := checkUses(pins, good, "# v7.0.1"); err != nil {
		t.Fatalf("a correct pin was refused: %v", err)
	}
	bad := []struct{ ref, comment string }{
		{"actions/checkout@v7", "# v7.0.1"},
		{"actions/checkout@v7.0.1", ""},
		{"actions/checkout@main", ""},
		{"actions/checkout@master", ""},
		{"actions/checkout", ""},
		{"actions/checkout@" + strings.Repeat("b", 40), "# v7.0.1"},
		{"actions/checkout@" + strings.Repeat("a", 39), "# v7.0.1"},
		{good, ""},
		{good, "# v6.0.0"},
		{"evil/checkout@" + strings.Repeat("a", 40), "# v7.0.1"},
		{"aquasecurity/trivy-action@master", ""},
		{"docker://alpine:3", ""},
	}
	for _, b := range bad {
		if err := checkUses(pins, b.ref, b.comment); err == nil {
			t.Errorf("checkUses(%q, %q) accepted an unpinned or unknown action", b.ref, b.comment)
		}
	}
}

// usesNodes collects every `uses:` value node of a YAML document with its comment.
func usesNodes(n *yaml.Node, out *[][2]string) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "uses" && v.Kind == yaml.ScalarNode {
				c := v.LineComment
				if c == "" {
					c = k.LineComment
				}
				*out = append(*out, [2]string{v.Value, c})
			}
		}
	}
	for _, c := range n.Content {
		usesNodes(c, out)
	}
}

// TestGoldenActionsPinned checks every `uses:` of every rendered workflow (SC-05).
func TestGoldenActionsPinned(t *testing.T) {
	pins := loadPins(t)
	for _, tree := range workflowTrees(t) {
		for _, name := range workflowFiles(t, tree) {
			b, err := os.ReadFile(filepath.Join(tree.dir, ".github", "workflows", name))
			if err != nil {
				t.Fatal(err)
			}
			var doc yaml.Node
			if err := yaml.Unmarshal(b, &doc); err != nil {
				t.Fatalf("%s/%s: %v", tree.name, name, err)
			}
			var uses [][2]string
			usesNodes(&doc, &uses)
			if len(uses) == 0 {
				t.Errorf("%s/%s: no uses: found", tree.name, name)
			}
			for _, u := range uses {
				if err := checkUses(pins, u[0], u[1]); err != nil {
					t.Errorf("%s/%s: %v", tree.name, name, err)
				}
			}
		}
	}
}

// TestTemplateActionsPinned walks every template of the catalog: each `uses:` line is
// either `{{ pin "owner/repo[/path]" }}` for an action in the table or a literal that
// passes checkUses, and every pin call names an action in the table.
func TestTemplateActionsPinned(t *testing.T) {
	pins := loadPins(t)
	var usesLines int
	err := filepath.WalkDir(templatesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range pinCallRe.FindAllStringSubmatch(line, -1) {
				if _, ok := pins[repoOf(m[1])]; !ok || strings.Count(m[1], "/") < 1 {
					t.Errorf("%s:%d: pin %q is not in templates/pins.tsv", path, i+1, m[1])
				}
			}
			m := usesLineRe.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			usesLines++
			if pinOnlyRe.MatchString(m[1]) {
				continue
			}
			ref, comment, _ := strings.Cut(m[1], "#")
			if err := checkUses(pins, strings.TrimSpace(ref), comment); err != nil {
				t.Errorf("%s:%d: %v (write uses: {{ pin \"owner/repo\" }})", path, i+1, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", templatesDir, err)
	}
	if usesLines == 0 {
		t.Fatalf("no uses: line found under %s", templatesDir)
	}
}
