package k8s

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/engine"
	"sigs.k8s.io/yaml"
)

// renderLike renders, with the built-in catalog and in memory, the project a golden tree
// records (its blueprint or components and its answers) with the answers of set
// ("key=value", lists comma-separated) changed. It returns the engine's error, so that a
// test can prove the templates refuse answers that do not fit together.
func renderLike(t *testing.T, from Tree, set ...string) (*engine.Result, error) {
	t.Helper()
	ctx := context.Background()
	cat, err := builtin.Catalog(ctx)
	if err != nil {
		t.Fatalf("built-in catalog: %v", err)
	}
	recorded, err := os.ReadFile(filepath.Join(from.Root, ".secgen.yaml"))
	if err != nil {
		t.Fatalf("%s: %v", from.Case, err)
	}
	var m struct {
		Blueprint  string `json:"blueprint"`
		Components []struct {
			Name string `json:"name"`
		} `json:"components"`
	}
	if err := yaml.Unmarshal(recorded, &m); err != nil {
		t.Fatalf("%s: .secgen.yaml: %v", from.Case, err)
	}
	req := engine.NewRequest{
		Blueprint:   m.Blueprint,
		Target:      filepath.Join(t.TempDir(), "project"),
		Set:         set,
		AnswersFile: recorded,
		DryRun:      true,
	}
	if m.Blueprint == "" {
		for _, c := range m.Components {
			req.Components = append(req.Components, c.Name)
		}
	}
	e := &engine.Engine{Catalog: cat, Version: "0.0.0-test"}
	return e.New(ctx, req)
}

// treeWhere returns the first golden tree whose answers satisfy ok; none is a failure.
func treeWhere(t *testing.T, what string, ok func(Answers) bool) Tree {
	t.Helper()
	for _, tr := range k8sTrees(t) {
		if ok(tr.Answers) {
			return tr
		}
	}
	t.Fatalf("no golden tree renders %s", what)
	return Tree{}
}

// TestOverlappingDatabaseRangesRefused: staging's database ranges may not overlap
// production's, however they are written (the same CIDR, one inside the other), or
// staging's pods would reach production's database; disjoint ranges render.
func TestOverlappingDatabaseRangesRefused(t *testing.T) {
	tree := treeWhere(t, "RDS", func(a Answers) bool { return a.IncludeRDS })
	for _, c := range []struct {
		production, staging string
		refused             bool
	}{
		{"10.0.0.0/20", "10.0.0.0/20", true},
		{"10.0.0.0/16", "10.0.32.0/20", true},
		{"10.0.32.0/20", "10.0.0.0/16", true},
		{"10.0.0.0/20,10.0.16.0/20", "10.0.48.0/20,10.0.20.0/24", true},
		{"10.0.0.0/20", "10.0.16.0/20", false},
		{"10.0.0.0/20,10.0.16.0/20", "10.1.0.0/20", false},
	} {
		_, err := renderLike(t, tree, "database_cidrs="+c.production, "staging_database_cidrs="+c.staging)
		switch {
		case c.refused && (err == nil || !strings.Contains(err.Error(), "staging's pods would reach production's database")):
			t.Errorf("production %s, staging %s: rendered (%v), want refused", c.production, c.staging, err)
		case !c.refused && err != nil:
			t.Errorf("production %s, staging %s: %v, want rendered", c.production, c.staging, err)
		}
	}
}
