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

// TestProof is `secgen test`'s proof on the built-in catalog: every golden
// render passes the catalog's own audit rules, every breakage of every
// component's breakages.yaml is caught by its rule under its control, and
// every control a component claims has at least one breakage.
func TestProof(t *testing.T) {
	cat := builtinCatalog(t)
	rep, err := goldentest.Prove(context.Background(), cat, loadCases(t), goldentest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Cases {
		for _, f := range r.Findings {
			t.Errorf("%s: %s:%d %s %s: %s", r.Case, f.File, f.Line, f.Control, f.Rule, f.Message)
		}
	}
	covered := map[string]bool{}
	for _, b := range rep.Breakages {
		switch b.Status {
		case goldentest.Caught:
			covered[b.Control] = true
		case goldentest.Missed:
			t.Errorf("%s:%d: breakage %q of %s is not caught by %s (fired: %v)", b.File, b.Line, b.Name, b.Control, b.Rule, b.Fired)
		default:
			t.Errorf("%s:%d: breakage %q: %v", b.File, b.Line, b.Name, b.Err)
		}
	}
	if len(rep.Breakages) < 100 {
		t.Errorf("only %d breakages: the built-in catalog's breakages.yaml files are not loaded", len(rep.Breakages))
	}
	for _, name := range cat.ComponentNames() {
		comp, err := cat.Component(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range comp.Controls {
			if !covered[c.ID] {
				t.Errorf("%s (component %s) has no deliberate breakage", c.ID, name)
			}
		}
	}
}
