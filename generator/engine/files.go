package engine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"

	"github.com/secgen/secgen/generator/plan"
	"github.com/secgen/secgen/generator/render"
)

// readProjectFile reads a file of the project: nil when absent; an error
// when something other than a regular file is there.
func readProjectFile(r *os.Root, p string) ([]byte, error) {
	b, _, err := readProjectFileInfo(r, p)
	return b, err
}

// readProjectFileInfo is readProjectFile that also returns what Lstat said
// (nil when absent).
func readProjectFileInfo(r *os.Root, p string) ([]byte, fs.FileInfo, error) {
	return readInDir(r, p, p)
}

// projectFiles reads many files of a project, opening each directory once:
// os.Root resolves a path one component at a time, opening every directory
// on the way, for every call. A directory is resolved from the project's
// root exactly as a whole path would be, then its files by name.
type projectFiles struct {
	root *os.Root
	dirs map[string]dirResult
}

// dirResult is a directory as opened, or nil when it could not be (absent,
// not a directory, a link out of the project): its files are then read by
// their whole paths, which fail or not as such paths do.
type dirResult struct {
	r *os.Root
}

func newProjectFiles(root *os.Root) *projectFiles {
	return &projectFiles{root: root, dirs: map[string]dirResult{".": {r: root}}}
}

// read is readProjectFileInfo(root, p).
func (f *projectFiles) read(p string) ([]byte, fs.FileInfo, error) {
	d, ok := f.dirs[path.Dir(p)]
	if !ok {
		r, err := f.root.OpenRoot(path.Dir(p))
		if err != nil {
			r = nil
		}
		d = dirResult{r: r}
		f.dirs[path.Dir(p)] = d
	}
	if d.r == nil {
		return readProjectFileInfo(f.root, p)
	}
	return readInDir(d.r, path.Base(p), p)
}

// close closes the directories read opened (not the project's root); a
// later read opens them again.
func (f *projectFiles) close() {
	for dir, d := range f.dirs {
		if dir != "." && d.r != nil {
			_ = d.r.Close()
		}
	}
	f.dirs = map[string]dirResult{".": {r: f.root}}
}

// readInDir is readProjectFileInfo of name in r, the file p of the project.
func readInDir(r *os.Root, name, p string) ([]byte, fs.FileInfo, error) {
	info, err := r.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("inspect %s: %w", p, err)
	}
	if !info.Mode().IsRegular() {
		return nil, info, errNotRegular
	}
	f, err := r.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	b := make([]byte, 0, info.Size()+1)
	b, err = readAllInto(b, io.LimitReader(f, render.MaxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, info, nil
}

// readAllInto reads r to its end into b.
func readAllInto(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

var errNotRegular = errors.New("not a regular file")

// isNotDir is true when a path cannot exist because one of its parents is
// a file.
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// expectOf is the writer's expectation for content read by readProjectFile.
func expectOf(old []byte) string {
	if old == nil {
		return ""
	}
	return plan.File{Content: old}.SHA256()
}
