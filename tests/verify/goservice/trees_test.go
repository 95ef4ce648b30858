package goservice

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// serviceCases are the component's golden cases; each exercises a branch of the
// templates. The lead's blueprint cases (defaults, adversarial) are found as well.
var serviceCases = []string{"postgres-login", "minimal"}

// serviceTree is one rendered tree that holds a Go service.
type serviceTree struct {
	name    string // "<blueprint-or-component>/<case>"
	dir     string // path of tree/
	answers answers
	cmdName string
}

// answers are the recorded answers the checks depend on.
type answers struct {
	Name        string   `yaml:"name"`
	Module      string   `yaml:"module"`
	Port        int      `yaml:"port"`
	Database    string   `yaml:"database"`
	OIDCLogin   bool     `yaml:"oidc_login"`
	CORSOrigins []string `yaml:"cors_origins"`
	Audience    string   `yaml:"audience"`
}

// serviceTrees returns every golden tree with a go.mod and a cmd/ directory. It fails
// the test when there is none, so that no check passes vacuously.
func serviceTrees(t testing.TB) []serviceTree {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(goldensDir, "*", "*", "tree"))
	if err != nil {
		t.Fatalf("listing goldens: %v", err)
	}
	// Blueprint and component cases first: an add case that renders the
	// same service is the one left out.
	isAdd := func(d string) bool { return strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(d))), "add-") }
	sort.SliceStable(dirs, func(i, j int) bool { return !isAdd(dirs[i]) && isAdd(dirs[j]) })
	var trees []serviceTree
	seen := map[string]bool{}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			t.Fatalf("stat %s: %v", d, err)
		}
		caseDir := filepath.Dir(d)
		tr := serviceTree{
			name: filepath.ToSlash(filepath.Join(filepath.Base(filepath.Dir(caseDir)), filepath.Base(caseDir))),
			dir:  d,
		}
		data, err := os.ReadFile(filepath.Join(d, ".secgen.yaml"))
		if err != nil {
			t.Fatalf("%s: the manifest records the answers: %v", tr.name, err)
		}
		var m struct {
			Answers answers `yaml:"answers"`
			Files   []struct {
				Path      string `yaml:"path"`
				Component string `yaml:"component"`
				SHA256    string `yaml:"sha256"`
			} `yaml:"files"`
		}
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s/.secgen.yaml: %v", tr.name, err)
		}
		// The service is the go-service component's files, which the
		// manifest lists with their hashes (sorted by path). An add case
		// renders what its new case renders: build and scan each distinct
		// service once.
		h := sha256.New()
		for _, f := range m.Files {
			if f.Component == "go-service" {
				fmt.Fprintf(h, "%s %s\n", f.Path, f.SHA256)
			}
		}
		sum := hex.EncodeToString(h.Sum(nil))
		if seen[sum] {
			continue
		}
		seen[sum] = true
		tr.answers = m.Answers
		if tr.answers.Name == "" || tr.answers.Database == "" {
			t.Fatalf("%s: manifest lacks name or database answers", tr.name)
		}
		tr.cmdName = tr.answers.Name
		trees = append(trees, tr)
	}
	if len(trees) == 0 {
		t.Fatalf("no golden tree under %s has a go.mod: run make goldens", goldensDir)
	}
	return trees
}

// TestComponentGoldensExist keeps the component's own cases from silently disappearing.
func TestComponentGoldensExist(t *testing.T) {
	for _, c := range serviceCases {
		if _, err := os.Stat(filepath.Join(goldensDir, "go-service", c, "tree", "go.mod")); err != nil {
			t.Errorf("golden case go-service/%s: %v (run make goldens)", c, err)
		}
	}
	// One tree must have every option on, so that every control is exercised.
	full := false
	trees := serviceTrees(t)
	var names []string
	for _, tr := range trees {
		names = append(names, tr.name)
	}
	t.Logf("%d distinct go services: %v", len(trees), names)
	for _, tr := range trees {
		if tr.answers.Database == "postgres" && tr.answers.OIDCLogin && len(tr.answers.CORSOrigins) > 0 {
			full = true
		}
	}
	if !full {
		t.Error("no golden tree has database=postgres, oidc_login=true and CORS origins")
	}
}

// tool returns the path of a scanner installed by `make tools`, failing (never
// skipping) when it is missing.
func tool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	p, err := filepath.Abs(filepath.Join("..", "..", ".tools", "bin", name))
	if err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("%s is not installed: run make tools", name)
	return ""
}

// copyTree copies src into a new temporary directory and returns it.
func copyTree(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return errors.New(path + ": not a regular file")
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
	return dst
}
