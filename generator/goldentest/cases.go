// Package goldentest is secgen's golden-file machinery, the one behind
// `secgen test` and secgen's own golden tests: it loads the golden cases of a
// catalog (goldens/<entry>/<case>/{case.yaml,answers.yaml,tree/}), renders
// each with the catalog, compares the result byte for byte and mode for mode
// with what the case records, and re-records trees on request. Each distinct
// output is recorded once: a tree holds its manifest and the files no other
// tree holds, and refers to the rest by the hashes its manifest records
// (Store). Materialize writes every case's whole tree for tools that need
// one on disk. It never prints.
package goldentest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lazyre"
)

// Version is the secgen version recorded in golden manifests, so a release
// does not change every golden.
const Version = "0.0.0-golden"

// TargetBase is the directory name every case renders into; question
// defaults that use targetName see it.
const TargetBase = "demo-service"

// maxCaseFile bounds case.yaml and answers.yaml.
const maxCaseFile = 1 << 20

// Spec is a golden case's case.yaml.
type Spec struct {
	// Blueprint or Component (exactly one) names what the case renders.
	Blueprint string `yaml:"blueprint"`
	Component string `yaml:"component"`
	// Add, with Blueprint, makes an add case: the blueprint is rendered
	// without the component (or, when nothing would be left, adopted with
	// init), then the component is added. The tree holds what add writes:
	// its files and the updated manifest.
	Add string `yaml:"add"`
	// Without, with Blueprint, leaves components of the blueprint out (as
	// `secgen new --without` does). It does not combine with Add.
	Without []string `yaml:"without"`
	// Adversarial cases carry hostile free text that must arrive as data.
	Adversarial bool `yaml:"adversarial"`
	// Carries lists the languages (go, yaml, markdown) in which an
	// adversarial case's description must be found as data.
	Carries []string `yaml:"carries"`
}

// Case is one golden case of a catalog.
type Case struct {
	// Name is "<entry>/<case>", slash-separated.
	Name string
	// Dir is the case directory on disk; for a case loaded with LoadFS,
	// its path inside the catalog.
	Dir  string
	Spec Spec
	// Answers is the content of answers.yaml.
	Answers []byte
	// fsys, for a case loaded with LoadFS, is the case directory: the
	// case is read-only and Dir is not on disk.
	fsys fs.FS
}

// TreeDir is where the case's expected tree lives.
func (c Case) TreeDir() string { return filepath.Join(c.Dir, "tree") }

// readTree reads the case's expected tree, from disk or from its fs.FS.
func (c Case) readTree() (map[string]TreeFile, error) {
	if c.fsys == nil {
		return ReadTree(c.TreeDir())
	}
	return ReadTreeFS(c.fsys, "tree")
}

var caseName = lazyre.New(`^[a-z0-9][a-z0-9._-]{0,99}$`)

// Load reads every case under goldensDir (goldens/<entry>/<case>/), sorted
// by name. Entries and cases are real directories (never symbolic links);
// case.yaml is decoded strictly. A directory without golden cases is an
// invalid-input error.
func Load(ctx context.Context, goldensDir string) ([]Case, error) {
	entries, err := readDirs(goldensDir)
	if err != nil {
		return nil, err
	}
	var out []Case
	for _, entry := range entries {
		dir := filepath.Join(goldensDir, entry)
		cases, err := readDirs(dir)
		if err != nil {
			return nil, err
		}
		for _, name := range cases {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			c, err := loadCase(filepath.Join(dir, name), entry+"/"+name)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, failure.Invalidf("%s holds no golden case (goldens/<entry>/<case>/case.yaml)", failure.Quote(goldensDir))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LoadFS reads every case of the goldens directory fsys (the goldens/ of a
// catalog read from git into memory) with Load's rules; where names it in
// errors. The cases are read-only: Record refuses them.
func LoadFS(ctx context.Context, fsys fs.FS, where string) ([]Case, error) {
	entries, err := readDirsFS(fsys, ".", where)
	if err != nil {
		return nil, err
	}
	var out []Case
	for _, entry := range entries {
		cases, err := readDirsFS(fsys, entry, where)
		if err != nil {
			return nil, err
		}
		for _, name := range cases {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			dir := entry + "/" + name
			sub, err := fs.Sub(fsys, dir)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", dir, err)
			}
			read := func(file string) ([]byte, error) { return readRegularFS(sub, file, where+"/"+dir+"/"+file) }
			c, err := decodeCase(dir, read)
			if err != nil {
				return nil, err
			}
			c.Dir, c.fsys = where+"/"+dir, sub
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, failure.Invalidf("%s holds no golden case (goldens/<entry>/<case>/case.yaml)", failure.Quote(where))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// readDirsFS is readDirs inside an fs.FS.
func readDirsFS(fsys fs.FS, dir, where string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) && dir == "." {
		return nil, failure.Invalidf("%s does not exist", failure.Quote(where))
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path.Join(where, dir), err)
	}
	var names []string
	for _, e := range entries {
		p := path.Join(where, dir, e.Name())
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			return nil, failure.Invalidf("%s is a symbolic link, which golden cases may not contain", failure.Quote(p))
		case !e.IsDir() || strings.HasPrefix(e.Name(), "."):
			continue
		case !caseName.MatchString(e.Name()):
			return nil, failure.Invalidf("%s: golden entry and case names are lower-case names", failure.Quote(p))
		}
		names = append(names, e.Name())
	}
	return names, nil
}

// readRegularFS is readRegular inside an fs.FS; shown is the file's name
// in errors.
func readRegularFS(fsys fs.FS, name, shown string) ([]byte, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, failure.Invalidf("%s is missing", failure.Quote(shown))
		}
		return nil, fmt.Errorf("inspect %s: %w", shown, err)
	}
	if !info.Mode().IsRegular() {
		return nil, failure.Invalidf("%s is not a regular file", failure.Quote(shown))
	}
	if info.Size() > maxCaseFile {
		return nil, failure.Invalidf("%s is larger than %d bytes", failure.Quote(shown), maxCaseFile)
	}
	return fs.ReadFile(fsys, name)
}

// readDirs returns the names of the sub-directories of dir, refusing
// symbolic links; plain files (such as Go test sources) and hidden
// directories are skipped.
func readDirs(dir string) ([]string, error) {
	info, err := os.Lstat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, failure.Invalidf("%s does not exist", failure.Quote(dir))
		}
		return nil, fmt.Errorf("inspect %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, failure.Invalidf("%s is not a directory", failure.Quote(dir))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			return nil, failure.Invalidf("%s is a symbolic link, which golden cases may not contain", failure.Quote(filepath.Join(dir, e.Name())))
		case !e.IsDir() || strings.HasPrefix(e.Name(), "."):
			continue // plain files (Go tests, notes) and hidden directories
		case !caseName.MatchString(e.Name()):
			return nil, failure.Invalidf("%s: golden entry and case names are lower-case names", failure.Quote(filepath.Join(dir, e.Name())))
		}
		names = append(names, e.Name())
	}
	return names, nil
}

func loadCase(dir, name string) (Case, error) {
	c, err := decodeCase(name, func(file string) ([]byte, error) { return readRegular(filepath.Join(dir, file)) })
	c.Dir = dir
	return c, err
}

// decodeCase reads case name's case.yaml and answers.yaml through read.
func decodeCase(name string, read func(file string) ([]byte, error)) (Case, error) {
	c := Case{Name: name}
	data, err := read("case.yaml")
	if err != nil {
		return c, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c.Spec); err != nil {
		return c, failure.Invalidf("%s/case.yaml: %w", name, err)
	}
	s := c.Spec
	if (s.Blueprint == "") == (s.Component == "") {
		return c, failure.Invalidf("%s/case.yaml: set exactly one of blueprint and component", name)
	}
	if len(s.Without) > 0 && (s.Blueprint == "" || s.Add != "") {
		return c, failure.Invalidf("%s/case.yaml: without applies to a blueprint case that adds nothing", name)
	}
	if s.Add != "" && s.Blueprint == "" {
		return c, failure.Invalidf("%s/case.yaml: an add case names the blueprint it starts from", name)
	}
	if c.Answers, err = read("answers.yaml"); err != nil {
		return c, err
	}
	return c, nil
}

// readRegular reads a small regular file without following a link.
func readRegular(p string) ([]byte, error) {
	info, err := os.Lstat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, failure.Invalidf("%s is missing", failure.Quote(p))
		}
		return nil, fmt.Errorf("inspect %s: %w", p, err)
	}
	if !info.Mode().IsRegular() {
		return nil, failure.Invalidf("%s is not a regular file", failure.Quote(p))
	}
	if info.Size() > maxCaseFile {
		return nil, failure.Invalidf("%s is larger than %d bytes", failure.Quote(p), maxCaseFile)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return data, nil
}
