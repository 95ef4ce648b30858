package catsource

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/secgen/secgen/generator/failure"
)

// Limits a catalog is held to, whatever its source.
const (
	MaxFiles     = 10000    // files under templates/ and blueprints/
	MaxTotalSize = 50 << 20 // bytes of those files together
	MaxFileSize  = 4 << 20  // bytes of one file
)

// The parts of a catalog repository secgen reads to load it; everything else
// (goldens, docs, code) is ignored.
var catalogDirs = []string{"templates", "blueprints"}

// proofDirs are the parts secgen lint and secgen test read: the catalog and
// its golden cases. The checks and breakages live under templates/.
var proofDirs = []string{"templates", "blueprints", "goldens"}

// lfsPointerPrefix starts every Git LFS pointer file. secgen never smudges
// one, and a template that is a pointer is refused rather than rendered.
var lfsPointerPrefix = []byte("version https://git-lfs.github.com/spec/v1\n")

// snapshot collects a catalog's files into memory while enforcing the
// limits and the path rules. It is filled by a directory walk or a git tree
// walk, then frozen into a memFS.
type snapshot struct {
	files map[string][]byte
	dirs  map[string]bool
	// exec marks the files git records as executable: a golden tree's
	// executable bit is part of what secgen test compares.
	exec  map[string]bool
	total int64
}

func newSnapshot() *snapshot {
	return &snapshot{files: map[string][]byte{}, dirs: map[string]bool{".": true}, exec: map[string]bool{}}
}

// checkName refuses a path element that could escape, alias or reach into
// git's own directory.
func checkName(dir, name string) error {
	p := path.Join(dir, name)
	switch {
	case name == "" || name == "." || name == "..":
		return failure.Invalidf("catalog path %s has an empty, . or .. element", failure.Quote(dir+"/"+name))
	case strings.ContainsAny(name, "/\\\x00"):
		return failure.Invalidf("catalog path %s has a slash, backslash or NUL in a name", failure.Quote(dir+"/"+name))
	case strings.EqualFold(name, ".git"):
		return failure.Invalidf("catalog path %s names a .git directory", failure.Quote(p))
	}
	return nil
}

// addDir records a directory.
func (s *snapshot) addDir(p string) {
	for p != "." && !s.dirs[p] {
		s.dirs[p] = true
		p = path.Dir(p)
	}
}

// reserve checks a file of size bytes against the limits before it is read.
func (s *snapshot) reserve(p string, size int64) error {
	if len(s.files) >= MaxFiles {
		return failure.Invalidf("the catalog has more than %d files; that is the limit", MaxFiles)
	}
	if size > MaxFileSize {
		return failure.Invalidf("catalog file %s is larger than the %d MiB limit", failure.Quote(p), MaxFileSize>>20)
	}
	if s.total+size > MaxTotalSize {
		return failure.Invalidf("the catalog's files add up to more than the %d MiB limit", MaxTotalSize>>20)
	}
	return nil
}

// addFile records a regular file whose size was reserved.
func (s *snapshot) addFile(p string, data []byte) error {
	if err := s.reserve(p, int64(len(data))); err != nil {
		return err
	}
	if bytes.HasPrefix(data, lfsPointerPrefix) {
		return failure.Invalidf("catalog file %s is a Git LFS pointer; secgen does not fetch LFS content, commit the file itself", failure.Quote(p))
	}
	s.total += int64(len(data))
	s.files[p] = data
	s.addDir(path.Dir(p))
	return nil
}

// addFrom reads file p from r, at most one byte over the per-file limit so
// that reserve refuses a file larger than announced, and adds it.
func (s *snapshot) addFrom(p string, r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	return s.addFile(p, data)
}

// fs freezes the snapshot.
func (s *snapshot) fs() *memFS {
	m := &memFS{files: s.files, exec: s.exec, dirs: map[string][]fs.DirEntry{}}
	for d := range s.dirs {
		m.dirs[d] = nil
	}
	for p := range s.files {
		d := path.Dir(p)
		m.dirs[d] = append(m.dirs[d], memEntry{name: path.Base(p), size: int64(len(s.files[p])), exec: s.exec[p]})
	}
	for d := range s.dirs {
		if d != "." {
			parent := path.Dir(d)
			m.dirs[parent] = append(m.dirs[parent], memEntry{name: path.Base(d), dir: true})
		}
	}
	for d := range m.dirs {
		slices.SortFunc(m.dirs[d], func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	}
	return m
}

// memFS is a read-only in-memory file system of regular files and
// directories; it holds no links.
type memFS struct {
	files map[string][]byte
	exec  map[string]bool
	dirs  map[string][]fs.DirEntry
}

func (m *memFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if data, ok := m.files[name]; ok {
		return &memFile{entry: memEntry{name: path.Base(name), size: int64(len(data)), exec: m.exec[name]}, r: bytes.NewReader(data)}, nil
	}
	if entries, ok := m.dirs[name]; ok {
		return &memDir{entry: memEntry{name: path.Base(name), dir: true}, entries: entries}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// ReadFile returns a copy of a file's content.
func (m *memFS) ReadFile(name string) ([]byte, error) {
	if data, ok := m.files[name]; ok {
		return slices.Clone(data), nil
	}
	return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
}

// ReadDir lists a directory, sorted by name.
func (m *memFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if entries, ok := m.dirs[name]; ok {
		return slices.Clone(entries), nil
	}
	return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
}

// sub returns the subtree at dir (which may be empty).
func (m *memFS) sub(dir string) fs.FS {
	if _, ok := m.dirs[dir]; !ok {
		return &memFS{files: map[string][]byte{}, dirs: map[string][]fs.DirEntry{".": nil}}
	}
	f, _ := fs.Sub(m, dir)
	return f
}

type memEntry struct {
	name string
	size int64
	dir  bool
	exec bool
}

func (e memEntry) Name() string               { return e.name }
func (e memEntry) IsDir() bool                { return e.dir }
func (e memEntry) Type() fs.FileMode          { return e.Mode().Type() }
func (e memEntry) Info() (fs.FileInfo, error) { return e, nil }
func (e memEntry) Size() int64                { return e.size }
func (e memEntry) ModTime() time.Time         { return time.Time{} }
func (e memEntry) Sys() any                   { return nil }
func (e memEntry) Mode() fs.FileMode {
	if e.dir {
		return fs.ModeDir | 0o555
	}
	if e.exec {
		return 0o555
	}
	return 0o444
}

type memFile struct {
	entry memEntry
	r     *bytes.Reader
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.entry, nil }
func (f *memFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *memFile) Close() error               { return nil }

type memDir struct {
	entry   memEntry
	entries []fs.DirEntry
	off     int
}

func (d *memDir) Stat() (fs.FileInfo, error) { return d.entry, nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.entry.name, Err: fs.ErrInvalid}
}
func (d *memDir) Close() error { return nil }

func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return slices.Clone(rest), nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return slices.Clone(rest[:n]), nil
}
