// Package plan holds the in-memory result of rendering: every file secgen
// would write, with its path, mode, bytes and owning component. A plan is
// pure data; writing it is the writer's job.
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/secgen/secgen/generator/failure"
)

// File modes secgen writes: regular files and executables. Directories are 0755.
const (
	ModeFile       fs.FileMode = 0o644
	ModeExecutable fs.FileMode = 0o755
	ModeDir        fs.FileMode = 0o755
)

// File is one file of a plan.
type File struct {
	Path      string      // slash-separated, relative to the project root, checked by CheckPath
	Mode      fs.FileMode // ModeFile or ModeExecutable
	Content   []byte
	Component string // the component that renders it ("secgen" for the manifest)
	// Source identifies the template that rendered it, whatever the path
	// renders to: "component/source path" (plus the item, for a foreach
	// rule). update follows a file whose path changed through it.
	Source string
}

// SHA256 returns the hex SHA-256 of the file's content.
func (f File) SHA256() string {
	sum := sha256.Sum256(f.Content)
	return hex.EncodeToString(sum[:])
}

// Plan is a set of files, sorted by path, with no two files at one path and
// no file at a path that another file needs as a directory.
type Plan struct {
	Files []File
}

// New sorts files and checks every path, duplicates and file/directory
// clashes. Its errors are invalid input: they come from catalog templates.
func New(files []File) (*Plan, error) {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	owner := make(map[string]string, len(sorted))
	for _, f := range sorted {
		if err := CheckPath(f.Path); err != nil {
			return nil, failure.Invalidf("component %s renders a bad path %s: %w", f.Component, failure.Quote(f.Path), err)
		}
		if f.Mode != ModeFile && f.Mode != ModeExecutable {
			return nil, fmt.Errorf("file %s has mode %v; only 0644 and 0755 are written", f.Path, f.Mode)
		}
		if prev, dup := owner[f.Path]; dup {
			return nil, failure.Invalidf("components %s and %s both render %s", prev, f.Component, failure.Quote(f.Path))
		}
		owner[f.Path] = f.Component
	}
	for _, f := range sorted {
		for dir := path.Dir(f.Path); dir != "."; dir = path.Dir(dir) {
			if other, clash := owner[dir]; clash {
				return nil, failure.Invalidf("component %s renders %s, but component %s renders a file at its directory %s", f.Component, failure.Quote(f.Path), other, failure.Quote(dir))
			}
		}
	}
	return &Plan{Files: sorted}, nil
}

// Size is the total number of content bytes in the plan.
func (p *Plan) Size() int {
	n := 0
	for _, f := range p.Files {
		n += len(f.Content)
	}
	return n
}

// MaxPathLength bounds a rendered path.
const MaxPathLength = 1024

// CheckPath accepts only clean, relative, slash-separated paths that stay
// inside the project: no "..", no absolute paths, no NUL, no backslashes, no
// empty or "." segments, no control characters and no ".git" segment.
func CheckPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("path is empty")
	case len(p) > MaxPathLength:
		return fmt.Errorf("path is longer than %d bytes", MaxPathLength)
	case !utf8.ValidString(p):
		return fmt.Errorf("path is not valid UTF-8")
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("path contains a NUL byte")
	case strings.ContainsRune(p, '\\'):
		return fmt.Errorf("path contains a backslash")
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("path is absolute")
	case len(p) >= 2 && p[1] == ':':
		return fmt.Errorf("path has a drive letter")
	case path.Clean(p) != p:
		return fmt.Errorf("path is not clean")
	}
	for _, r := range p {
		if unicode.IsControl(r) {
			return fmt.Errorf("path contains a control character")
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if err := checkSegment(seg); err != nil {
			return err
		}
	}
	return nil
}

// CheckSegment accepts one segment of a path as CheckPath does: it may not be
// empty, "." or "..", ".git", or hold a slash, backslash, NUL, control
// character or leading or trailing spaces.
func CheckSegment(seg string) error {
	if strings.ContainsAny(seg, "/\\") {
		return fmt.Errorf("%q holds a path separator", seg)
	}
	return CheckPath(seg)
}

func checkSegment(seg string) error {
	switch seg {
	case "", ".", "..":
		return fmt.Errorf("path has a %q segment", seg)
	case ".git":
		return fmt.Errorf("path writes into .git")
	}
	if strings.TrimSpace(seg) != seg {
		return fmt.Errorf("path segment %q has leading or trailing spaces", seg)
	}
	return nil
}
