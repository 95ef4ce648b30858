package goldentest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/goldentest"
)

// fixture returns a one-component catalog and a goldens directory with one
// case of it, without a recorded tree.
func fixture(t *testing.T) (*catalog.Catalog, string) {
	t.Helper()
	fsys := fstest.MapFS{
		"catalog.yaml":  {Data: []byte("id: fixture\nversion: 1.0.0\n")},
		"controls.yaml": {Data: []byte(controlsYAML)},
		"hello/component.yaml": {Data: []byte(`name: hello
description: Says hello.
version: 1.0.0
controls: [SEC-01]
questions:
  - name: greeting
    type: string
    prompt: Greeting
    default: hello
    validate:
      pattern: '[a-z]+'
files:
  - match: run.sh
    executable: true
`)},
		"hello/files/hello.yaml.tmpl": {Data: []byte("greeting: {{ .greeting }}\n")},
		"hello/files/run.sh.tmpl":     {Data: []byte("#!/bin/sh\necho {{ .greeting }}\n")},
	}
	cat, err := catalog.Load(context.Background(), catalog.Source{Templates: fsys, Blueprints: fstest.MapFS{}})
	if err != nil {
		t.Fatal(err)
	}
	goldens := filepath.Join(t.TempDir(), "goldens")
	dir := filepath.Join(goldens, "hello", "defaults")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "case.yaml"), "component: hello\n")
	write(t, filepath.Join(dir, "answers.yaml"), "greeting: hi\n")
	return cat, goldens
}

func write(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func runOne(t *testing.T, cat *catalog.Catalog, goldens string, update bool) goldentest.Result {
	t.Helper()
	cases, err := goldentest.Load(context.Background(), goldens)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 1 || cases[0].Name != "hello/defaults" {
		t.Fatalf("cases = %+v", cases)
	}
	return goldentest.Run(context.Background(), cat, cases, goldentest.Options{Update: update})[0]
}

func TestRunDetectsEveryDifferenceAndUpdateRecords(t *testing.T) {
	t.Parallel()
	cat, goldens := fixture(t)
	tree := filepath.Join(goldens, "hello", "defaults", "tree")

	if r := runOne(t, cat, goldens, false); r.Status != goldentest.Fail || len(r.Differences) != 3 {
		t.Fatalf("no tree yet: %+v", r)
	}
	if r := runOne(t, cat, goldens, true); r.Status != goldentest.Updated {
		t.Fatalf("update: %+v", r)
	}
	if r := runOne(t, cat, goldens, false); r.Status != goldentest.Pass {
		t.Fatalf("after update: %+v", r)
	}
	got, err := os.ReadFile(filepath.Join(tree, "hello.yaml"))
	if err != nil || string(got) != "greeting: hi\n" {
		t.Fatalf("recorded hello.yaml = %q, %v", got, err)
	}
	if info, err := os.Stat(filepath.Join(tree, "run.sh")); err != nil || info.Mode().Perm() != 0o755 {
		t.Fatalf("run.sh is not recorded executable: %v %v", info, err)
	}

	// One byte, one mode bit and one stray file.
	write(t, filepath.Join(tree, "hello.yaml"), "greeting: ho\n")
	if err := os.Chmod(filepath.Join(tree, "run.sh"), 0o644); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(tree, "stray.txt"), "x\n")
	r := runOne(t, cat, goldens, false)
	if r.Status != goldentest.Fail {
		t.Fatalf("status %s, want fail", r.Status)
	}
	kinds := map[string]goldentest.Kind{}
	for _, d := range r.Differences {
		kinds[d.Path] = d.Kind
		if d.Kind == goldentest.Content && !strings.Contains(d.Diff, "-greeting: ho\n+greeting: hi\n") {
			t.Errorf("diff of %s:\n%s", d.Path, d.Diff)
		}
		if d.Kind == goldentest.Mode && (d.WantMode != "0644" || d.GotMode != "0755") {
			t.Errorf("%s: modes %s, %s; want 0644 in the tree, 0755 rendered", d.Path, d.WantMode, d.GotMode)
		}
	}
	want := map[string]goldentest.Kind{"hello.yaml": goldentest.Content, "run.sh": goldentest.Mode, "stray.txt": goldentest.Missing}
	if len(kinds) != len(want) {
		t.Errorf("differences %v, want %v", kinds, want)
	}
	for p, k := range want {
		if kinds[p] != k {
			t.Errorf("%s: kind %q, want %q", p, kinds[p], k)
		}
	}

	if r := runOne(t, cat, goldens, true); r.Status != goldentest.Updated {
		t.Fatalf("second update: %+v", r)
	}
	if r := runOne(t, cat, goldens, false); r.Status != goldentest.Pass {
		t.Fatalf("after second update: %+v", r)
	}
	entries, err := os.ReadDir(filepath.Join(goldens, "hello", "defaults"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "answers.yaml,case.yaml,tree" {
		t.Errorf("case directory holds %v after update; staging or old trees were left", names)
	}
}

func TestSymbolicLinksAreRefusedNeverFollowed(t *testing.T) {
	t.Parallel()
	cat, goldens := fixture(t)
	outside := t.TempDir()
	write(t, filepath.Join(outside, "hello.yaml"), "outside\n")
	tree := filepath.Join(goldens, "hello", "defaults", "tree")

	// tree/ itself a link: neither compared through nor replaced.
	if err := os.Symlink(outside, tree); err != nil {
		t.Fatal(err)
	}
	for _, update := range []bool{false, true} {
		if r := runOne(t, cat, goldens, update); r.Status != goldentest.Error {
			t.Errorf("update=%v: a linked tree gives %s, want error", update, r.Status)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(outside, "hello.yaml")); string(got) != "outside\n" {
		t.Fatalf("the link's target was written: %q", got)
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 1 {
		t.Fatalf("the link's target holds %d entries", len(entries))
	}

	// A link inside tree/.
	if err := os.Remove(tree); err != nil {
		t.Fatal(err)
	}
	if r := runOne(t, cat, goldens, true); r.Status != goldentest.Updated {
		t.Fatal(r.Status)
	}
	if err := os.Symlink(filepath.Join(outside, "hello.yaml"), filepath.Join(tree, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if r := runOne(t, cat, goldens, false); r.Status != goldentest.Error || !strings.Contains(r.Err.Error(), "regular files only") {
		t.Errorf("a link inside the tree: %+v", r)
	}

	// A case directory that is a link is refused when loading.
	if err := os.Symlink(outside, filepath.Join(goldens, "hello", "linked")); err != nil {
		t.Fatal(err)
	}
	if _, err := goldentest.Load(context.Background(), goldens); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Load with a linked case: %v", err)
	}
}

// controlsYAML is the fixture catalog's control registry, with an area of
// its own.
const controlsYAML = `controls:
  - id: SEC-01
    title: No secret values in generated files
    description: Secrets are referenced by name, never written.
  - id: ORG-01
    title: Every service declares its owner
    description: A platform team's own control area.
`
