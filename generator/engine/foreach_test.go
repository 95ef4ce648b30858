package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
)

// TestForeachItemsCannotEscape: a foreach item becomes part of a path. The
// built-in catalog's answer validation refuses a hostile item; where a
// catalog declares no pattern, the path checks refuse it before and after
// rendering. Either way the error is invalid input and nothing is written.
func TestForeachItemsCannotEscape(t *testing.T) {
	t.Parallel()
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err = (&Engine{Catalog: cat, Version: "test"}).New(context.Background(), NewRequest{
		Components: []string{"terraform-aws"}, Target: filepath.Join(dir, "p"), Set: []string{"environments=staging,../x"},
	})
	if !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "environments") {
		t.Errorf("terraform-aws with environments=staging,../x: err = %v, want the answer refused", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("wrote %v", entries)
	}

	tm := fstest.MapFS{
		"catalog.yaml":  {Data: []byte("id: loop\nversion: 1.0.0\n")},
		"controls.yaml": {Data: []byte(testControls)},
		"loop/component.yaml": {Data: []byte(`name: loop
description: renders a directory per item, with no pattern on the items
version: 1.0.0
questions:
  - {name: envs, type: list, prompt: Environments, default: [a]}
files:
  - {match: "envs/**", foreach: envs, as: env}
`)},
		// The path may reshape the item: "a-.." becomes "a/..", which only the
		// check of the rendered path can see.
		`loop/files/envs/{{ .env | replace "-" "/" }}/main.tf.tmpl`: {Data: []byte("# {{ .env }}\n")},
	}
	loop, err := catalog.Load(context.Background(), catalog.Source{Templates: tm, Blueprints: fstest.MapFS{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range []string{"../x", "..", ".git", "a/b", "a-..", "-x"} {
		dir := t.TempDir()
		_, err := (&Engine{Catalog: loop, Version: "test"}).New(context.Background(), NewRequest{
			Components: []string{"loop"}, Target: filepath.Join(dir, "p"), Set: []string{"envs=ok," + item},
		})
		if !failure.IsInvalidInput(err) {
			t.Errorf("item %q: err = %v, want invalid input", item, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("item %q: wrote %v", item, entries)
		}
	}
	res, err := (&Engine{Catalog: loop, Version: "test"}).New(context.Background(), NewRequest{
		Components: []string{"loop"}, Target: filepath.Join(t.TempDir(), "p"), Set: []string{"envs=x-y,z"}, DryRun: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range res.Plan.Files {
		paths = append(paths, f.Path)
	}
	if got := strings.Join(paths, " "); !strings.Contains(got, "envs/x/y/main.tf") || !strings.Contains(got, "envs/z/main.tf") {
		t.Errorf("paths = %v", paths)
	}
}
