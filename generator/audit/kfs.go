package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// errReadOnly is what every write to a treeFS returns: a kustomize build
// never writes to the audited tree.
var errReadOnly = errors.New("the audited tree is read-only")

// treeFS is the filesystem kustomize builds in: exactly the audited tree's
// listed files and the excluded ones an overlay may need (never a symbolic
// link or anything outside the tree), rooted at "/", read-only, each file read at most once and at
// most MaxFileSize long, with a byte budget over all of them so a hostile
// kustomization cannot make the audit read without end.
type treeFS struct {
	root  fs.FS
	files map[string]bool // slash paths relative to the tree
	dirs  map[string]bool

	mu     sync.Mutex
	cache  map[string][]byte
	budget int64 // bytes still allowed to be read
}

// newTreeFS serves the listed files of root.
func newTreeFS(root fs.FS, files []string, budget int64) *treeFS {
	t := &treeFS{root: root, files: map[string]bool{}, dirs: map[string]bool{".": true}, cache: map[string][]byte{}, budget: budget}
	for _, p := range files {
		t.files[p] = true
		for d := path.Dir(p); !t.dirs[d]; d = path.Dir(d) {
			t.dirs[d] = true
		}
	}
	return t
}

// rel turns a kustomize path (absolute under "/", or relative to it) into a
// tree path; ok is false for a path outside the tree.
func (t *treeFS) rel(p string) (string, bool) {
	p = filepath.ToSlash(p)
	if !path.IsAbs(p) {
		p = "/" + p
	}
	p = path.Clean(p)
	if p == "/" {
		return ".", true
	}
	return strings.TrimPrefix(p, "/"), true
}

func (t *treeFS) read(p string) ([]byte, error) {
	r, _ := t.rel(p)
	t.mu.Lock()
	defer t.mu.Unlock()
	if data, ok := t.cache[r]; ok {
		return data, nil
	}
	if !t.files[r] {
		return nil, fmt.Errorf("%s: %w", r, fs.ErrNotExist)
	}
	data, reason := readFile(t.root, r)
	if reason != "" {
		return nil, fmt.Errorf("%s is not read: %s", r, reason)
	}
	t.budget -= int64(len(data))
	if t.budget < 0 {
		return nil, errBudget
	}
	t.cache[r] = data
	return data, nil
}

// errBudget says a build read more than its byte budget.
var errBudget = errors.New("the build reads more than its budget of bytes")

// Create implements filesys.FileSystem; the tree is read-only.
func (t *treeFS) Create(string) (filesys.File, error) { return nil, errReadOnly }

// Mkdir implements filesys.FileSystem; the tree is read-only.
func (t *treeFS) Mkdir(string) error { return errReadOnly }

// MkdirAll implements filesys.FileSystem; the tree is read-only.
func (t *treeFS) MkdirAll(string) error { return errReadOnly }

// RemoveAll implements filesys.FileSystem; the tree is read-only.
func (t *treeFS) RemoveAll(string) error { return errReadOnly }

// WriteFile implements filesys.FileSystem; the tree is read-only.
func (t *treeFS) WriteFile(string, []byte) error { return errReadOnly }

// buildFS is the tree as one kustomize build sees it: the shared treeFS
// (whose reads are cached across builds), its build root asking for
// origin annotations, and every read refused once ctx is done, so a build
// past its time stops at its next read.
type buildFS struct {
	*treeFS
	ctx  context.Context
	root string // the kustomization file being built
}

// errStopped says a build was stopped (its time is up, or the audit was
// cancelled).
var errStopped = errors.New("the build was stopped")

// serve is a file's content as kustomize reads it: a kustomization is
// served as kustomize's own fix writes it (its deprecated fields moved to
// their replacements, so kustomize prints no warning), the build root's
// asking for origin annotations.
func (b *buildFS) serve(p string) ([]byte, error) {
	if b.ctx.Err() != nil {
		return nil, errStopped
	}
	data, err := b.read(p)
	if b.ctx.Err() != nil {
		return nil, errStopped // what was read after the time was up is not used
	}
	if err != nil || !kustomizationNames[path.Base(p)] {
		return data, err
	}
	r, _ := b.rel(p)
	return fixedKustomization(b.treeFS, r, data, r == b.root)
}

// Open implements filesys.FileSystem: a read-only file.
func (b *buildFS) Open(p string) (filesys.File, error) {
	data, err := b.serve(p)
	if err != nil {
		return nil, err
	}
	r, _ := b.rel(p)
	return &treeFile{Reader: bytes.NewReader(data), info: treeInfo{name: path.Base(r), size: int64(len(data))}}, nil
}

// ReadFile implements filesys.FileSystem.
func (b *buildFS) ReadFile(p string) ([]byte, error) {
	data, err := b.serve(p)
	if err != nil {
		return nil, err
	}
	return slices.Clone(data), nil
}

// IsDir implements filesys.FileSystem.
func (t *treeFS) IsDir(p string) bool {
	r, _ := t.rel(p)
	return t.dirs[r]
}

// ReadDir implements filesys.FileSystem: the names of a directory's listed
// entries.
func (t *treeFS) ReadDir(p string) ([]string, error) {
	r, _ := t.rel(p)
	if !t.dirs[r] {
		return nil, fmt.Errorf("%s: %w", r, fs.ErrNotExist)
	}
	seen := map[string]bool{}
	for _, set := range []map[string]bool{t.files, t.dirs} {
		for q := range set {
			if q != "." && path.Dir(q) == r {
				seen[path.Base(q)] = true
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// CleanedAbs implements filesys.FileSystem.
func (t *treeFS) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	r, _ := t.rel(p)
	abs := path.Clean("/" + r)
	if t.dirs[r] {
		return filesys.ConfirmedDir(abs), "", nil
	}
	if t.files[r] {
		return filesys.ConfirmedDir(path.Dir(abs)), path.Base(abs), nil
	}
	return "", "", fmt.Errorf("%s: %w", r, fs.ErrNotExist)
}

// Exists implements filesys.FileSystem.
func (t *treeFS) Exists(p string) bool {
	r, _ := t.rel(p)
	return t.files[r] || t.dirs[r]
}

// Glob implements filesys.FileSystem over the listed files.
func (t *treeFS) Glob(pattern string) ([]string, error) {
	r, _ := t.rel(pattern)
	if _, err := path.Match(r, ""); err != nil {
		return nil, err
	}
	var out []string
	for _, set := range []map[string]bool{t.files, t.dirs} {
		for q := range set {
			if ok, _ := path.Match(r, q); ok {
				out = append(out, "/"+q)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// Open implements filesys.FileSystem: a read-only file, as read outside
// any build (no origin annotations asked for).
func (t *treeFS) Open(p string) (filesys.File, error) {
	return (&buildFS{treeFS: t, ctx: context.Background()}).Open(p)
}

// ReadFile implements filesys.FileSystem, as read outside any build.
func (t *treeFS) ReadFile(p string) ([]byte, error) {
	return (&buildFS{treeFS: t, ctx: context.Background()}).ReadFile(p)
}

// Walk implements filesys.FileSystem over the listed files, in lexical order.
func (t *treeFS) Walk(p string, walkFn filepath.WalkFunc) error {
	r, _ := t.rel(p)
	var all []string
	for _, set := range []map[string]bool{t.files, t.dirs} {
		for q := range set {
			if q == r || r == "." || strings.HasPrefix(q, r+"/") {
				all = append(all, q)
			}
		}
	}
	slices.Sort(all)
	for _, q := range all {
		info := treeInfo{name: path.Base(q), dir: t.dirs[q]}
		err := walkFn("/"+strings.TrimPrefix(q, "."), info, nil)
		if err != nil && !(errors.Is(err, filepath.SkipDir) && info.dir) {
			return err
		}
	}
	return nil
}

// treeFile is an open, read-only file of a treeFS.
type treeFile struct {
	*bytes.Reader
	info treeInfo
}

func (f *treeFile) Write([]byte) (int, error)  { return 0, errReadOnly }
func (f *treeFile) Close() error               { return nil }
func (f *treeFile) Stat() (os.FileInfo, error) { return f.info, nil }

// treeInfo describes a file or directory of a treeFS.
type treeInfo struct {
	name string
	size int64
	dir  bool
}

func (i treeInfo) Name() string { return i.name }
func (i treeInfo) Size() int64  { return i.size }
func (i treeInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i treeInfo) ModTime() time.Time { return time.Time{} }
func (i treeInfo) IsDir() bool        { return i.dir }
func (i treeInfo) Sys() any           { return nil }
