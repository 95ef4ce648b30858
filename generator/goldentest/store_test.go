package goldentest_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/goldentest"
)

// treeFiles lists the files a case directory's tree/ holds.
func treeFiles(t *testing.T, tree string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(tree, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tree, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func runAll(t *testing.T, goldens string, update bool) []goldentest.Result {
	t.Helper()
	cat, _ := fixture(t)
	cases, err := goldentest.Load(context.Background(), goldens)
	if err != nil {
		t.Fatal(err)
	}
	return goldentest.Run(context.Background(), cat, cases, goldentest.Options{Update: update})
}

// Two cases rendering the same files record them once; the second case's
// tree holds only its manifest, which refers to the first's files by hash.
// A change of output then edits the one stored copy in place, and
// Materialize gives every case its whole tree back.
func TestCoincidingCasesShareOneTree(t *testing.T) {
	t.Parallel()
	_, goldens := fixture(t)
	other := filepath.Join(goldens, "hello", "same")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(other, "case.yaml"), "component: hello\n")
	write(t, filepath.Join(other, "answers.yaml"), "greeting: hi\n# the same answers, another case\n")

	for _, r := range runAll(t, goldens, true) {
		if r.Status != goldentest.Updated {
			t.Fatalf("record %s: %+v", r.Case, r)
		}
	}
	first, second := filepath.Join(goldens, "hello", "defaults", "tree"), filepath.Join(other, "tree")
	if got := strings.Join(treeFiles(t, first), ","); got != ".secgen.yaml,hello.yaml,run.sh" {
		t.Errorf("hello/defaults records %s", got)
	}
	if got := strings.Join(treeFiles(t, second), ","); got != ".secgen.yaml" {
		t.Errorf("hello/same records %s, want only its manifest", got)
	}
	for _, r := range runAll(t, goldens, false) {
		if r.Status != goldentest.Pass {
			t.Fatalf("after recording, %s: %+v", r.Case, r)
		}
	}

	// The output of both cases changes: the stored copy is edited where it
	// is, the second case's tree still holds only its manifest.
	for _, dir := range []string{filepath.Dir(first), other} {
		write(t, filepath.Join(dir, "answers.yaml"), "greeting: ho\n")
	}
	for _, r := range runAll(t, goldens, false) {
		if r.Status != goldentest.Fail {
			t.Fatalf("changed output, %s: %+v", r.Case, r)
		}
	}
	runAll(t, goldens, true)
	if got := strings.Join(treeFiles(t, second), ","); got != ".secgen.yaml" {
		t.Errorf("after the change hello/same records %s", got)
	}
	if b, _ := os.ReadFile(filepath.Join(first, "hello.yaml")); string(b) != "greeting: ho\n" {
		t.Errorf("hello/defaults/tree/hello.yaml = %q", b)
	}

	// A shared file whose stored copy changes makes the referring case
	// differ too: everything recorded is compared.
	write(t, filepath.Join(first, "hello.yaml"), "greeting: tampered\n")
	for _, r := range runAll(t, goldens, false) {
		if r.Status == goldentest.Pass {
			t.Errorf("%s passes against a tampered stored copy", r.Case)
		}
	}
	runAll(t, goldens, true)

	dst := t.TempDir()
	cases, err := goldentest.Materialize(context.Background(), goldens, dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if got := strings.Join(treeFiles(t, c.TreeDir()), ","); got != ".secgen.yaml,hello.yaml,run.sh" {
			t.Errorf("materialized %s holds %s", c.Name, got)
		}
		if info, err := os.Stat(filepath.Join(c.TreeDir(), "run.sh")); err != nil || info.Mode().Perm()&0o100 == 0 {
			t.Errorf("materialized %s/run.sh is not executable: %v", c.Name, err)
		}
		if _, err := os.Stat(filepath.Join(c.Dir, "answers.yaml")); err != nil {
			t.Error(err)
		}
	}
}
