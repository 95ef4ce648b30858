package engine_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/goldentest"
)

// BenchmarkCheckGoService runs check on the default go-service golden
// project with the built-in catalog (loaded once, as the CLI does per run).
func BenchmarkCheckGoService(b *testing.B) {
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	e := &engine.Engine{Catalog: cat, Version: "bench"}
	// goldens/ records each distinct output once: materialize the whole tree.
	goldens := b.TempDir()
	if _, err := goldentest.Materialize(context.Background(), filepath.Join("..", "..", "goldens"), goldens); err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(goldens, "go-service", "defaults", "tree")
	for b.Loop() {
		res, err := e.Check(context.Background(), engine.CheckRequest{Dir: dir})
		if err != nil || res.Status != engine.CheckUpToDate {
			b.Fatal(err, res)
		}
	}
}
