// Package project opens a project the way every verb needs it: it finds the
// project root (walking up from the working directory), reads the manifest
// once, and resolves the catalog the manifest records (the built-in one, a
// named catalog, a git URL at the recorded commit, a directory at its
// recorded digest), verifies the recorded signer, and hands the verb that
// catalog plus a way to reach the earlier versions merge bases need. It is
// the one place that holds secgen's catalog policy: the CLI parses flags
// into Options, the engine works on the Project it is given.
//
// The rules, for a project whose manifest records catalog R:
//
//   - Where from: --catalog SOURCE when given; else the built-in catalog
//     when R is; else the named catalog R.Name when this machine has it
//     (its source and stored keyring); else R's source.
//   - Which version: Recorded (add, audit, show) reads R's commit (a git
//     catalog) or digest (a directory) exactly. Current (update, check)
//     reads what update moves to: --catalog-ref when given; else the named
//     catalog's pin unless it is older than R (a named catalog is a source,
//     not a ceiling); else R's ref, where a tag must still point at R's
//     commit (a moved tag is refused unless AcceptMovedTag) and a branch
//     may have moved on. A directory is read as it is.
//   - Trust: the keyring is --keyring, else the named catalog's, else the
//     project's own .secgen/keyring.asc (public keys committed with the
//     project, as CI uses them). A project that records a signer needs one,
//     and a signature by another key is refused unless that key's
//     fingerprint is given as AcceptSigner.
package project

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/mod/semver"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/catalogs"
	"github.com/secgen/secgen/generator/catsource"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lazyre"
	"github.com/secgen/secgen/generator/manifest"
)

// fingerprintPattern matches a key fingerprint as secgen records it.
var fingerprintPattern = lazyre.New(`^[0-9A-F]{40}([0-9A-F]{24})?$`)

// KeyringFile is where a project keeps its catalog's public keys, committed
// with it, so any clone (CI included) verifies the catalog the same way.
const KeyringFile = ".secgen/keyring.asc"

// Use says which version of its catalog a verb works with.
type Use int

// The uses.
const (
	// Recorded is exactly the version the manifest records (add, audit,
	// show).
	Recorded Use = iota
	// Current is the version update moves to (update, check).
	Current
)

// Options say how to open a project.
type Options struct {
	// Dir is -C DIR, the project root itself; "" walks up from the working
	// directory.
	Dir string
	Use Use
	// Source (--catalog) reads the project's catalog from SOURCE instead of
	// where the manifest says.
	Source string
	// Keyring holds armored OpenPGP public keys (--keyring).
	Keyring []byte
	// Ref (--catalog-ref, Current only) moves to another ref of the
	// project's git catalog.
	Ref string
	// AcceptMovedTag accepts a tag that now points at another commit than
	// the one recorded.
	AcceptMovedTag bool
	// AcceptSigner accepts a signature by the key with this fingerprint
	// instead of the recorded signer.
	AcceptSigner string
	// AllowMissing opens a directory without a manifest (audit of a
	// repository secgen did not generate): Manifest is nil and Catalog is
	// Source (default the built-in catalog).
	AllowMissing bool
}

// Project is an opened project.
type Project struct {
	Root string
	// Manifest is read once; nil only with Options.AllowMissing.
	Manifest *manifest.Manifest
	// Catalog is the catalog the verb works with.
	Catalog  *Catalog
	resolver *Resolver
}

// OpenVersion opens exactly the catalog version ref records (see
// Resolver.OpenVersion); the project's own catalog when ref names it.
func (p *Project) OpenVersion(ctx context.Context, ref manifest.CatalogRef) (*catalog.Catalog, error) {
	c := p.Catalog.Ref
	if ref.ID == c.ID && ref.Version == c.Version && ref.Commit == c.Commit && ref.Digest == c.Digest && ref.Source == c.Source {
		return p.Catalog.Catalog, nil
	}
	return p.resolver.OpenVersion(ctx, ref)
}

// Open finds the project for opts.Dir, reads its manifest and opens its
// catalog.
func (r *Resolver) Open(ctx context.Context, opts Options) (*Project, error) {
	if opts.AcceptSigner != "" && !fingerprintPattern.MatchString(opts.AcceptSigner) {
		return nil, &failure.FieldError{Field: failure.FieldAcceptSigner, Value: opts.AcceptSigner, Reason: "is not a key fingerprint (40 or 64 upper-case hex digits)"}
	}
	root, found, err := Locate(opts.Dir)
	if err != nil {
		return nil, err
	}
	if !found && opts.AllowMissing {
		c, err := r.Source(ctx, opts.Source, opts.Keyring)
		if err != nil {
			return nil, err
		}
		return &Project{Root: root, Catalog: c, resolver: r}, nil
	}
	m, err := ReadManifest(root)
	if err != nil {
		return nil, err
	}
	c, err := r.projectCatalog(ctx, root, m.Catalog, opts)
	if err != nil {
		return nil, err
	}
	return &Project{Root: root, Manifest: m, Catalog: c, resolver: r}, nil
}

// projectCatalog resolves the catalog a project records, by the rules of
// the package documentation.
func (r *Resolver) projectCatalog(ctx context.Context, root string, rec manifest.CatalogRef, opts Options) (*Catalog, error) {
	if opts.Use != Current && opts.Ref != "" {
		return nil, &failure.FieldError{Field: failure.FieldRef, Reason: "applies to update only"}
	}
	if opts.Source == "" && rec.Builtin() {
		if opts.Ref != "" {
			return nil, failure.Says("this project uses the built-in catalog, which has no refs; drop ", failure.FieldRef)
		}
		return r.Source(ctx, "", opts.Keyring)
	}
	source, name := rec.Source, rec.Name
	ring := opts.Keyring
	var (
		entry catalogs.Entry
		named bool
	)
	switch {
	case opts.Source != "":
		source, name = opts.Source, ""
	case rec.Name != "":
		s, e, ok, err := r.lookup(rec.Name)
		if err != nil {
			return nil, err
		}
		if ok {
			if ring != nil {
				return nil, failure.Says("this project uses named catalog ", rec.Name, ", which has its own keyring; drop ", failure.FieldKeyring, " (rotate it with secgen catalog update ", rec.Name, " ", failure.FieldKeyring, " FILE)")
			}
			entry, named = e, true
			source = e.Source
			if ring, err = s.Keyring(e); err != nil {
				return nil, err
			}
		}
	}
	spec, err := catsource.Parse(source, "")
	if err != nil {
		return nil, err
	}
	if spec.Kind == catsource.Builtin {
		if opts.Ref != "" {
			return nil, failure.Says("the built-in catalog has no refs; drop ", failure.FieldRef)
		}
		return r.Source(ctx, "", opts.Keyring)
	}
	if spec.Kind == catsource.Dir {
		if opts.Ref != "" {
			return nil, failure.Says("this project's catalog is a directory, which has no refs; drop ", failure.FieldRef)
		}
		req := catsource.Request{Spec: spec, Keyring: ring}
		if opts.Use == Recorded {
			req.Digest = rec.Digest
		}
		c, err := r.open(ctx, req, name)
		if err != nil {
			return nil, err
		}
		return c, nil
	}

	if ring == nil {
		if ring, err = readProjectKeyring(root); err != nil {
			return nil, err
		}
	}
	if rec.Signer != "" && ring == nil {
		return nil, failure.Says("this project's catalog was verified (signer ", rec.Signer, "); give ", failure.FieldKeyring, " to verify it again, or commit the catalog's public keys as ", KeyringFile)
	}
	req := catsource.Request{Keyring: ring, AcceptMovedTag: opts.AcceptMovedTag}
	ref := rec.Ref
	switch {
	case opts.Use == Recorded:
		req.Commit = rec.Commit
	case opts.Ref != "":
		ref = opts.Ref
	case named && compareVersions(entry.Version, rec.Version) >= 0:
		ref, req.Pin = entry.Ref, entry.Pin
	}
	if explicit := spec.Ref; explicit != "" && opts.Source != "" {
		ref = explicit // --catalog URL@REF
	}
	if spec, err = catsource.Parse(source, refOrEmpty(source, ref)); err != nil {
		return nil, err
	}
	req.Spec = spec
	c, err := r.open(ctx, req, name)
	var moved *catsource.MovedTagError
	if errors.As(err, &moved) && moved.RecordedByRepo && opts.Use == Recorded && opts.AcceptMovedTag {
		// The exact recorded commit, by its id.
		req.Commit, req.Spec.Ref = rec.Commit, rec.Commit
		c, err = r.open(ctx, req, name)
	}
	if err != nil {
		return nil, err
	}
	if opts.Use == Current && c.Origin.Tag && c.Origin.Ref == rec.Ref && rec.Commit != "" && c.Origin.Commit != rec.Commit && !opts.AcceptMovedTag {
		return nil, &catsource.MovedTagError{Source: spec.Display, Tag: rec.Ref, Recorded: rec.Commit, Now: c.Origin.Commit, RecordedByRepo: true}
	}
	if rec.Signer != "" && c.Origin.Signer != rec.Signer && c.Origin.Signer != opts.AcceptSigner {
		return nil, failure.Says("catalog ", spec.String(), " is signed by ", c.Origin.Signer, ", not by ", rec.Signer, " as this project records; if its publisher rotated its key, give ", failure.FieldAcceptSigner, " ", c.Origin.Signer)
	}
	return c, nil
}

// refOrEmpty keeps a URL's own @REF (Parse refuses both).
func refOrEmpty(source, ref string) string {
	if s, err := catsource.Parse(source, ""); err == nil && s.Ref != "" {
		return ""
	}
	return ref
}

// readProjectKeyring reads the project's committed keyring; nil when it
// has none.
func readProjectKeyring(root string) ([]byte, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open project: %w", err)
	}
	defer r.Close()
	info, err := r.Lstat(KeyringFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", KeyringFile, err)
	}
	if !info.Mode().IsRegular() || info.Size() > catsource.MaxKeyringSize {
		return nil, failure.Invalidf("%s is not a regular file of at most %d bytes", KeyringFile, catsource.MaxKeyringSize)
	}
	data, err := r.ReadFile(KeyringFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", KeyringFile, err)
	}
	if err := catsource.CheckKeyring(data); err != nil {
		return nil, fmt.Errorf("%s: %w", KeyringFile, err)
	}
	return data, nil
}

// compareVersions compares two semantic versions (without "v"); an
// unparsable version compares equal.
func compareVersions(a, b string) int {
	va, vb := "v"+a, "v"+b
	if !semver.IsValid(va) || !semver.IsValid(vb) {
		return 0
	}
	return semver.Compare(va, vb)
}
