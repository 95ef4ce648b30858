package catsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

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

// Directory snapshots: a directory catalog has no history of its own, so
// every version secgen reads is also stored in the cache under
// dir/<digest hex>, keyed by its content digest (which the manifest
// records). Opening the digest a project records re-renders exactly what
// secgen wrote, in any clone of the project and after `git gc`, for as long
// as this machine's cache keeps it. The snapshot uses the git snapshot's
// format with an empty commit object; its files are checked against the
// digest on every read.
const dirSnapDir = "dir"

// openDir reads a directory catalog: as it is, or (req.Digest) at the
// version with that digest.
func (o *Opener) openDir(ctx context.Context, req Request) (*Opened, error) {
	if req.Keyring != nil {
		return nil, failure.Invalidf("--keyring applies to git catalogs; a directory has no signatures")
	}
	cache, cerr := o.cacheDir()
	if req.Digest != "" && cerr == nil {
		if m, ok := readDirSnapshot(cache, req.Digest); ok {
			cat, err := load(ctx, m, "")
			if err != nil {
				return nil, err
			}
			return &Opened{Catalog: cat, Origin: Origin{Source: req.Spec.Display, Digest: req.Digest}}, nil
		}
	}
	m, err := readDir(ctx, req.Spec.URL)
	if err != nil {
		return nil, err
	}
	d, err := digestFS(m)
	if err != nil {
		return nil, err
	}
	if req.Digest != "" && d != req.Digest {
		return nil, failure.Invalidf("catalog directory %s no longer holds the version recorded (%s), and this machine's cache does not have it", req.Spec.Display, shortDigest(req.Digest))
	}
	cat, err := load(ctx, m, "")
	if err != nil {
		return nil, err
	}
	if cerr == nil {
		// Only a cache: a failure leaves the next open to the directory.
		_ = writeDirSnapshot(cache, d, m)
	}
	return &Opened{Catalog: cat, Origin: Origin{Source: req.Spec.Display, Digest: d}}, nil
}

// digestFS is the content digest of a catalog's files, computed as the
// built-in catalog's (builtin.Digest): so secgen's own repository read as a
// directory has the built-in catalog's digest.
func digestFS(m *memFS) (string, error) {
	h := sha256.New()
	for _, top := range catalogDirs {
		if _, ok := m.dirs[top]; !ok {
			continue
		}
		err := fs.WalkDir(m, top, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data := m.files[p]
			h.Write([]byte(p + "\x00" + strconv.Itoa(len(data)) + "\x00"))
			h.Write(data)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("digest the catalog: %w", err)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

func dirSnapPath(cache, digest string) (string, bool) {
	hexPart, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hexPart) != 64 || strings.Trim(hexPart, "0123456789abcdef") != "" {
		return "", false
	}
	return filepath.Join(cache, dirSnapDir, hexPart), true
}

// readDirSnapshot reads the cached snapshot of a directory catalog's
// version; ok is false when there is none, or it does not hash to digest.
func readDirSnapshot(cache, digest string) (*memFS, bool) {
	p, ok := dirSnapPath(cache, digest)
	if !ok {
		return nil, false
	}
	info, err := os.Lstat(p)
	if err != nil || !info.Mode().IsRegular() || info.Size() > MaxTotalSize+MaxFiles*64+1<<20 {
		return nil, false
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	sn, err := decodeSnapshot(data)
	if err != nil {
		return nil, false
	}
	if d, err := digestFS(sn.files); err != nil || d != digest {
		return nil, false
	}
	return sn.files, true
}

// writeDirSnapshot stores a directory catalog's version atomically.
func writeDirSnapshot(cache, digest string, m *memFS) error {
	p, ok := dirSnapPath(cache, digest)
	if !ok {
		return fmt.Errorf("bad digest %s", digest)
	}
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("store catalog snapshot: %w", err)
	}
	f, err := os.CreateTemp(dir, "tmp-")
	if err != nil {
		return fmt.Errorf("store catalog snapshot: %w", err)
	}
	_, werr := f.Write(encodeSnapshot(snap{commit: []byte{}, files: m}))
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("store catalog snapshot: %w", err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("store catalog snapshot: %w", err)
	}
	return nil
}
