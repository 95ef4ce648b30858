package goldens

import (
	"bytes"
	"context"
	"flag"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/plan"
	"github.com/secgen/secgen/generator/writer"
)

var update = flag.Bool("update", false, "re-record the golden trees")

// GoldenVersion is the secgen version recorded in golden manifests, so a
// release does not change every golden.
const GoldenVersion = "0.0.0-golden"

// targetBase is the directory name every case renders into; defaults that
// use targetName see it.
const targetBase = "demo-service"

// Case is a golden case's case.yaml.
type Case struct {
	Blueprint string `yaml:"blueprint"`
	Component string `yaml:"component"`
	// Add, with Blueprint, is an add case (goldens/add-<component>/): the
	// blueprint is rendered without the component (or, when nothing would
	// be left, adopted with init), then the component is added. The tree
	// holds what add writes: its files and the updated manifest.
	Add string `yaml:"add"`
	// Without, with Blueprint, leaves components of the blueprint out (as
	// `secgen new --without` does).
	Without []string `yaml:"without"`
	// Adversarial cases carry hostile free text that must arrive as data.
	Adversarial bool `yaml:"adversarial"`
	// Carries lists the languages (go, yaml, markdown) in which an
	// adversarial case's description must be found as data.
	Carries []string `yaml:"carries"`
}

type goldenCase struct {
	Name string // <target>/<case>
	Dir  string
	Case Case
}

func loadCases(t *testing.T) []goldenCase {
	t.Helper()
	paths, err := filepath.Glob("*/*/case.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no golden cases found")
	}
	sort.Strings(paths)
	var out []goldenCase
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var c Case
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if (c.Blueprint == "") == (c.Component == "") {
			t.Fatalf("%s: set exactly one of blueprint and component", p)
		}
		if len(c.Without) > 0 && (c.Blueprint == "" || c.Add != "") {
			t.Fatalf("%s: without applies to a blueprint case that adds nothing", p)
		}
		if c.Add != "" && c.Blueprint == "" {
			t.Fatalf("%s: an add case names the blueprint it starts from", p)
		}
		dir := filepath.Dir(p)
		out = append(out, goldenCase{Name: filepath.ToSlash(dir), Dir: dir, Case: c})
	}
	return out
}

func renderCase(t *testing.T, cat *catalog.Catalog, gc goldenCase) *plan.Plan {
	t.Helper()
	answersFile, err := os.ReadFile(filepath.Join(gc.Dir, "answers.yaml"))
	if err != nil {
		t.Fatalf("%s: %v", gc.Name, err)
	}
	if gc.Case.Add != "" {
		return renderAddCase(t, cat, gc, answersFile)
	}
	req := engine.NewRequest{
		Blueprint:   gc.Case.Blueprint,
		Target:      filepath.Join(t.TempDir(), targetBase),
		AnswersFile: answersFile,
		DryRun:      true,
		Without:     gc.Case.Without,
	}
	if gc.Case.Component != "" {
		req.Components = []string{gc.Case.Component}
	}
	eng := &engine.Engine{Catalog: cat, Version: GoldenVersion}
	res, err := eng.New(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: render: %v", gc.Name, err)
	}
	return res.Plan
}

type treeFile struct {
	Mode    fs.FileMode
	Content string
}

func readTree(t *testing.T, dir string) map[string]treeFile {
	t.Helper()
	out := map[string]treeFile{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			t.Errorf("%s: golden trees hold regular files only", p)
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = treeFile{Mode: execBit(info.Mode()), Content: string(data)}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// execBit reduces a mode to what git records: executable or not.
func execBit(m fs.FileMode) fs.FileMode {
	if m.Perm()&0o100 != 0 {
		return plan.ModeExecutable
	}
	return plan.ModeFile
}

func TestGoldens(t *testing.T) {
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, gc := range loadCases(t) {
		t.Run(gc.Name, func(t *testing.T) {
			if !*update {
				t.Parallel()
			}
			p := renderCase(t, cat, gc)
			treeDir := filepath.Join(gc.Dir, "tree")
			if *update {
				if err := os.RemoveAll(treeDir); err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(treeDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := writer.WriteTree(context.Background(), treeDir, p.Files, 0); err != nil {
					t.Fatal(err)
				}
				return
			}
			got := map[string]treeFile{}
			for _, f := range p.Files {
				got[f.Path] = treeFile{Mode: f.Mode, Content: string(f.Content)}
			}
			want := readTree(t, treeDir)
			if diff := cmp.Diff(slices.Sorted(maps.Keys(want)), slices.Sorted(maps.Keys(got))); diff != "" {
				t.Errorf("file set differs (-want +got):\n%s", diff)
			}
			for path, w := range want {
				g, ok := got[path]
				if !ok {
					continue
				}
				if w.Mode != g.Mode {
					t.Errorf("%s: mode %v, want %v", path, g.Mode, w.Mode)
				}
				if diff := cmp.Diff(w.Content, g.Content); diff != "" {
					t.Errorf("%s differs (-want +got):\n%s", path, diff)
				}
			}
		})
	}
}

// TestGoldensAreDeterministic renders every case twice and requires
// byte-identical plans.
func TestGoldensAreDeterministic(t *testing.T) {
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, gc := range loadCases(t) {
		a, b := renderCase(t, cat, gc), renderCase(t, cat, gc)
		if diff := cmp.Diff(a.Files, b.Files); diff != "" {
			t.Errorf("%s: two renders differ (-first +second):\n%s", gc.Name, diff)
		}
	}
}
