package engine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
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
	info, err := r.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("inspect %s: %w", p, err)
	}
	if !info.Mode().IsRegular() {
		return nil, info, errNotRegular
	}
	f, err := r.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
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
