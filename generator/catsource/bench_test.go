package catsource_test

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/secgen/secgen/blueprints"
	"github.com/secgen/secgen/generator/catsource"
	"github.com/secgen/secgen/generator/catsource/catsourcetest"
	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/templates"
)

// builtinRepo commits the embedded catalog to a fixture repository, tagged
// v1, and returns its file:// URL.
func builtinRepo(b *testing.B) string {
	b.Helper()
	files := catsourcetest.Files{}
	for _, part := range []struct {
		dir  string
		fsys fs.FS
	}{{"templates", templates.FS}, {"blueprints", blueprints.FS}} {
		err := fs.WalkDir(part.fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(part.fsys, p)
			files[part.dir+"/"+p] = catsourcetest.Entry{Data: data}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	dir := b.TempDir()
	repo, err := catsourcetest.Init(dir)
	if err != nil {
		b.Fatal(err)
	}
	h, err := repo.Commit(files, "builtin", nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := repo.LightTag("v1", h); err != nil {
		b.Fatal(err)
	}
	return "file://" + dir
}

// BenchmarkNew compares `secgen new go-service` (open the catalog, resolve
// answers, render, write) from the built-in catalog and from the same
// catalog in a git repository that is already cached.
func BenchmarkNew(b *testing.B) {
	url := builtinRepo(b)
	cache := b.TempDir()
	for _, source := range []string{"builtin", url + "@v1"} {
		spec, err := catsource.Parse(source, "")
		if err != nil {
			b.Fatal(err)
		}
		opener := &catsource.Opener{CacheDir: cache}
		if _, err := opener.Open(context.Background(), catsource.Request{Spec: spec}); err != nil {
			b.Fatal(err) // fills the cache
		}
		name := "builtin"
		if spec.Kind == catsource.Git {
			name = "git-cached"
			opener.Offline = true
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			i := 0
			for b.Loop() {
				i++
				op, err := opener.Open(context.Background(), catsource.Request{Spec: spec})
				if err != nil {
					b.Fatal(err)
				}
				e := &engine.Engine{Catalog: op.Catalog, Version: "bench"}
				target := filepath.Join(dir, fmt.Sprint(i))
				if _, err := e.New(context.Background(), engine.NewRequest{Blueprint: "go-service", Target: target}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFirstFetch fetches a 500-file catalog over file:// into an
// empty cache, verifies it and loads it.
func BenchmarkFirstFetch(b *testing.B) {
	fx := catsourcetest.Catalog("1.0.0", catsourcetest.Control, "")
	for i := range 500 - len(fx) {
		fx[fmt.Sprintf("templates/audit-log/files/gen/d%02d/f%04d.txt.tmpl", i%20, i)] = catsourcetest.Entry{
			Data: fmt.Appendf(nil, "# file %d of {{ .name }}\nvalue: %d\n", i, i),
		}
	}
	dir := b.TempDir()
	repo, err := catsourcetest.Init(dir)
	if err != nil {
		b.Fatal(err)
	}
	signer, ring, err := catsourcetest.NewKey("Bench")
	if err != nil {
		b.Fatal(err)
	}
	h, err := repo.Commit(fx, "500 files", nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := repo.Tag("v1.0.0", h, signer); err != nil {
		b.Fatal(err)
	}
	spec, err := catsource.Parse("file://"+dir+"@v1.0.0", "")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		opener := &catsource.Opener{CacheDir: b.TempDir()}
		op, err := opener.Open(context.Background(), catsource.Request{Spec: spec, Keyring: ring})
		if err != nil {
			b.Fatal(err)
		}
		if c, _ := op.Catalog.Component("audit-log"); len(c.Sources) != 500-len(catsourcetest.Catalog("1.0.0", catsourcetest.Control, ""))+1 {
			b.Fatalf("%d templates", len(c.Sources))
		}
	}
}

// BenchmarkOpen isolates what differs between the two cases of
// BenchmarkNew: opening the catalog.
func BenchmarkOpen(b *testing.B) {
	url := builtinRepo(b)
	cache := b.TempDir()
	for _, source := range []string{"builtin", url + "@v1"} {
		spec, err := catsource.Parse(source, "")
		if err != nil {
			b.Fatal(err)
		}
		opener := &catsource.Opener{CacheDir: cache}
		if _, err := opener.Open(context.Background(), catsource.Request{Spec: spec}); err != nil {
			b.Fatal(err)
		}
		opener.Offline = true
		b.Run(map[bool]string{true: "git-cached", false: "builtin"}[spec.Kind == catsource.Git], func(b *testing.B) {
			for b.Loop() {
				if _, err := opener.Open(context.Background(), catsource.Request{Spec: spec}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
