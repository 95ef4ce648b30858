package goldentest_test

import (
	"context"
	"testing"

	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/goldentest"
)

// BenchmarkRunBuiltinGoldens measures `secgen test` over the built-in
// catalog's goldens, without process start-up.
func BenchmarkRunBuiltinGoldens(b *testing.B) {
	ctx := context.Background()
	cat, err := builtin.Catalog(ctx)
	if err != nil {
		b.Fatal(err)
	}
	cases, err := goldentest.Load(ctx, "../../goldens")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for _, r := range goldentest.Run(ctx, cat, cases, goldentest.Options{}) {
			if r.Status != goldentest.Pass {
				b.Fatalf("%s: %s", r.Case, r.Status)
			}
		}
	}
}
