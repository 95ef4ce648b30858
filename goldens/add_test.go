package goldens

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/goldentest"
	"github.com/secgen/secgen/generator/plan"
)

// render renders a golden case with the machinery of `secgen test`.
func render(t *testing.T, cat *catalog.Catalog, gc goldentest.Case) *plan.Plan {
	t.Helper()
	p, err := goldentest.Render(context.Background(), cat, gc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEveryComponentHasAnAddGolden keeps `secgen add` covered as the
// catalog grows: each component needs goldens/add-<component>/<case>/.
func TestEveryComponentHasAnAddGolden(t *testing.T) {
	cat := builtinCatalog(t)
	have := map[string]bool{}
	for _, gc := range loadCases(t) {
		if gc.Spec.Add != "" {
			have[gc.Spec.Add] = true
			if filepath.Base(filepath.Dir(gc.Dir)) != "add-"+gc.Spec.Add {
				t.Errorf("%s: an add case of %s belongs under goldens/add-%s/", gc.Name, gc.Spec.Add, gc.Spec.Add)
			}
		}
	}
	for _, name := range cat.ComponentNames() {
		if !have[name] {
			t.Errorf("component %s has no add golden: create goldens/add-%s/defaults/{case.yaml,answers.yaml} (case.yaml: `blueprint: go-service` and `add: %s`) and run make goldens", name, name, name)
		}
	}
}

// TestAddMatchesNew: adding a component renders, byte for byte, what
// `secgen new` renders for it with the same answers and components, and
// records the same manifest.
func TestAddMatchesNew(t *testing.T) {
	cat := builtinCatalog(t)
	for _, gc := range loadCases(t) {
		if gc.Spec.Add == "" {
			continue
		}
		t.Run(gc.Name, func(t *testing.T) {
			added := render(t, cat, gc)
			eng := &engine.Engine{Catalog: cat, Version: goldentest.Version}
			res, err := eng.New(context.Background(), engine.NewRequest{Blueprint: gc.Spec.Blueprint, Target: filepath.Join(t.TempDir(), goldentest.TargetBase), AnswersFile: gc.Answers, DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			whole := map[string]plan.File{}
			for _, f := range res.Plan.Files {
				whole[f.Path] = f
			}
			n := 0
			for _, f := range added.Files {
				if f.Path == ".secgen.yaml" {
					if diff := cmp.Diff(string(whole[f.Path].Content), string(f.Content)); diff != "" {
						t.Errorf("the manifest after add differs from new's (-new +add):\n%s", diff)
					}
					continue
				}
				if f.Component != gc.Spec.Add {
					continue
				}
				n++
				w, ok := whole[f.Path]
				if !ok || string(w.Content) != string(f.Content) || w.Mode != f.Mode {
					t.Errorf("%s: add renders it differently from new", f.Path)
				}
			}
			if n == 0 {
				t.Error("add wrote no file of the component")
			}
		})
	}
}
