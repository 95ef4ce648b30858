package writer

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/plan"
)

// tree reads every regular file under dir (relative slash paths), and
// fails on anything else but directories.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var (
	oldTree = map[string]string{
		".secgen.yaml":  "old manifest\n",
		"keep.txt":      "untouched\n",
		"a.txt":         "old a\n",
		"gone/b.txt":    "old b\n",
		"user-notes.md": "mine\n",
	}
	newTree = map[string]string{
		".secgen.yaml":  "new manifest\n",
		"keep.txt":      "untouched\n",
		"a.txt":         "new a\n",
		"deep/er/c.txt": "new c\n",
		"d.txt":         "new d\n",
		"user-notes.md": "mine\n",
	}
)

func testChanges() []Change {
	return []Change{
		{Path: "a.txt", Mode: plan.ModeFile, Content: []byte("new a\n"), Expect: sum([]byte("old a\n"))},
		{Path: "deep/er/c.txt", Mode: plan.ModeFile, Content: []byte("new c\n")},
		{Path: "d.txt", Mode: plan.ModeExecutable, Content: []byte("new d\n")},
		{Path: "gone/b.txt", Remove: true, Expect: sum([]byte("old b\n"))},
	}
}

func TestApply(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, oldTree)
	err := Apply(context.Background(), dir, testChanges(), []byte("new manifest\n"), ApplyOptions{ManifestPath: ".secgen.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(newTree, tree(t, dir)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	for p, want := range map[string]os.FileMode{"a.txt": 0o644, "d.txt": 0o755, "deep/er/c.txt": 0o644} {
		info, err := os.Stat(filepath.Join(dir, p))
		if err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v), want %v", p, info.Mode().Perm(), err, want)
		}
	}
	for _, p := range []string{"gone", ".secgen"} {
		if _, err := os.Lstat(filepath.Join(dir, p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s should be gone: %v", p, err)
		}
	}
}

// TestApplyKilledAtEveryStep stops Apply after each possible step, as a
// kill would, and checks that every file is wholly old or wholly new, that
// the manifest is old until the very last step, and that Recover then
// reaches exactly the uninterrupted result.
func TestApplyKilledAtEveryStep(t *testing.T) {
	for n := 1; ; n++ {
		dir := t.TempDir()
		writeTree(t, dir, oldTree)
		err := Apply(context.Background(), dir, testChanges(), []byte("new manifest\n"), ApplyOptions{ManifestPath: ".secgen.yaml", FailAfter: n})
		if err == nil {
			if n < 8 {
				t.Fatalf("Apply finished after only %d steps; the test covers too little", n)
			}
			if diff := cmp.Diff(newTree, tree(t, dir)); diff != "" {
				t.Errorf("complete run (-want +got):\n%s", diff)
			}
			return
		}
		if !errors.Is(err, ErrInjected) {
			t.Fatalf("step %d: %v", n, err)
		}
		got := tree(t, dir)
		for p, c := range got {
			if strings.HasPrefix(p, TxnDir+"/") {
				continue
			}
			if c != oldTree[p] && c != newTree[p] {
				t.Errorf("step %d: %s is neither old nor new: %q", n, p, c)
			}
		}
		for p := range oldTree {
			if _, ok := got[p]; !ok && newTree[p] == oldTree[p] {
				t.Errorf("step %d: %s vanished", n, p)
			}
		}
		if got[".secgen.yaml"] != "old manifest\n" {
			t.Errorf("step %d: manifest is new before the files are", n)
		}
		rec, err := Recover(dir)
		if err != nil {
			t.Fatalf("step %d: recover: %v", n, err)
		}
		want := newTree
		if !rec.RolledForward {
			want = oldTree // killed before the commit: nothing happened
		}
		if diff := cmp.Diff(want, tree(t, dir)); diff != "" {
			t.Errorf("step %d: after recovery (-want +got):\n%s", n, diff)
		}
		if _, err := os.Lstat(filepath.Join(dir, ".secgen")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("step %d: .secgen left behind: %v", n, err)
		}
	}
}

// A recovery never overwrites a file the user edited after the kill.
func TestRecoverKeepsLaterEdits(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, oldTree)
	// 3 staged writes, the staged manifest and the journal commit: killed right
	// after the commit, before any rename.
	err := Apply(context.Background(), dir, testChanges(), []byte("new manifest\n"), ApplyOptions{ManifestPath: ".secgen.yaml", FailAfter: 5})
	if !errors.Is(err, ErrInjected) {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, TxnDir, journalName)); err != nil {
		t.Fatalf("the journal should be committed: %v", err)
	}
	writeTree(t, dir, map[string]string{"a.txt": "edited meanwhile\n"})
	rec, err := Recover(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.RolledForward || len(rec.Kept) != 1 || rec.Kept[0] != "a.txt" {
		t.Errorf("Recovered = %+v", rec)
	}
	got := tree(t, dir)
	if got["a.txt"] != "edited meanwhile\n" || got["a.txt.secgen-new"] != "new a\n" {
		t.Errorf("a.txt = %q, a.txt.secgen-new = %q", got["a.txt"], got["a.txt.secgen-new"])
	}
}

func TestApplyRefusesAStaleExpectation(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, oldTree)
	changes := testChanges()
	changes[0].Expect = sum([]byte("what the plan saw\n"))
	err := Apply(context.Background(), dir, changes, []byte("new manifest\n"), ApplyOptions{ManifestPath: ".secgen.yaml"})
	if err == nil || !strings.Contains(err.Error(), "changed while secgen was working") {
		t.Fatalf("Apply: %v", err)
	}
	if diff := cmp.Diff(oldTree, tree(t, dir)); diff != "" {
		t.Errorf("the project changed (-want +got):\n%s", diff)
	}
}

func TestApplyRefusesBadTargets(t *testing.T) {
	for name, c := range map[string]Change{
		"escaping path": {Path: "../x", Mode: plan.ModeFile},
		"a directory":   {Path: "gone", Mode: plan.ModeFile},
		"a symlink":     {Path: "link", Mode: plan.ModeFile},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, oldTree)
			if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			err := Apply(context.Background(), dir, []Change{c}, []byte("m\n"), ApplyOptions{ManifestPath: ".secgen.yaml"})
			if !failure.IsInvalidInput(err) {
				t.Fatalf("Apply: %v, want invalid input", err)
			}
			if got := tree(t, dir); got[".secgen.yaml"] != "old manifest\n" {
				t.Errorf("manifest changed")
			}
		})
	}
}

// A corrupt journal is reported, never guessed at.
func TestRecoverRefusesACorruptJournal(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{TxnDir + "/" + journalName: `{"entries":[{"path":"../../x","staged":"0"}],"manifest":".secgen.yaml"}`})
	if _, err := Recover(dir); err == nil || !strings.Contains(err.Error(), "bad path") {
		t.Fatalf("Recover: %v", err)
	}
}

// A file where a directory must go is refused before anything is staged.
func TestApplyRefusesAFileInTheWayOfADirectory(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, oldTree)
	writeTree(t, dir, map[string]string{"deep": "a file, not a directory\n"})
	before := tree(t, dir)
	err := Apply(context.Background(), dir, testChanges(), []byte("new manifest\n"), ApplyOptions{ManifestPath: ".secgen.yaml"})
	if !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "is not a directory") {
		t.Fatalf("Apply: %v", err)
	}
	if diff := cmp.Diff(before, tree(t, dir)); diff != "" {
		t.Errorf("the project changed (-want +got):\n%s", diff)
	}
	if _, err := os.Lstat(filepath.Join(dir, ".secgen")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf(".secgen left behind: %v", err)
	}
}

// A file moved into place before a kill and then reverted by the user (git
// checkout -- . after an interrupted update) holds again what the journal
// expected before the change: when its change keeps a copy (a merged file),
// the recovery applies it again, whatever the step, so the project
// converges to the finished change; without one (a replaced file, which
// update's re-apply rule recognises), it is left as reverted and nothing
// is staged twice. A file edited to anything else after it was placed is
// the user's and left alone.
func TestRecoverReappliesARevert(t *testing.T) {
	for _, keep := range []bool{true, false} {
		changes := testChanges()
		changes[0].KeepCopy = keep // a.txt
		for n := 1; ; n++ {
			if done := revertAt(t, changes, n, keep); done {
				break
			}
		}
	}
}

// revertAt stops Apply after n steps, reverts, recovers and checks the
// result; it reports whether Apply finished without being stopped.
func revertAt(t *testing.T, changes []Change, n int, keep bool) bool {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, oldTree)
	err := Apply(context.Background(), dir, changes, []byte("new manifest\n"), ApplyOptions{ManifestPath: ".secgen.yaml", FailAfter: n})
	if err == nil {
		return true
	}
	if !errors.Is(err, ErrInjected) {
		t.Fatalf("step %d: %v", n, err)
	}
	committed := false
	if _, err := os.Stat(filepath.Join(dir, TxnDir, journalName)); err == nil {
		committed = true
	}
	copies, _ := filepath.Glob(filepath.Join(dir, TxnDir, "*"+appliedSuffix))
	if want := 1 + btoi(keep); committed && len(copies) != want {
		t.Errorf("step %d: %d copies staged (%v), want %d", n, len(copies), copies, want)
	}
	// The user restores every file the change touched, the manifest
	// too, and edits d.txt if it was placed already.
	restore := map[string]string{}
	for p, c := range oldTree {
		if p != "keep.txt" && p != "user-notes.md" {
			restore[p] = c
		}
	}
	placed := tree(t, dir)["a.txt"] == "new a\n"
	writeTree(t, dir, restore)
	edited := tree(t, dir)["d.txt"] == "new d\n"
	if edited {
		writeTree(t, dir, map[string]string{"d.txt": "mine now\n"})
	}
	rec, err := Recover(dir)
	if err != nil {
		t.Fatalf("step %d: %v", n, err)
	}
	if !committed {
		return false // nothing had happened; the restore changed nothing
	}
	want := maps.Clone(newTree)
	if edited {
		want["d.txt"] = "mine now\n"
	}
	if placed && !keep {
		want["a.txt"] = "old a\n" // reverted, and no copy to re-apply
	}
	if diff := cmp.Diff(want, tree(t, dir)); diff != "" {
		t.Errorf("step %d (copy %v): after the revert and the recovery (-want +got):\n%s", n, keep, diff)
	}
	if len(rec.Kept) != 0 {
		t.Errorf("step %d: kept %v", n, rec.Kept)
	}
	return false
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
