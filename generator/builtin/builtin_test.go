package builtin

import (
	"context"
	"testing"

	"github.com/secgen/secgen/blueprints"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/templates"
)

// TestCatalogIsLoadedOnce: every call of a process shares one catalog.
func TestCatalogIsLoadedOnce(t *testing.T) {
	a, err := Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("two calls loaded the built-in catalog twice")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Catalog(ctx); err == nil {
		t.Error("a cancelled context got the catalog")
	}
}

// BenchmarkCatalog is what the first call of a process costs: decoding and
// validating the embedded data.
func BenchmarkCatalog(b *testing.B) {
	for b.Loop() {
		if _, err := catalog.Load(context.Background(), catalog.Source{Templates: templates.FS, Blueprints: blueprints.FS}); err != nil {
			b.Fatal(err)
		}
	}
}
