package project_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/catsource/catsourcetest"
	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/project"
)

// benchProjects renders the go-service blueprint twice with its defaults:
// from the built-in catalog, and from a git repository holding the same
// catalog (secgen's templates/ and blueprints/, signed tag v1.0.0) opened
// by URL with a keyring, its cache warmed as after a first run. It returns
// the resolver and the two project roots.
func benchProjects(b *testing.B) (*project.Resolver, map[string]string) {
	b.Helper()
	ctx := context.Background()
	files := catsourcetest.Files{}
	root := filepath.Join("..", "..")
	for _, top := range []string{"templates", "blueprints"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			files[filepath.ToSlash(rel)] = catsourcetest.Entry{Data: data}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	repoDir := b.TempDir()
	repo, err := catsourcetest.Init(repoDir)
	if err != nil {
		b.Fatal(err)
	}
	key, ring, err := catsourcetest.NewKey("Bench")
	if err != nil {
		b.Fatal(err)
	}
	c, err := repo.Commit(files, "catalog", key)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := repo.Tag("v1.0.0", c, key); err != nil {
		b.Fatal(err)
	}
	r := &project.Resolver{CacheDir: b.TempDir(), Store: nil}
	roots := map[string]string{}
	for name, src := range map[string]struct {
		source string
		ring   []byte
	}{"builtin": {"", nil}, "git": {"file://" + repoDir + "@v1.0.0", ring}} {
		cat, err := r.Source(ctx, src.source, src.ring)
		if err != nil {
			b.Fatal(err)
		}
		dir := filepath.Join(b.TempDir(), "svc")
		e := &engine.Engine{Catalog: cat.Catalog, Version: "bench", Origin: cat.Ref, Keyring: cat.Keyring}
		if _, err := e.New(ctx, engine.NewRequest{Blueprint: "go-service", Target: dir, StoreBases: true}); err != nil {
			b.Fatal(err)
		}
		roots[name] = dir
	}
	return r, roots
}

// BenchmarkCheck is one whole `secgen check` minus process start: open the
// project through the project layer (its recorded catalog: the embedded
// one, or the git catalog from the warm cache, its signature verified) and
// check it.
func BenchmarkCheck(b *testing.B) {
	r, roots := benchProjects(b)
	for _, name := range []string{"builtin", "git"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				p, err := r.Open(context.Background(), project.Options{Dir: roots[name], Use: project.Current})
				if err != nil {
					b.Fatal(err)
				}
				e := &engine.Engine{Catalog: p.Catalog.Catalog, Version: "bench", Origin: p.Catalog.Ref, Versions: p}
				res, err := e.Check(context.Background(), engine.CheckRequest{Project: p})
				if err != nil || res.Status != engine.CheckUpToDate {
					b.Fatal(err, res)
				}
			}
		})
	}
}

// BenchmarkAudit is one whole `secgen audit` minus process start: open the
// project with its recorded catalog and audit it with that catalog's rules.
func BenchmarkAudit(b *testing.B) {
	r, roots := benchProjects(b)
	for _, name := range []string{"builtin", "git"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				p, err := r.Open(context.Background(), project.Options{Dir: roots[name], Use: project.Recorded})
				if err != nil {
					b.Fatal(err)
				}
				rep, err := audit.Project(context.Background(), p.Catalog.Catalog, audit.ProjectRequest{Dir: p.Root, Manifest: p.Manifest})
				if err != nil || len(rep.Findings) != 0 {
					b.Fatal(err, rep)
				}
			}
		})
	}
}
