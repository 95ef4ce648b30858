package writer

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lock"
	"github.com/secgen/secgen/generator/plan"
)

func testPlan(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := plan.New([]plan.File{
		{Path: "a/b/c.txt", Mode: plan.ModeFile, Content: []byte("c")},
		{Path: "run.sh", Mode: plan.ModeExecutable, Content: []byte("#!/bin/sh\n")},
		{Path: ".hidden", Mode: plan.ModeFile, Content: []byte("h")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCreateWritesExactModesWhateverTheUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	target := filepath.Join(t.TempDir(), "proj")
	if err := Create(context.Background(), target, testPlan(t), Options{}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{"": 0o755, "a": 0o755, "a/b": 0o755, "a/b/c.txt": 0o644, "run.sh": 0o755, ".hidden": 0o644} {
		info, err := os.Stat(filepath.Join(target, path))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != want {
			t.Errorf("%q mode = %v, want %v", path, info.Mode().Perm(), want)
		}
	}
	assertNoStaging(t, filepath.Dir(target))
}

func TestCreateIntoEmptyDirectory(t *testing.T) {
	target := t.TempDir()
	if err := Create(context.Background(), target, testPlan(t), Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(target, "run.sh")); err != nil {
		t.Fatal(err)
	}
}

func TestCreateRefusals(t *testing.T) {
	dir := t.TempDir()
	nonEmpty := filepath.Join(dir, "full")
	must(t, os.Mkdir(nonEmpty, 0o755))
	must(t, os.WriteFile(filepath.Join(nonEmpty, "keep"), []byte("mine"), 0o644))
	link := filepath.Join(dir, "link")
	must(t, os.Symlink(t.TempDir(), link))
	file := filepath.Join(dir, "file")
	must(t, os.WriteFile(file, []byte("x"), 0o644))
	for name, target := range map[string]string{
		"non-empty": nonEmpty, "symlink": link, "file": file, "no parent": filepath.Join(dir, "missing", "x"),
	} {
		err := Create(context.Background(), target, testPlan(t), Options{})
		if !failure.IsInvalidInput(err) {
			t.Errorf("%s: err = %v, want invalid input", name, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(nonEmpty, "keep"))
	if err != nil || string(data) != "mine" {
		t.Fatal("the user's file changed")
	}
	assertNoStaging(t, dir)
}

func TestFailureLeavesNothing(t *testing.T) {
	for _, opt := range []Options{
		{FailAfter: 1},
		{FailAfter: 2},
		{Finish: func(context.Context, string) error { return errors.New("finish failed") }},
	} {
		dir := t.TempDir()
		target := filepath.Join(dir, "proj")
		if err := Create(context.Background(), target, testPlan(t), opt); err == nil {
			t.Fatal("Create succeeded despite the injected failure")
		}
		if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("target exists after a failure: %v", err)
		}
		assertNoStaging(t, dir)
	}
}

func TestCancelledContextLeavesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	if err := Create(ctx, filepath.Join(dir, "p"), testPlan(t), Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	assertNoStaging(t, dir)
}

func TestWriteTreeNeverFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	must(t, os.Symlink(outside, filepath.Join(dir, "a")))
	err := WriteTree(context.Background(), dir, []plan.File{{Path: "a/x", Mode: plan.ModeFile, Content: []byte("x")}}, 0)
	if err == nil {
		t.Fatal("wrote through a symbolic link")
	}
	if _, err := os.Stat(filepath.Join(outside, "x")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file appeared outside the root")
	}
	if err := WriteTree(context.Background(), dir, []plan.File{{Path: "../x", Mode: plan.ModeFile}}, 0); !failure.IsInvalidInput(err) {
		t.Fatalf("escaping path: err = %v", err)
	}
}

func TestWriteTreeNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "f"), []byte("mine"), 0o644))
	if err := WriteTree(context.Background(), dir, []plan.File{{Path: "f", Mode: plan.ModeFile, Content: []byte("new")}}, 0); err == nil {
		t.Fatal("overwrote an existing file")
	}
}

func assertNoStaging(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".secgen-stage-") {
			t.Errorf("staging directory %s left behind", e.Name())
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A stage left by a killed `new` is recognised by its name and its lock
// file, and removed only when no live run holds that lock.
func TestSweepStagesRemovesOnlyStaleStagesOfSecgen(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, lockPID string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Join(p, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "sub", "f"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if lockPID != "" {
			if err := os.WriteFile(p+".lock", []byte(lockPID+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	stale := mk(".demo.secgen-stage-123", "4194303") // the killed run holds no flock
	unmarked := mk(".demo.secgen-stage-456", "")
	other := mk(".demo.other-789", "4194303")
	live := mk(".demo.secgen-stage-999", "")
	l, err := lock.Acquire(live + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if err := os.Symlink(stale+"-target", filepath.Join(dir, ".x.secgen-stage-1")); err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(dir, ".y.secgen-stage-2.lock")
	if err := os.WriteFile(orphan, []byte("4194303\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	removed, err := SweepStages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != filepath.Base(stale) {
		t.Errorf("removed %v", removed)
	}
	for _, p := range []string{stale, stale + ".lock", orphan} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there", p)
		}
	}
	for _, p := range []string{unmarked, other, live, live + ".lock", filepath.Join(dir, ".x.secgen-stage-1")} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
}
