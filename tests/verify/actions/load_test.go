package actions

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// templatesDir is relative to this package's directory.
const templatesDir = "../../../templates"

// componentCases are the goldens this component must have; each exercises a branch of
// the templates (defaults, optional files on, hostile free text).
var componentCases = []string{"defaults", "codeowners-scorecard", "adversarial-description"}

// goldenTree is one rendered tree that contains a .github directory.
type goldenTree struct {
	name    string // "<blueprint-or-component>/<case>"
	dir     string // path of tree/
	caseDir string
}

// workflowTrees returns every golden tree with a .github/workflows directory. It fails the
// test when there is none, so that no check passes vacuously.
func workflowTrees(t *testing.T) []goldenTree {
	t.Helper()
	return treesWith(t, filepath.Join(".github", "workflows"))
}

// dependabotTrees returns every golden tree with a .github/dependabot.yml: those with the
// workflows, and add cases whose tree holds the file because adding another component
// re-rendered it (add terraform-aws adds its Terraform entry) while the workflows, which
// the addition leaves alone, are not part of what add writes.
func dependabotTrees(t *testing.T) []goldenTree {
	t.Helper()
	return treesWith(t, filepath.Join(".github", "dependabot.yml"))
}

// treesWith returns every golden tree holding rel, failing the test when there is none.
func treesWith(t *testing.T, rel string) []goldenTree {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(goldensDir, "*", "*", "tree"))
	if err != nil {
		t.Fatalf("listing goldens: %v", err)
	}
	var trees []goldenTree
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, rel)); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			t.Fatalf("stat %s: %v", d, err)
		}
		caseDir := filepath.Dir(d)
		trees = append(trees, goldenTree{
			name:    filepath.ToSlash(filepath.Join(filepath.Base(filepath.Dir(caseDir)), filepath.Base(caseDir))),
			dir:     d,
			caseDir: caseDir,
		})
	}
	if len(trees) == 0 {
		t.Fatalf("no golden tree under %s holds %s: run make goldens", goldensDir, filepath.ToSlash(rel))
	}
	return trees
}

// TestComponentGoldensExist keeps the component's own cases from silently disappearing.
func TestComponentGoldensExist(t *testing.T) {
	for _, c := range componentCases {
		tree := filepath.Join(goldensDir, "github-actions", c, "tree", ".github")
		if _, err := os.Stat(tree); err != nil {
			t.Errorf("golden case github-actions/%s: %v (run make goldens)", c, err)
		}
	}
}

// workflowFiles lists the workflow files of a tree by base name.
func workflowFiles(t *testing.T, tree goldenTree) []string {
	t.Helper()
	var names []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(tree.dir, ".github", "workflows", pattern))
		if err != nil {
			t.Fatalf("%s: %v", tree.name, err)
		}
		for _, p := range m {
			names = append(names, filepath.Base(p))
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		t.Fatalf("%s: .github/workflows holds no workflow", tree.name)
	}
	return names
}

// workflow is the part of a workflow file the tests inspect.
type workflow struct {
	Name        string          `yaml:"name"`
	On          yaml.Node       `yaml:"on"`
	Permissions yaml.Node       `yaml:"permissions"`
	Concurrency *concurrency    `yaml:"concurrency"`
	Env         map[string]any  `yaml:"env"`
	Defaults    yaml.Node       `yaml:"defaults"`
	Jobs        map[string]*job `yaml:"jobs"`
}

type concurrency struct {
	Group            string `yaml:"group"`
	CancelInProgress any    `yaml:"cancel-in-progress"`
}

type job struct {
	Name           string            `yaml:"name"`
	If             string            `yaml:"if"`
	Needs          yaml.Node         `yaml:"needs"`
	RunsOn         any               `yaml:"runs-on"`
	TimeoutMinutes int               `yaml:"timeout-minutes"`
	Permissions    yaml.Node         `yaml:"permissions"`
	Outputs        map[string]string `yaml:"outputs"`
	Env            map[string]any    `yaml:"env"`
	Uses           string            `yaml:"uses"`
	Steps          []step            `yaml:"steps"`
}

type step struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]any    `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

// loadWorkflow parses .github/workflows/<name> of a tree, strictly: an unknown top-level
// key (for example one injected through an answer) is an error.
func loadWorkflow(t *testing.T, tree goldenTree, name string) *workflow {
	t.Helper()
	path := filepath.Join(tree.dir, ".github", "workflows", name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", tree.name, err)
	}
	var w workflow
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("%s: parsing %s: %v", tree.name, name, err)
	}
	if len(w.Jobs) == 0 {
		t.Fatalf("%s: %s has no jobs", tree.name, name)
	}
	return &w
}

// permissionsOf turns a permissions node into a map. An absent node is nil; a scalar
// such as read-all or write-all is an error because the tests demand explicit scopes.
func permissionsOf(n yaml.Node) (map[string]string, error) {
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.MappingNode:
		m := map[string]string{}
		if err := n.Decode(&m); err != nil {
			return nil, fmt.Errorf("decoding permissions: %w", err)
		}
		return m, nil
	default:
		return nil, fmt.Errorf("permissions %q at line %d: want a mapping of explicit scopes", n.Value, n.Line)
	}
}

// needsOf returns the job IDs a job depends on.
func needsOf(j *job) []string {
	switch j.Needs.Kind {
	case yaml.ScalarNode:
		return []string{j.Needs.Value}
	case yaml.SequenceNode:
		var s []string
		for _, c := range j.Needs.Content {
			s = append(s, c.Value)
		}
		return s
	}
	return nil
}

// eventsOf returns the trigger names of a workflow's on: node.
func eventsOf(n yaml.Node) []string {
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}
	case yaml.SequenceNode:
		var s []string
		for _, c := range n.Content {
			s = append(s, c.Value)
		}
		return s
	case yaml.MappingNode:
		var s []string
		for i := 0; i < len(n.Content); i += 2 {
			s = append(s, n.Content[i].Value)
		}
		return s
	}
	return nil
}

// readAnswers reads a golden case's answers.yaml (an empty file is no answers).
func readAnswers(t *testing.T, tree goldenTree) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tree.caseDir, "answers.yaml"))
	if err != nil {
		t.Fatalf("%s: %v", tree.name, err)
	}
	a := map[string]any{}
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatalf("%s: parsing answers.yaml: %v", tree.name, err)
	}
	return a
}
