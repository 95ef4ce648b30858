package goldens

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/plan"
)

// renderAddCase starts a project from the case's blueprint without the
// component, then adds it in a dry run and returns what add would write.
func renderAddCase(t *testing.T, cat *catalog.Catalog, gc goldenCase, answersFile []byte) *plan.Plan {
	t.Helper()
	bp, err := cat.Blueprint(gc.Case.Blueprint)
	if err != nil {
		t.Fatalf("%s: %v", gc.Name, err)
	}
	eng := &engine.Engine{Catalog: cat, Version: GoldenVersion}
	root := filepath.Join(t.TempDir(), targetBase)
	rest := slices.DeleteFunc(slices.Clone(bp.Components), func(c string) bool { return c == gc.Case.Add })
	if len(rest) == len(bp.Components) {
		t.Fatalf("%s: blueprint %s has no component %s", gc.Name, bp.Name, gc.Case.Add)
	}
	if len(rest) == 0 {
		if err := mkdir(root); err != nil {
			t.Fatal(err)
		}
		_, err = eng.Init(context.Background(), engine.InitRequest{Dir: root, Blueprint: bp.Name, AnswersFile: answersFile})
	} else {
		_, err = eng.New(context.Background(), engine.NewRequest{Blueprint: bp.Name, Target: root, AnswersFile: answersFile, Without: []string{gc.Case.Add}})
	}
	if err != nil {
		t.Fatalf("%s: start the project: %v", gc.Name, err)
	}
	res, err := eng.Add(context.Background(), engine.AddRequest{Dir: root, Component: gc.Case.Add, AnswersFile: answersFile, DryRun: true})
	if err != nil {
		t.Fatalf("%s: add: %v", gc.Name, err)
	}
	if len(res.Conflicts) > 0 {
		t.Fatalf("%s: add onto a fresh project conflicts: %+v", gc.Name, res.Conflicts)
	}
	var files []plan.File
	for _, c := range res.Changes {
		if c.Writes() {
			files = append(files, plan.File{Path: c.Path, Mode: c.Mode, Content: c.New, Component: c.Component})
		}
	}
	p, err := plan.New(files)
	if err != nil {
		t.Fatalf("%s: %v", gc.Name, err)
	}
	return p
}

// TestEveryComponentHasAnAddGolden keeps `secgen add` covered as the
// catalog grows: each component needs goldens/add-<component>/<case>/.
func TestEveryComponentHasAnAddGolden(t *testing.T) {
	cat := builtinCatalog(t)
	have := map[string]bool{}
	for _, gc := range loadCases(t) {
		if gc.Case.Add != "" {
			have[gc.Case.Add] = true
			if filepath.Base(filepath.Dir(gc.Dir)) != "add-"+gc.Case.Add {
				t.Errorf("%s: an add case of %s belongs under goldens/add-%s/", gc.Name, gc.Case.Add, gc.Case.Add)
			}
		}
	}
	for _, name := range cat.ComponentNames() {
		if !have[name] {
			t.Errorf("component %s has no add golden: create goldens/add-%s/defaults/{case.yaml,answers.yaml} (case.yaml: `blueprint: go-service` and `add: %s`) and run make goldens", name, name, name)
		}
	}
}

func mkdir(dir string) error { return os.Mkdir(dir, 0o755) }

func builtinCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// TestAddMatchesNew: adding a component renders, byte for byte, what
// `secgen new` renders for it with the same answers and components, and
// records the same manifest.
func TestAddMatchesNew(t *testing.T) {
	cat := builtinCatalog(t)
	for _, gc := range loadCases(t) {
		if gc.Case.Add == "" {
			continue
		}
		t.Run(gc.Name, func(t *testing.T) {
			answersFile, err := os.ReadFile(filepath.Join(gc.Dir, "answers.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			added := renderAddCase(t, cat, gc, answersFile)
			eng := &engine.Engine{Catalog: cat, Version: GoldenVersion}
			res, err := eng.New(context.Background(), engine.NewRequest{Blueprint: gc.Case.Blueprint, Target: filepath.Join(t.TempDir(), targetBase), AnswersFile: answersFile, DryRun: true})
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
					continue // compared after the update below
				}
				if f.Component != gc.Case.Add {
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
			// add renders only the new component; files of other components
			// that depend on it (hasComponent, appliedControls) catch up at the
			// next update (docs/add-update.md). After both, the project is
			// the one new renders.
			got := addThenUpdate(t, cat, gc, answersFile)
			if diff := cmp.Diff(string(whole[".secgen.yaml"].Content), got); diff != "" {
				t.Errorf("the manifest after add and update differs from new's (-new +add):\n%s", diff)
			}
		})
	}
}

// addThenUpdate starts the case's project without the component, adds it,
// runs update and returns the manifest.
func addThenUpdate(t *testing.T, cat *catalog.Catalog, gc goldenCase, answersFile []byte) string {
	t.Helper()
	bp, err := cat.Blueprint(gc.Case.Blueprint)
	if err != nil {
		t.Fatal(err)
	}
	eng := &engine.Engine{Catalog: cat, Version: GoldenVersion}
	root := filepath.Join(t.TempDir(), targetBase)
	if len(bp.Components) == 1 {
		if err := mkdir(root); err != nil {
			t.Fatal(err)
		}
		_, err = eng.Init(context.Background(), engine.InitRequest{Dir: root, Blueprint: bp.Name, AnswersFile: answersFile})
	} else {
		_, err = eng.New(context.Background(), engine.NewRequest{Blueprint: bp.Name, Target: root, AnswersFile: answersFile, Without: []string{gc.Case.Add}, StoreBases: true})
	}
	if err != nil {
		t.Fatalf("start the project: %v", err)
	}
	if _, err := eng.Add(context.Background(), engine.AddRequest{Dir: root, Component: gc.Case.Add, AnswersFile: answersFile}); err != nil {
		t.Fatalf("add: %v", err)
	}
	res, err := eng.Update(context.Background(), engine.UpdateRequest{Dir: root, AnswersFile: answersFile})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if len(res.Conflicts) > 0 {
		t.Fatalf("update after add conflicts: %+v", res.Conflicts)
	}
	data, err := os.ReadFile(filepath.Join(root, ".secgen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
