package project

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing/fstest"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/catalogs"
	"github.com/secgen/secgen/generator/catsource"
	"github.com/secgen/secgen/generator/failure"
)

// CatalogFiles are a catalog as secgen lint and secgen test read it: its
// source, not yet loaded (lint reports what stops it loading), and its
// golden cases.
type CatalogFiles struct {
	// Name is how errors and summaries name the catalog: the directory as
	// given, or the git source without user information.
	Name   string
	Source catalog.Source
	// Dir is the catalog's directory on disk, where test --update
	// re-records its golden trees; "" for a git catalog, which is
	// read-only.
	Dir string
	// Goldens is a git catalog's goldens/ (empty when it has none); nil
	// for a directory, whose goldens/ is read from disk under Dir.
	Goldens fs.FS
	// Origin is where a git catalog came from (its commit and verified
	// signer).
	Origin catsource.Origin
}

// Files opens the catalog arg names for lint and test: a directory (the
// default "."), a git URL[@REF], or the name of one of the user's named
// catalogs (at its pin, verified against its stored keyring). A path that
// exists is a directory even when a named catalog has its name. ref
// (--ref) and keyring (--keyring) apply to git URLs; ref also moves a named
// catalog off its pin. A git catalog is read with its goldens/ under the
// same signature check, limits and path rules as every other verb's.
func (r *Resolver) Files(ctx context.Context, arg, ref string, keyring []byte) (*CatalogFiles, error) {
	if _, err := os.Lstat(arg); err != nil && catalogs.CheckName(arg) == nil {
		if c, ok, err := r.namedFiles(ctx, arg, ref, keyring); ok || err != nil {
			return c, err
		}
	}
	spec, err := catsource.Parse(arg, ref)
	if err != nil {
		return nil, err
	}
	switch spec.Kind {
	case catsource.Builtin:
		return nil, failure.Invalidf("the built-in catalog's golden cases live in secgen's repository: run this in a checkout of it (secgen test DIR)")
	case catsource.Git:
		op, err := r.opener().Open(ctx, catsource.Request{Spec: spec, Keyring: keyring, Proof: true})
		if err != nil {
			return nil, err
		}
		return gitFiles(op), nil
	}
	if keyring != nil {
		return nil, &failure.FieldError{Field: failure.FieldKeyring, Reason: "applies to git catalogs; a directory has no signatures"}
	}
	return dirFiles(arg)
}

func gitFiles(op *catsource.Opened) *CatalogFiles {
	return &CatalogFiles{Name: op.Origin.Source, Source: op.Proof.Source, Goldens: op.Proof.Goldens, Origin: op.Origin}
}

// namedFiles opens the named catalog name for lint and test; ok is false
// when this machine has no catalog by that name.
func (r *Resolver) namedFiles(ctx context.Context, name, ref string, keyring []byte) (*CatalogFiles, bool, error) {
	s, e, ok, err := r.lookup(name)
	if err != nil || !ok {
		return nil, false, err
	}
	if keyring != nil {
		return nil, true, failure.Says("catalog ", failure.Quote(name), " is verified against its stored keyring; drop ", failure.FieldKeyring, ", or replace the stored one with secgen catalog update")
	}
	req := catsource.Request{Pin: e.Pin, Proof: true}
	if ref == "" {
		ref = e.Ref
	} else {
		req.Pin = ""
	}
	spec, err := catsource.Parse(e.Source, ref)
	if err != nil {
		return nil, true, err
	}
	req.Spec = spec
	if req.Keyring, err = s.Keyring(e); err != nil {
		return nil, true, err
	}
	op, err := r.opener().Open(ctx, req)
	if err != nil {
		return nil, true, err
	}
	return gitFiles(op), true, nil
}

// dirFiles locates the catalog rooted at dir. It does not validate the
// catalog; catalog.Load does.
func dirFiles(dir string) (*CatalogFiles, error) {
	templates := filepath.Join(dir, "templates")
	info, err := os.Lstat(templates)
	if err != nil || !info.IsDir() {
		return nil, failure.Invalidf("%s is not a catalog: it is neither a directory with templates/, a git URL nor a named catalog", failure.Quote(dir))
	}
	if _, err := os.Lstat(filepath.Join(templates, "catalog.yaml")); err != nil {
		return nil, failure.Invalidf("%s is not a catalog: templates/catalog.yaml is missing", failure.Quote(dir))
	}
	var blueprints fs.FS = fstest.MapFS{}
	bp := filepath.Join(dir, "blueprints")
	switch info, err := os.Lstat(bp); {
	case err == nil && info.IsDir():
		blueprints = os.DirFS(bp)
	case err == nil:
		return nil, failure.Invalidf("%s/blueprints is not a directory", failure.Quote(dir))
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	return &CatalogFiles{Name: dir, Dir: dir, Source: catalog.Source{Templates: os.DirFS(templates), Blueprints: blueprints}}, nil
}
