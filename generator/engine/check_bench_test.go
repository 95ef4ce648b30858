package engine

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/secgen/secgen/generator/builtin"
)

// BenchmarkCheckGoService runs check on the default go-service golden
// project with the built-in catalog (loaded once, as the CLI does per run).
func BenchmarkCheckGoService(b *testing.B) {
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	e := &Engine{Catalog: cat, Version: "bench"}
	dir := filepath.Join("..", "..", "goldens", "go-service", "defaults", "tree")
	for b.Loop() {
		res, err := e.Check(context.Background(), CheckRequest{Dir: dir})
		if err != nil || res.Status != CheckUpToDate {
			b.Fatal(err, res)
		}
	}
}
