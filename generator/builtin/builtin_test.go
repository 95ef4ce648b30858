package builtin

import (
	"context"
	"testing"
)

func BenchmarkCatalog(b *testing.B) {
	for b.Loop() {
		if _, err := Catalog(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
