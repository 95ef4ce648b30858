package goservice

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	goDirective = regexp.MustCompile(`(?m)^go 1\.26\.[0-9]+$`)
	requireLine = regexp.MustCompile(`^\s*(?:require\s+)?([a-z0-9][^\s]*)\s+(v[0-9]+\.[0-9]+\.[0-9]+\S*)(?:\s+// indirect)?$`)
)

// TestGoModPinsEverything: go.mod pins the Go version and every dependency to an exact
// version, replaces nothing, and go.sum holds the hashes of each.
func TestGoModPinsEverything(t *testing.T) {
	for _, tr := range serviceTrees(t) {
		mod, err := os.ReadFile(filepath.Join(tr.dir, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := os.ReadFile(filepath.Join(tr.dir, "go.sum"))
		if err != nil {
			t.Fatalf("%s: go.sum must ship with the service: %v", tr.name, err)
		}
		if !goDirective.Match(mod) {
			t.Errorf("%s: go.mod must pin go 1.26.x exactly", tr.name)
		}
		if !strings.Contains(string(mod), "module "+tr.answers.Module+"\n") {
			t.Errorf("%s: go.mod module is not %q", tr.name, tr.answers.Module)
		}
		requires := 0
		inBlock := false
		for _, line := range strings.Split(string(mod), "\n") {
			trimmed := strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(trimmed, "replace"), strings.HasPrefix(trimmed, "exclude"):
				t.Errorf("%s: go.mod must not %s", tr.name, trimmed)
			case trimmed == "require (":
				inBlock = true
				continue
			case trimmed == ")":
				inBlock = false
				continue
			}
			if !inBlock && !strings.HasPrefix(trimmed, "require ") {
				continue
			}
			m := requireLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s: go.mod requirement without an exact version: %q", tr.name, trimmed)
				continue
			}
			requires++
			for _, want := range []string{m[1] + " " + m[2] + " h1:", m[1] + " " + m[2] + "/go.mod h1:"} {
				if !strings.Contains(string(sum), want) {
					t.Errorf("%s: go.sum lacks %q", tr.name, want)
				}
			}
		}
		if requires < 4 {
			t.Errorf("%s: only %d requirements parsed from go.mod", tr.name, requires)
		}
		hasPgx := strings.Contains(string(mod), "github.com/jackc/pgx/v5 ")
		if hasPgx != (tr.answers.Database == "postgres") {
			t.Errorf("%s: pgx required = %v with database=%s", tr.name, hasPgx, tr.answers.Database)
		}
	}
}
