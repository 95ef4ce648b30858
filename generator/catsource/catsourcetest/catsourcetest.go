// Package catsourcetest builds fixture catalog repositories for tests: git
// repositories written object by object with go-git (so a test can plant
// symbolic links, submodules or hostile names), signed commits and tags,
// and throwaway OpenPGP keys. It is for tests only.
package catsourcetest

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Entry is one tree entry of a fixture: a regular file by default.
type Entry struct {
	Data []byte
	Mode filemode.FileMode // 0 is a regular file
	// Hash is the commit a submodule (gitlink) entry points at.
	Hash plumbing.Hash
}

// Files are a fixture tree by slash-separated path.
type Files map[string]Entry

// When is the fixed time of every fixture commit and tag.
var when = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// NewKey returns a fresh signing key and its armored public key block.
func NewKey(name string) (*openpgp.Entity, []byte, error) {
	e, err := openpgp.NewEntity(name, "test", strings.ToLower(name)+"@example.test", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := e.Serialize(w); err != nil {
		return nil, nil, err
	}
	if err := w.Close(); err != nil {
		return nil, nil, err
	}
	return e, buf.Bytes(), nil
}

// Fingerprint is a key's primary fingerprint as secgen records it.
func Fingerprint(e *openpgp.Entity) string {
	return strings.ToUpper(fmt.Sprintf("%x", e.PrimaryKey.Fingerprint))
}

// Repo is a bare fixture repository.
type Repo struct {
	st    *filesystem.Storage
	blobs map[string]plumbing.Hash // content already stored
}

// Init creates a bare repository in dir (which must exist).
func Init(dir string) (*Repo, error) {
	st := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault())
	if err := st.Init(); err != nil {
		return nil, fmt.Errorf("init fixture repository: %w", err)
	}
	head := plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName("main"))
	if err := st.SetReference(head); err != nil {
		return nil, err
	}
	return &Repo{st: st, blobs: map[string]plumbing.Hash{}}, nil
}

// Commit writes files as a new commit on main (signed when key is set) and
// returns its id.
func (r *Repo) Commit(files Files, msg string, key *openpgp.Entity) (plumbing.Hash, error) {
	tree, err := r.tree(files, "")
	if err != nil {
		return plumbing.ZeroHash, err
	}
	sig := object.Signature{Name: "Fixture", Email: "fixture@example.test", When: when}
	c := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: tree}
	if parent, err := r.st.Reference(plumbing.NewBranchReferenceName("main")); err == nil {
		c.ParentHashes = []plumbing.Hash{parent.Hash()}
	}
	if key != nil {
		enc := r.st.NewEncodedObject()
		if err := c.EncodeWithoutSignature(enc); err != nil {
			return plumbing.ZeroHash, err
		}
		if c.PGPSignature, err = sign(enc, key); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	h, err := r.store(c)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return h, r.st.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("main"), h))
}

// Tag creates annotated tag name on commit, signed when key is set.
func (r *Repo) Tag(name string, commit plumbing.Hash, key *openpgp.Entity) (plumbing.Hash, error) {
	t := &object.Tag{
		Name: name, Tagger: object.Signature{Name: "Fixture", Email: "fixture@example.test", When: when},
		Message: "release " + name + "\n", TargetType: plumbing.CommitObject, Target: commit,
	}
	if key != nil {
		enc := r.st.NewEncodedObject()
		if err := t.EncodeWithoutSignature(enc); err != nil {
			return plumbing.ZeroHash, err
		}
		var err error
		if t.PGPSignature, err = sign(enc, key); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	h, err := r.store(t)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return h, r.st.SetReference(plumbing.NewHashReference(plumbing.NewTagReferenceName(name), h))
}

// LightTag creates a lightweight tag.
func (r *Repo) LightTag(name string, commit plumbing.Hash) error {
	return r.st.SetReference(plumbing.NewHashReference(plumbing.NewTagReferenceName(name), commit))
}

type encoder interface {
	Encode(plumbing.EncodedObject) error
}

func (r *Repo) store(o encoder) (plumbing.Hash, error) {
	enc := r.st.NewEncodedObject()
	if err := o.Encode(enc); err != nil {
		return plumbing.ZeroHash, err
	}
	return r.st.SetEncodedObject(enc)
}

func sign(enc plumbing.EncodedObject, key *openpgp.Entity) (string, error) {
	rd, err := enc.Reader()
	if err != nil {
		return "", err
	}
	defer rd.Close()
	var buf bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&buf, key, rd, nil); err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return buf.String(), nil
}

// tree writes the subtree of files under dir and returns its id.
func (r *Repo) tree(files Files, dir string) (plumbing.Hash, error) {
	children := map[string]bool{}
	var entries []object.TreeEntry
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	for p, e := range files {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		if first, _, nested := strings.Cut(rest, "/"); nested {
			children[first] = true
			continue
		}
		mode := e.Mode
		if mode == 0 {
			mode = filemode.Regular
		}
		h, stored := e.Hash, false
		if mode != filemode.Submodule {
			h, stored = r.blobs[string(e.Data)]
		}
		if mode != filemode.Submodule && !stored {
			blob := r.st.NewEncodedObject()
			blob.SetType(plumbing.BlobObject)
			w, err := blob.Writer()
			if err != nil {
				return plumbing.ZeroHash, err
			}
			if _, err := w.Write(e.Data); err != nil {
				return plumbing.ZeroHash, err
			}
			w.Close()
			if h, err = r.st.SetEncodedObject(blob); err != nil {
				return plumbing.ZeroHash, err
			}
			r.blobs[string(e.Data)] = h
		}
		entries = append(entries, object.TreeEntry{Name: rest, Mode: mode, Hash: h})
	}
	for name := range children {
		h, err := r.tree(files, prefix+name) // not path.Join: ".." stays a name
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	// git sorts tree entries by name, a directory as if it ended in "/".
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	return r.store(&object.Tree{Entries: entries})
}

// Catalog returns the files of a small valid catalog at version: a
// registry of one control (control, in an area of its own), one component
// "audit-log" claiming it (with an audit rule for it in checks.yaml), one blueprint "service" using it, and a
// component "runbook" outside the blueprint (for secgen add). extra is
// added to the audit log's template, so versions differ in content.
func Catalog(version, control, extra string) Files {
	return Files{
		"templates/catalog.yaml": {Data: []byte("id: acme\nversion: " + version + "\n")},
		"templates/controls.yaml": {Data: []byte("controls:\n  - id: " + control + "\n" +
			"    title: Every service ships its audit log\n" +
			"    description: The organisation keeps each service's audit log for a year.\n")},
		"templates/audit-log/component.yaml": {Data: []byte(`name: audit-log
description: The organisation's audit log settings.
version: ` + version + `
controls: [` + control + `]
questions:
  - name: name
    type: string
    prompt: Service name
    default: '{{ targetName | default "svc" }}'
    required: true
    validate:
      pattern: '[a-z]([-a-z0-9]{0,38}[a-z0-9])?'
`)},
		"templates/audit-log/files/audit/{{ .name }}.yaml.tmpl": {Data: []byte("# " + control + ": every service ships its audit log\nservice: {{ yamlString .name }}\nretention_days: 365\n" + extra)},
		"templates/audit-log/checks.yaml": {Data: []byte(`# The organisation's own control, audited like secgen's.
checks:
  - id: audit-log-retention
    control: ` + control + `
    match: "audit/*.yaml"
    expr: has(object.retention_days) && object.retention_days >= 365
    severity: error
    message: the audit log is kept for less than a year
    fix: set retention_days to 365 or more
`)},
		"templates/runbook/component.yaml":        {Data: []byte("name: runbook\ndescription: An on-call runbook.\nversion: " + version + "\n")},
		"templates/runbook/files/RUNBOOK.md.tmpl": {Data: []byte("# Runbook (catalog " + version + ")\n")},
		"blueprints/service.yaml":                 {Data: []byte("name: service\ndescription: A service with the audit log.\ncomponents: [audit-log]\n")},
		"README.md":                               {Data: []byte("# acme catalog\n")},
	}
}

// Control is the control the fixture catalog's component claims.
const Control = "ORG-01"

// MaxFiles mirrors catsource.MaxFiles (this package must not import it).
const maxFiles = 10000

// Fixture is a catalog repository with signed annotated tags v1.0.0 and
// v1.1.0 and tags for every refusal: unsigned, stranger (signed by a key
// not in the ring), symlink, submodule, toomany (10,001 files), lfs,
// dotdot (a ".." tree entry), dotgit (a .git tree entry), escape (a path
// that renders to ../), intogit (a path that renders into .git/) and
// badfunc (a template calling env).
type Fixture struct {
	Dir      string
	Ring     []byte // armored public key of Signer
	Signer   *openpgp.Entity
	Stranger *openpgp.Entity
	V100     plumbing.Hash // commit of v1.0.0 (unsigned commit, signed tag)
	V110     plumbing.Hash // commit of v1.1.0 (signed commit and tag)
}

// NewFixture builds the fixture repository in dir (which must exist);
// hostile adds the refusal tags.
func NewFixture(dir string, hostile bool) (*Fixture, error) {
	return NewFixtureWith(dir, Options{Hostile: hostile})
}

// Options shape a fixture repository.
type Options struct {
	// Hostile adds the refusal tags.
	Hostile bool
	// Goldens, when set, adds golden cases to the files of v1.0.0 and
	// v1.1.0 before they are committed (recording their trees needs the
	// renderer, which this package must not import).
	Goldens func(Files) error
}

// NewFixtureWith builds the fixture repository in dir (which must exist).
func NewFixtureWith(dir string, o Options) (*Fixture, error) {
	hostile := o.Hostile
	f := &Fixture{Dir: dir}
	var err error
	if f.Signer, f.Ring, err = NewKey("Signer"); err != nil {
		return nil, err
	}
	if f.Stranger, _, err = NewKey("Stranger"); err != nil {
		return nil, err
	}
	repo, err := Init(dir)
	if err != nil {
		return nil, err
	}
	var errs []error
	must := func(h plumbing.Hash, err error) plumbing.Hash {
		errs = append(errs, err)
		return h
	}
	release := func(version, extra string) Files {
		files := Catalog(version, Control, extra)
		if o.Goldens != nil {
			errs = append(errs, o.Goldens(files))
		}
		return files
	}
	f.V100 = must(repo.Commit(release("1.0.0", ""), "v1.0.0", nil))
	must(repo.Tag("v1.0.0", f.V100, f.Signer))
	must(repo.Tag("unsigned", f.V100, nil))
	must(repo.Tag("stranger", f.V100, f.Stranger))
	f.V110 = must(repo.Commit(release("1.1.0", "# since 1.1.0\n"), "v1.1.0", f.Signer))
	must(repo.Tag("v1.1.0", f.V110, f.Signer))
	if hostile {
		tag := func(name string, edit func(Files)) {
			files := Catalog("9.0.0", Control, "")
			edit(files)
			must(repo.Tag(name, must(repo.Commit(files, name, nil)), nil))
		}
		const dir = "templates/audit-log/files/"
		tag("symlink", func(fs Files) { fs[dir+"link.tmpl"] = Entry{Data: []byte("/etc/passwd"), Mode: filemode.Symlink} })
		tag("submodule", func(fs Files) { fs[dir+"sub"] = Entry{Mode: filemode.Submodule, Hash: f.V100} })
		tag("toomany", func(fs Files) {
			for i := range maxFiles + 1 {
				fs[fmt.Sprintf("%smany/%02d/f%05d.tmpl", dir, i%64, i)] = Entry{Data: []byte("x\n")}
			}
		})
		tag("lfs", func(fs Files) {
			fs[dir+"big.bin.tmpl"] = Entry{Data: []byte("version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n")}
		})
		tag("dotdot", func(fs Files) { fs[dir+"../x.tmpl"] = Entry{Data: []byte("x")} })
		tag("dotgit", func(fs Files) { fs[dir+".git/config.tmpl"] = Entry{Data: []byte("x")} })
		tag("escape", func(fs Files) { fs[dir+`{{ print ".." }}/escaped.txt.tmpl`] = Entry{Data: []byte("x\n")} })
		tag("intogit", func(fs Files) {
			fs[dir+`{{ print ".git" }}/hooks/post-checkout.tmpl`] = Entry{Data: []byte("#!/bin/sh\n")}
		})
		tag("badfunc", func(fs Files) { fs[dir+"home.txt.tmpl"] = Entry{Data: []byte(`{{ env "HOME" }}` + "\n")} })
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("build fixture: %w", err)
	}
	return f, nil
}

// Release commits Catalog(version) (its audit log template says "# since
// version") on main of the fixture repository in dir and tags it with an
// annotated tag name, both signed by key; a tag name that exists is moved,
// as a force-pushed tag would be. It returns the commit.
func Release(dir, name, version string, key *openpgp.Entity) (plumbing.Hash, error) {
	repo, err := Init(dir)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c, err := repo.Commit(Catalog(version, Control, "# since "+version+"\n"), "v"+version, key)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := repo.Tag(name, c, key); err != nil {
		return plumbing.ZeroHash, err
	}
	return c, nil
}

// ArmorKeys returns one armored block holding the public keys of keys (a
// keyring with several keys, as during a key rotation).
func ArmorKeys(keys ...*openpgp.Entity) ([]byte, error) {
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := k.Serialize(w); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
