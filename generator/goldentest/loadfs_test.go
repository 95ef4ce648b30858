package goldentest_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/secgen/secgen/generator/goldentest"
)

// TestLoadFSMatchesDisk: the cases of a goldens directory read from an
// fs.FS (a git catalog's snapshot) compare exactly as the same cases on
// disk, executable bit included; they are read-only, and a symbolic link
// or a misnamed case is refused.
func TestLoadFSMatchesDisk(t *testing.T) {
	cat, goldens := fixture(t)
	if r := runOne(t, cat, goldens, true); r.Status != goldentest.Updated {
		t.Fatalf("record: %+v", r)
	}
	mem := fstest.MapFS{}
	err := filepath.WalkDir(goldens, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		rel, _ := filepath.Rel(goldens, p)
		mem[filepath.ToSlash(rel)] = &fstest.MapFile{Data: data, Mode: info.Mode().Perm()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cases, err := goldentest.LoadFS(ctx, mem, "git/goldens")
	if err != nil {
		t.Fatal(err)
	}
	if r := goldentest.Run(ctx, cat, cases, goldentest.Options{})[0]; r.Status != goldentest.Pass {
		t.Fatalf("from the FS: %+v", r)
	}
	// The executable bit is compared: run.sh recorded as a plain file differs.
	mem["hello/defaults/tree/run.sh"].Mode = 0o644
	if r := goldentest.Run(ctx, cat, cases, goldentest.Options{})[0]; r.Status != goldentest.Fail || r.Differences[0].Kind != goldentest.Mode {
		t.Fatalf("mode change: %+v", r)
	}
	mem["hello/defaults/tree/hello.yaml"].Data = []byte("greeting: bye\n")
	if r := goldentest.Run(ctx, cat, cases, goldentest.Options{Update: true})[0]; r.Status != goldentest.Error || !strings.Contains(r.Err.Error(), "read-only") {
		t.Fatalf("re-recording a read-only case: %+v", r)
	}
	mem["hello/link"] = &fstest.MapFile{Data: []byte("/etc"), Mode: fs.ModeSymlink}
	if _, err := goldentest.LoadFS(ctx, mem, "git/goldens"); err == nil || !strings.Contains(err.Error(), `"git/goldens/hello/link" is a symbolic link`) {
		t.Fatalf("symbolic link: %v", err)
	}
	delete(mem, "hello/link")
	mem["Bad Case/x/case.yaml"] = &fstest.MapFile{Data: []byte("component: hello\n")}
	if _, err := goldentest.LoadFS(ctx, mem, "git/goldens"); err == nil || !strings.Contains(err.Error(), "lower-case names") {
		t.Fatalf("misnamed entry: %v", err)
	}
	if _, err := goldentest.LoadFS(ctx, fstest.MapFS{}, "git/goldens"); err == nil || !strings.Contains(err.Error(), "holds no golden case") {
		t.Fatalf("no goldens: %v", err)
	}
}
