package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/gitinit"
	"github.com/secgen/secgen/generator/manifest"
)

// BenchmarkUpdateNoop is `secgen update` with nothing to change on the
// default go-service project (budget: 40 ms).
func BenchmarkUpdateNoop(b *testing.B) {
	e := testEngine(b)
	root := filepath.Join(b.TempDir(), "demo")
	if _, err := e.New(context.Background(), NewRequest{Blueprint: "go-service", Target: root, StoreBases: true}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := e.Update(context.Background(), UpdateRequest{Dir: root})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Changes) == 0 || res.Changes[0].Writes() {
			b.Fatal("the no-op update changed something")
		}
	}
}

// BenchmarkUpdateNoopFiles is a no-op update on a project of 5,000 files
// (budget: 1.5 s).
func BenchmarkUpdateNoopFiles(b *testing.B) {
	const n = 5000
	e := &Engine{Catalog: syntheticCatalog(b, n), Version: "bench", Auditor: testAuditor{}}
	root := filepath.Join(b.TempDir(), "p")
	if _, err := e.New(context.Background(), NewRequest{Components: []string{"big"}, Target: root, StoreBases: true}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := e.Update(context.Background(), UpdateRequest{Dir: root}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateBaseFromRecordedVersion is an update that must re-render
// its merge base from the recorded catalog version (no stored base); the
// difference to BenchmarkUpdateMergeStoredBase is what re-rendering adds
// (budget: 15 ms).
func BenchmarkUpdateBaseFromRecordedVersion(b *testing.B) {
	benchMerge(b, true)
}

// BenchmarkUpdateMergeStoredBase is the same update with the base read from
// .secgen/base.
func BenchmarkUpdateMergeStoredBase(b *testing.B) {
	benchMerge(b, false)
}

func benchMerge(b *testing.B, render bool) {
	v1, v2 := testCatalog(b, 1), testCatalog(b, 2)
	edit := "# config of demo\nname: \"demo\"\nlog: debug\ntimeout: 30s\nretries: 3\nlimit: 10\n"
	for b.Loop() {
		b.StopTimer()
		root := newProject(b)
		if render {
			if err := os.RemoveAll(filepath.Join(root, ".secgen")); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(root, "config.yaml"), []byte(edit), 0o644); err != nil {
			b.Fatal(err)
		}
		e := &Engine{Catalog: v2, Version: "bench", Auditor: testAuditor{}, Versions: VersionFunc(func(context.Context, manifest.CatalogRef) (*catalog.Catalog, error) { return v1, nil })}
		b.StartTimer()
		res, err := e.Update(context.Background(), UpdateRequest{Dir: root})
		if err != nil || len(res.Conflicts) != 0 {
			b.Fatalf("update: %v, conflicts %+v", err, res.Conflicts)
		}
	}
}

// BenchmarkUpdateNoopGit is BenchmarkUpdateNoop in a project with a git
// repository: it adds the dirty-tree check (git status).
func BenchmarkUpdateNoopGit(b *testing.B) {
	e := testEngine(b)
	root := filepath.Join(b.TempDir(), "demo")
	if _, err := e.New(context.Background(), NewRequest{Blueprint: "go-service", Target: root, Git: &GitOptions{Author: gitinit.DefaultAuthor(), When: time.Unix(0, 0)}}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := e.Update(context.Background(), UpdateRequest{Dir: root}); err != nil {
			b.Fatal(err)
		}
	}
}
