package engine

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// projectFiles reads what readProjectFileInfo reads, path by path, however
// the directories on the way are (absent, a file, a link, a directory).
func TestProjectFilesReadsAsWholePathsDo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for p, content := range map[string]string{"top": "t", "a/b/c": "abc", "a/d": "ad", "file/x": ""} {
		if p == "file/x" {
			if err := os.WriteFile(filepath.Join(dir, "file"), []byte("a file where a directory would be"), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, to := range map[string]string{"a/link": "d", "linkdir": "a/b", "out": "../../etc"} {
		if err := os.Symlink(to, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "a", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	files := newProjectFiles(r)
	defer files.close()
	paths := []string{"top", "a/b/c", "a/d", "a/b/c", "a/link", "a/sub", "a/missing", "missing/x", "file/x", "linkdir/c", "out/passwd", "a/d"}
	for _, p := range paths {
		wantB, wantInfo, wantErr := readProjectFileInfo(r, p)
		b, info, err := files.read(p)
		if !bytes.Equal(b, wantB) || (b == nil) != (wantB == nil) || (info == nil) != (wantInfo == nil) ||
			(err == nil) != (wantErr == nil) || errors.Is(err, errNotRegular) != errors.Is(wantErr, errNotRegular) {
			t.Errorf("read(%s) = %q, %v, %v; readProjectFileInfo = %q, %v, %v", p, b, info, err, wantB, wantInfo, wantErr)
		}
	}
	if b, _, err := files.read("a/d"); err != nil || string(b) != "ad" {
		t.Errorf("read(a/d) = %q, %v", b, err)
	}
}
