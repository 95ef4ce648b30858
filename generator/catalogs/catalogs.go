// Package catalogs keeps the user's named catalogs (`secgen catalog add`):
// <config dir>/secgen/catalogs.yaml, one entry per name with its source,
// ref and the commit it is pinned to, plus a copy of each catalog's
// keyring under keyrings/. Every write is atomic (temporary file, rename).
package catalogs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lazyre"
)

// FileName is the config file's name inside the store directory.
const FileName = "catalogs.yaml"

// maxSize bounds the config file.
const maxSize = 1 << 20

// Entry is one named catalog.
type Entry struct {
	Name string `yaml:"name" json:"name"`
	// Source is the directory or git URL; it never holds a password.
	Source string `yaml:"source" json:"source"`
	// Ref is the branch, tag or commit followed by `catalog update`.
	Ref string `yaml:"ref,omitempty" json:"ref,omitempty"`
	// Pin is the object the ref resolved to (annotated tag or commit) and
	// Commit its commit: what `new NAME/...` uses until the next update.
	Pin    string `yaml:"pin,omitempty" json:"pin,omitempty"`
	Commit string `yaml:"commit,omitempty" json:"commit,omitempty"`
	// Keyring is the file name of the catalog's keyring under keyrings/.
	Keyring string `yaml:"keyring,omitempty" json:"keyring,omitempty"`
	// Signer is the fingerprint that verified Pin.
	Signer string `yaml:"signer,omitempty" json:"signer,omitempty"`
	// ID and Version are the catalog's own, at Pin.
	ID      string `yaml:"id" json:"id"`
	Version string `yaml:"version" json:"version"`
}

// File is the parsed config file.
type File struct {
	Catalogs []Entry `yaml:"catalogs"`
}

// Find returns the entry called name.
func (f *File) Find(name string) (Entry, bool) {
	for _, e := range f.Catalogs {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

// Put adds or replaces an entry, keeping entries sorted by name.
func (f *File) Put(e Entry) {
	f.Catalogs = slices.DeleteFunc(f.Catalogs, func(x Entry) bool { return x.Name == e.Name })
	f.Catalogs = append(f.Catalogs, e)
	slices.SortFunc(f.Catalogs, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
}

// Remove deletes the entry called name and reports whether it existed.
func (f *File) Remove(name string) bool {
	n := len(f.Catalogs)
	f.Catalogs = slices.DeleteFunc(f.Catalogs, func(x Entry) bool { return x.Name == name })
	return len(f.Catalogs) != n
}

var namePattern = lazyre.New(`^[a-z][a-z0-9-]{0,62}$`)

// CheckName validates a catalog name: a lower-case name that is not
// "builtin".
func CheckName(name string) error {
	if !namePattern.MatchString(name) || name == "builtin" {
		return failure.Invalidf("catalog name %s must be a lower-case name (letters, digits, '-') other than builtin", failure.Quote(name))
	}
	return nil
}

// Store is the directory holding the config file and keyrings.
type Store struct {
	Dir string
}

// Default is the store under os.UserConfigDir (XDG_CONFIG_HOME on Linux).
func Default() (*Store, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return nil, fmt.Errorf("find the configuration directory for named catalogs: %w", err)
	}
	return &Store{Dir: filepath.Join(base, "secgen")}, nil
}

// Load reads the config file; a missing one is empty.
func (s *Store) Load() (*File, error) {
	p := filepath.Join(s.Dir, FileName)
	data, err := readRegular(p, maxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, nil
	}
	if err != nil {
		return nil, failure.Invalidf("read %s: %w", p, err)
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && err != io.EOF {
		return nil, failure.Invalidf("%s is not a valid catalogs file: %w", p, err)
	}
	seen := map[string]bool{}
	for _, e := range f.Catalogs {
		if err := CheckName(e.Name); err != nil {
			return nil, failure.Invalidf("%s: %w", p, err)
		}
		if seen[e.Name] {
			return nil, failure.Invalidf("%s lists catalog %s twice", p, e.Name)
		}
		seen[e.Name] = true
		if e.Keyring != "" && e.Keyring != keyringName(e.Name) {
			return nil, failure.Invalidf("%s: catalog %s names keyring %s outside the store", p, e.Name, failure.Quote(e.Keyring))
		}
	}
	return &f, nil
}

// Save writes the config file atomically.
func (s *Store) Save(f *File) error {
	var buf bytes.Buffer
	buf.WriteString("# Named catalogs of secgen: written by `secgen catalog add/update/remove`.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("encode %s: %w", FileName, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode %s: %w", FileName, err)
	}
	return writeAtomic(s.Dir, FileName, buf.Bytes())
}

func keyringName(name string) string { return filepath.Join("keyrings", name+".asc") }

// PutKeyring stores a copy of a catalog's keyring and returns the name to
// record in its entry.
func (s *Store) PutKeyring(name string, data []byte) (string, error) {
	rel := keyringName(name)
	return rel, writeAtomic(filepath.Join(s.Dir, "keyrings"), name+".asc", data)
}

// Keyring reads a catalog's keyring; nil when it has none.
func (s *Store) Keyring(e Entry) ([]byte, error) {
	if e.Keyring == "" {
		return nil, nil
	}
	data, err := readRegular(filepath.Join(s.Dir, keyringName(e.Name)), 1<<20)
	if err != nil {
		return nil, failure.Invalidf("read the keyring of catalog %s: %w", e.Name, err)
	}
	return data, nil
}

// RemoveKeyring deletes a catalog's keyring, if any.
func (s *Store) RemoveKeyring(name string) error {
	err := os.Remove(filepath.Join(s.Dir, keyringName(name)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove keyring of catalog %s: %w", name, err)
	}
	return nil
}

// readRegular reads a regular file (never through a link) of at most limit bytes.
func readRegular(p string, limit int64) ([]byte, error) {
	info, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return os.ReadFile(p)
}

// writeAtomic writes dir/name through a temporary file and a rename.
func writeAtomic(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+name+".tmp-")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
