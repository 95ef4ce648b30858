package goldens

import (
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
	cat := builtinCatalog(t)
	for _, gc := range loadCases(t) {
		a, b := render(t, cat, gc), render(t, cat, gc)
		if diff := cmp.Diff(a.Files, b.Files); diff != "" {
			t.Errorf("%s: two renders differ (-first +second):\n%s", gc.Name, diff)
		}
	}
}
