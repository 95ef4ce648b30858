package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/manifest"
)

// TestAnotherTeamsCatalogRenders renders generator/catalog/testdata/org, a
// catalog with its own control area and components, written without any Go:
// its files render (one runbook per region through foreach) and its controls,
// and only its controls, are applied and recorded.
func TestAnotherTeamsCatalogRenders(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "catalog", "testdata", "org")
	cat, err := catalog.Load(context.Background(), catalog.Source{
		Templates: os.DirFS(filepath.Join(root, "templates")), Blueprints: os.DirFS(filepath.Join(root, "blueprints")),
	})
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "billing")
	res, err := (&Engine{Catalog: cat, Version: "test"}).New(context.Background(), NewRequest{
		Blueprint: "service", Target: target, Set: []string{"regions=eu-west-1,us-east-1,ap-south-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Controls, " ") != "ORG-01" {
		t.Errorf("applied controls = %v, want ORG-01 (the catalog's own, nothing built in)", res.Controls)
	}
	want := map[string]string{
		"OWNERS.md":                     "# ORG-01: billing is owned by payments.\n",
		"runbooks/ap-south-1/README.md": "# billing in ap-south-1\n\nRestart the service in ap-south-1 first.\n",
		"runbooks/eu-west-1/README.md":  "# billing in eu-west-1\n\nRestart the service in eu-west-1 first.\n",
		"runbooks/us-east-1/README.md":  "# billing in us-east-1\n\nRestart the service in us-east-1 first.\n",
		"docs/escalation.md":            "# Escalation for billing\n\nPage the payments on-call rotation.\n",
	}
	for path, content := range want {
		got, err := os.ReadFile(filepath.Join(target, filepath.FromSlash(path)))
		if err != nil || string(got) != content {
			t.Errorf("%s = %q, %v; want %q", path, got, err, content)
		}
	}
	data, err := os.ReadFile(filepath.Join(target, manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Catalog.ID != "acme" || m.Blueprint != "service" || len(m.Components) != 2 || len(m.Files) != len(want) {
		t.Errorf("manifest: catalog %+v, blueprint %s, components %v, %d files", m.Catalog, m.Blueprint, m.Components, len(m.Files))
	}
	if !slices.ContainsFunc(m.Files, func(f manifest.FileRecord) bool {
		return f.Path == "runbooks/ap-south-1/README.md" && f.Component == "runbook"
	}) {
		t.Error("the manifest does not record a foreach file with its component")
	}
}
