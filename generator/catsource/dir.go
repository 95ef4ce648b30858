package catsource

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	"github.com/secgen/secgen/generator/failure"
)

// readDir reads the catalog parts of a local directory through os.Root:
// a symbolic link or any non-regular file is refused, never followed.
func readDir(ctx context.Context, dir string) (*memFS, error) {
	info, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, failure.Invalidf("catalog directory %s does not exist", failure.Quote(dir))
	case err != nil:
		return nil, fmt.Errorf("inspect catalog directory: %w", err)
	case !info.IsDir():
		return nil, failure.Invalidf("catalog source %s is not a directory", failure.Quote(dir))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open catalog directory: %w", err)
	}
	defer root.Close()
	s := newSnapshot()
	for _, top := range catalogDirs {
		info, err := root.Lstat(top)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", top, err)
		}
		if !info.IsDir() {
			return nil, failure.Invalidf("catalog path %s is not a directory", top)
		}
		if err := walkRoot(ctx, root, top, s); err != nil {
			return nil, err
		}
	}
	return s.fs(), nil
}

func walkRoot(ctx context.Context, root *os.Root, dir string, s *snapshot) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.addDir(dir)
	f, err := root.Open(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	for _, e := range entries {
		if err := checkName(dir, e.Name()); err != nil {
			return err
		}
		p := path.Join(dir, e.Name())
		switch t := e.Type(); {
		case t&fs.ModeSymlink != 0:
			return failure.Invalidf("catalog path %s is a symbolic link, which a catalog may not contain", failure.Quote(p))
		case t.IsDir():
			if err := walkRoot(ctx, root, p, s); err != nil {
				return err
			}
		case !t.IsRegular():
			return failure.Invalidf("catalog path %s is not a regular file", failure.Quote(p))
		default:
			if err := readRootFile(root, p, s); err != nil {
				return err
			}
		}
	}
	return nil
}

func readRootFile(root *os.Root, p string, s *snapshot) error {
	info, err := root.Lstat(p)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", p, err)
	}
	if !info.Mode().IsRegular() {
		return failure.Invalidf("catalog path %s is not a regular file", failure.Quote(p))
	}
	if err := s.reserve(p, info.Size()); err != nil {
		return err
	}
	f, err := root.Open(p)
	if err != nil {
		return fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	return s.addFrom(p, f)
}
