package goldens

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/goldentest"
)

var update = flag.Bool("update", false, "re-record the golden trees (make goldens runs `secgen test --update .` instead)")

func builtinCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func loadCases(t *testing.T) []goldentest.Case {
	t.Helper()
	cases, err := goldentest.Load(context.Background(), ".")
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestGoldens runs secgen's own golden cases through the same machinery as
// `secgen test`: every case renders byte for byte (and mode for mode) what
// its tree/ holds.
func TestGoldens(t *testing.T) {
	cat := builtinCatalog(t)
	results := goldentest.Run(context.Background(), cat, loadCases(t), goldentest.Options{Update: *update})
	for _, r := range results {
		t.Run(r.Case, func(t *testing.T) {
			switch r.Status {
			case goldentest.Pass, goldentest.Updated:
				return
			case goldentest.Error:
				t.Fatal(r.Err)
			}
			for _, d := range r.Differences {
				t.Error(describe(d))
			}
		})
	}
}

func describe(d goldentest.Difference) string {
	switch d.Kind {
	case goldentest.Content:
		return d.Path + " differs:\n" + d.Diff
	case goldentest.Mode:
		return fmt.Sprintf("%s: mode %v, want %v", d.Path, d.Got, d.Want)
	case goldentest.Missing:
		return d.Path + ": in the golden tree but not rendered"
	default:
		return d.Path + ": rendered but not in the golden tree"
	}
}

// TestGoldensAreDeterministic renders every case twice and requires
// byte-identical plans.
func TestGoldensAreDeterministic(t *testing.T) {
	t.Parallel()
	cat := builtinCatalog(t)
	for _, gc := range loadCases(t) {
		t.Run(gc.Name, func(t *testing.T) {
			t.Parallel()
			a, b := render(t, cat, gc), render(t, cat, gc)
			if len(a.Files) != len(b.Files) {
				t.Fatalf("two renders differ: %d files, then %d", len(a.Files), len(b.Files))
			}
			// Compared file by file (a reflective diff of whole plans costs
			// more than rendering them); go-cmp shows what differs.
			for i, f := range a.Files {
				g := b.Files[i]
				if f.Path != g.Path || f.Mode != g.Mode || f.Component != g.Component || !bytes.Equal(f.Content, g.Content) {
					t.Errorf("two renders differ (-first +second):\n%s", cmp.Diff(
						[]string{f.Path, f.Mode.String(), f.Component, string(f.Content)},
						[]string{g.Path, g.Mode.String(), g.Component, string(g.Content)}))
				}
			}
		})
	}
}
