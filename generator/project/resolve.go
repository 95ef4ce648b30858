package project

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/catalogs"
	"github.com/secgen/secgen/generator/catsource"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
)

// Catalog is an opened catalog, where it came from, and the reference
// manifests record for it.
type Catalog struct {
	*catalog.Catalog
	Origin catsource.Origin
	Ref    manifest.CatalogRef
	// Keyring holds the public keys that verified it; nil when it was not
	// verified.
	Keyring []byte
}

// Resolver opens catalogs: by SOURCE, by name (the user's named
// catalogs), and at the exact version a manifest records. Its zero value
// uses the user's cache and configuration directories and may fetch.
type Resolver struct {
	// Offline forbids any network access: a git catalog must be cached.
	Offline bool
	// CacheDir is catsource.Opener's; "" is the user's cache directory.
	CacheDir string
	// Token is the credential for a private https git catalog (see
	// catsource.Opener.Token).
	Token string
	// Store is the named catalogs' store; nil is catalogs.Default().
	Store *catalogs.Store
}

func (r *Resolver) opener() *catsource.Opener {
	return &catsource.Opener{CacheDir: r.CacheDir, Offline: r.Offline, Token: r.Token}
}

// open opens req and records it under name ("" when not a named catalog).
func (r *Resolver) open(ctx context.Context, req catsource.Request, name string) (*Catalog, error) {
	op, err := r.opener().Open(ctx, req)
	if err != nil {
		return nil, err
	}
	c := &Catalog{Catalog: op.Catalog, Origin: op.Origin, Ref: refOf(op, name)}
	if op.Origin.Signer != "" {
		c.Keyring = req.Keyring
	}
	return c, nil
}

func refOf(op *catsource.Opened, name string) manifest.CatalogRef {
	o := op.Origin
	return manifest.CatalogRef{
		ID: op.Catalog.ID, Version: op.Catalog.Version, Name: name,
		Source: o.Source, Ref: o.Ref, Commit: o.Commit, Signer: o.Signer, Digest: o.Digest,
	}
}

// Source opens SOURCE ("" is the built-in catalog) with an optional
// keyring (armored public keys).
func (r *Resolver) Source(ctx context.Context, source string, keyring []byte) (*Catalog, error) {
	spec, err := catsource.Parse(source, "")
	if err != nil {
		return nil, err
	}
	return r.open(ctx, catsource.Request{Spec: spec, Keyring: keyring}, "")
}

// SplitEntry splits NAME/ENTRY; a plain ENTRY has no catalog name.
func SplitEntry(arg string) (catalogName, entry string) {
	if name, entry, ok := strings.Cut(arg, "/"); ok {
		return name, entry
	}
	return "", arg
}

// Entry opens the catalog an entry argument refers to: NAME/ENTRY names a
// named catalog (at its pin), otherwise source ("" is the built-in
// catalog). It returns the catalog and the entry's name inside it.
func (r *Resolver) Entry(ctx context.Context, arg, source string, keyring []byte) (*Catalog, string, error) {
	name, entry := SplitEntry(arg)
	if name == "" {
		c, err := r.Source(ctx, source, keyring)
		return c, entry, err
	}
	if source != "" || keyring != nil {
		return nil, "", failure.Invalidf("%s names catalog %s; drop --catalog and --keyring", failure.Quote(arg), failure.Quote(name))
	}
	if name == catsource.BuiltinName {
		c, err := r.Source(ctx, "", nil)
		return c, entry, err
	}
	c, err := r.Named(ctx, name)
	return c, entry, err
}

// store returns the named catalogs' store.
func (r *Resolver) store() (*catalogs.Store, error) {
	if r.Store != nil {
		return r.Store, nil
	}
	s, err := catalogs.Default()
	if err != nil {
		return nil, err
	}
	r.Store = s
	return s, nil
}

// Catalogs opens the user's store of named catalogs and reads it.
func (r *Resolver) Catalogs() (*catalogs.Store, *catalogs.File, error) {
	s, err := r.store()
	if err != nil {
		return nil, nil, err
	}
	f, err := s.Load()
	if err != nil {
		return nil, nil, err
	}
	return s, f, nil
}

// lookup finds a named catalog; ok is false when this machine has none
// by that name.
func (r *Resolver) lookup(name string) (*catalogs.Store, catalogs.Entry, bool, error) {
	if err := catalogs.CheckName(name); err != nil {
		return nil, catalogs.Entry{}, false, err
	}
	s, f, err := r.Catalogs()
	if err != nil {
		return nil, catalogs.Entry{}, false, err
	}
	e, ok := f.Find(name)
	return s, e, ok, nil
}

// Named opens a named catalog at its pinned commit, verified against its
// keyring.
func (r *Resolver) Named(ctx context.Context, name string) (*Catalog, error) {
	s, e, ok, err := r.lookup(name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, failure.Invalidf("there is no catalog named %s; add it with secgen catalog add %s SOURCE", failure.Quote(name), name)
	}
	return r.OpenEntry(ctx, s, e, catsource.Request{Pin: e.Pin}, e.Ref)
}

// OpenEntry opens a named catalog's source at ref with its stored
// keyring; req carries the pin or commit to hold it to.
func (r *Resolver) OpenEntry(ctx context.Context, s *catalogs.Store, e catalogs.Entry, req catsource.Request, ref string) (*Catalog, error) {
	spec, err := catsource.Parse(e.Source, ref)
	if err != nil {
		return nil, err
	}
	req.Spec = spec
	if req.Keyring, err = s.Keyring(e); err != nil {
		return nil, err
	}
	return r.open(ctx, req, e.Name)
}

// OpenVersion opens exactly the catalog version ref records, to re-render
// what secgen wrote (merge bases): the built-in catalog from the history
// embedded in this secgen, a git catalog at its recorded commit (from the
// cache, else its source: the named catalog's when this machine has it,
// else the recorded one), a directory catalog from the cache's snapshot of
// its recorded digest. The content is checked by the caller against the
// recorded blob ids, so no keyring is needed here.
func (r *Resolver) OpenVersion(ctx context.Context, ref manifest.CatalogRef) (*catalog.Catalog, error) {
	switch {
	case ref.Builtin():
		cat, err := catsource.BuiltinVersion(ctx, ref.Version)
		if err != nil {
			return nil, fmt.Errorf("%w; run update once with a secgen that carries it", err)
		}
		return cat, nil
	case ref.Commit != "":
		source := ref.Source
		if ref.Name != "" {
			if _, e, ok, err := r.lookup(ref.Name); err == nil && ok {
				source = e.Source
			}
		}
		spec, err := catsource.Parse(source, ref.Commit)
		if err != nil {
			return nil, err
		}
		op, err := r.opener().Open(ctx, catsource.Request{Spec: spec, Commit: ref.Commit})
		if err != nil {
			return nil, fmt.Errorf("catalog %s %s (commit %s) is neither cached nor reachable at %s (%v); make it reachable, or fetch it with secgen catalog add, and run update again", ref.ID, ref.Version, short(ref.Commit), ref.Source, err)
		}
		return op.Catalog, nil
	case ref.Digest != "":
		spec, err := catsource.Parse(ref.Source, "")
		if err != nil {
			return nil, err
		}
		op, err := r.opener().Open(ctx, catsource.Request{Spec: spec, Digest: ref.Digest})
		if err != nil {
			return nil, fmt.Errorf("catalog %s %s from directory %s: %w", ref.ID, ref.Version, ref.Source, err)
		}
		return op.Catalog, nil
	}
	return nil, fmt.Errorf("catalog %s %s came from directory %s and recorded no digest, so its version cannot be found again", ref.ID, ref.Version, ref.Source)
}

// ReadKeyring reads an armored OpenPGP public keyring file (--keyring);
// "" is none.
func ReadKeyring(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	info, err := os.Lstat(path)
	if err != nil {
		return nil, failure.Invalidf("read --keyring %s: %w", failure.Quote(path), err)
	}
	if !info.Mode().IsRegular() || info.Size() > catsource.MaxKeyringSize {
		return nil, failure.Invalidf("--keyring %s is not a regular file of at most %d bytes", failure.Quote(path), catsource.MaxKeyringSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, failure.Invalidf("read --keyring %s: %w", failure.Quote(path), err)
	}
	if err := catsource.CheckKeyring(data); err != nil {
		return nil, err
	}
	return data, nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
