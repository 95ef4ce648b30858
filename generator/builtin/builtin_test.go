package builtin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
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

// BenchmarkCatalog is what the first call of a process costs: decoding the
// embedded data (its validation ran at test time).
func BenchmarkCatalog(b *testing.B) {
	for b.Loop() {
		if _, err := catalog.LoadEmbedded(context.Background(), catalog.Source{Templates: templates.FS, Blueprints: blueprints.FS}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCatalogValidated is what loading the same data as a catalog read
// at run time costs: decoded and validated whole, rules included.
func BenchmarkCatalogValidated(b *testing.B) {
	for b.Loop() {
		if _, err := catalog.Load(context.Background(), catalog.Source{Templates: templates.FS, Blueprints: blueprints.FS}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCheapListingsAgreeWithTheCatalog: what version and shell completion
// read without loading the catalog is what the loaded catalog says.
func TestCheapListingsAgreeWithTheCatalog(t *testing.T) {
	cat, err := Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadMeta()
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != cat.ID || m.Version != cat.Version {
		t.Errorf("ReadMeta = %+v, the catalog is %s %s", m, cat.ID, cat.Version)
	}
	if got, want := BlueprintNames(), cat.BlueprintNames(); !slices.Equal(got, want) {
		t.Errorf("BlueprintNames = %v, the catalog has %v", got, want)
	}
	if got, want := ComponentNames(), cat.ComponentNames(); !slices.Equal(got, want) {
		t.Errorf("ComponentNames = %v, the catalog has %v", got, want)
	}
}

// TestDigestIsTheDocumentedHash recomputes Digest as its doc comment
// defines it, file by file, each read whole.
func TestDigestIsTheDocumentedHash(t *testing.T) {
	h := sha256.New()
	for _, part := range []struct {
		dir  string
		fsys fs.FS
	}{{"templates", templates.FS}, {"blueprints", blueprints.FS}} {
		err := fs.WalkDir(part.fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(part.fsys, p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s/%s\x00%d\x00", part.dir, p, len(data))
			h.Write(data)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if got, err := Digest(); err != nil || got != want {
		t.Fatalf("Digest() = %s, %v; want %s", got, err, want)
	}
}
