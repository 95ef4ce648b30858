package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/catalog"
)

// TestListAndShowDescribeAnyCatalog: what `secgen list` and `secgen show`
// print comes from the catalog's data alone, so another team's catalog (see
// generator/catalog/testdata/org) shows its own components and control area.
func TestListAndShowDescribeAnyCatalog(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "..", "..", "generator", "catalog", "testdata", "org")
	cat, err := catalog.Load(context.Background(), catalog.Source{
		Templates: os.DirFS(filepath.Join(root, "templates")), Blueprints: os.DirFS(filepath.Join(root, "blueprints")),
	})
	if err != nil {
		t.Fatal(err)
	}
	list := listDocument(cat)
	var names []string
	for _, c := range list.Components {
		names = append(names, c.Name+":"+strings.Join(c.Controls, ","))
		if c.Controls == nil {
			t.Errorf("component %s lists null controls; want []", c.Name)
		}
	}
	if list.Catalog.ID != "acme" || strings.Join(names, " ") != "ownership:ORG-01 runbook:" || len(list.Blueprints) != 1 {
		t.Errorf("list: catalog %s, components %v, blueprints %v", list.Catalog.ID, names, list.Blueprints)
	}

	show, err := showDocument(cat, "ownership")
	if err != nil {
		t.Fatal(err)
	}
	c := show.Component
	if c == nil || len(c.Controls) != 1 || c.Controls[0].ID != "ORG-01" || c.Controls[0].Description == "" || len(c.Questions) != 2 || c.Questions[0].Name != "name" {
		t.Errorf("show ownership = %+v", c)
	}
	show, err = showDocument(cat, "service")
	if err != nil {
		t.Fatal(err)
	}
	if b := show.Blueprint; b == nil || len(b.Controls) != 1 || b.Controls[0].ID != "ORG-01" {
		t.Errorf("show service = %+v", b)
	}
	if _, err := showDocument(cat, "go-service"); err == nil {
		t.Error("show found a built-in entry in another catalog")
	}
}
