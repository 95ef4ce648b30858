package cli

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing/fstest"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
)

// catalogDir is a catalog checked out in a directory: templates/,
// blueprints/ and goldens/ at its root.
type catalogDir struct {
	Root   string
	Source catalog.Source
}

// openCatalogDir locates the catalog rooted at dir. It does not validate the
// catalog; catalog.Load does.
func openCatalogDir(dir string) (*catalogDir, error) {
	templates := filepath.Join(dir, "templates")
	info, err := os.Lstat(templates)
	if err != nil || !info.IsDir() {
		return nil, failure.Invalidf("%s is not a catalog: it has no templates/ directory", failure.Quote(dir))
	}
	if _, err := os.Lstat(filepath.Join(templates, "catalog.yaml")); err != nil {
		return nil, failure.Invalidf("%s is not a catalog: templates/catalog.yaml is missing", failure.Quote(dir))
	}
	var blueprints fs.FS = fstest.MapFS{}
	bp := filepath.Join(dir, "blueprints")
	switch info, err := os.Lstat(bp); {
	case err == nil && info.IsDir():
		blueprints = os.DirFS(bp)
	case err == nil:
		return nil, failure.Invalidf("%s/blueprints is not a directory", failure.Quote(dir))
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	return &catalogDir{Root: dir, Source: catalog.Source{Templates: os.DirFS(templates), Blueprints: blueprints}}, nil
}

// load loads and validates the catalog.
func (d *catalogDir) load(ctx context.Context) (*catalog.Catalog, error) {
	cat, err := catalog.Load(ctx, d.Source)
	if err != nil {
		return nil, failure.Invalidf("catalog %s: %w", failure.Quote(d.Root), err)
	}
	return cat, nil
}
