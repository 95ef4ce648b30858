package cli

import (
	"context"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/secgen/secgen/generator/catalogs"
	"github.com/secgen/secgen/generator/catsource"
	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
)

// SourceOptions choose the catalog of new, list and show.
type SourceOptions struct {
	Catalog string // SOURCE; "" is the built-in catalog
	Keyring string // armored OpenPGP public keys the catalog must be signed by
	Offline bool
}

func (o *SourceOptions) register(f *pflag.FlagSet) {
	f.StringVar(&o.Catalog, "catalog", "", "render from catalog `SOURCE`: builtin, a directory or a git URL[@REF]")
	f.StringVar(&o.Keyring, "keyring", "", "require the git catalog's tag or commit to be signed by a key in `FILE` (armored OpenPGP public keys)")
	f.BoolVar(&o.Offline, "offline", false, "never use the network: a git catalog must be in the cache")
}

// loaded is an opened catalog and the reference manifests record for it.
type loaded struct {
	*catsource.Opened
	Ref manifest.CatalogRef
}

func (l *loaded) engine(version string) *engine.Engine {
	return &engine.Engine{Catalog: l.Catalog, Version: version, Origin: l.Ref}
}

func refOf(op *catsource.Opened, name string) manifest.CatalogRef {
	o := op.Origin
	return manifest.CatalogRef{
		ID: op.Catalog.ID, Version: op.Catalog.Version, Name: name,
		Source: o.Source, Ref: o.Ref, Commit: o.Commit, Signer: o.Signer, Digest: o.Digest,
	}
}

func readKeyring(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	info, err := os.Stat(path)
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

// splitEntry splits NAME/ENTRY; a plain ENTRY has no catalog name.
func splitEntry(arg string) (catalogName, entry string) {
	if name, entry, ok := strings.Cut(arg, "/"); ok {
		return name, entry
	}
	return "", arg
}

// openFor opens the catalog an entry argument refers to: NAME/ENTRY names a
// named catalog, otherwise --catalog (default builtin). It returns the
// catalog and the entry's name inside it.
func openFor(ctx context.Context, opts SourceOptions, arg string) (*loaded, string, error) {
	name, entry := splitEntry(arg)
	if name == "" {
		l, err := openSource(ctx, opts)
		return l, entry, err
	}
	if opts.Catalog != "" || opts.Keyring != "" {
		return nil, "", failure.Invalidf("%s names catalog %s; drop --catalog and --keyring", failure.Quote(arg), failure.Quote(name))
	}
	if name == catsource.BuiltinName {
		l, err := openSource(ctx, SourceOptions{Offline: opts.Offline})
		return l, entry, err
	}
	l, err := openNamed(ctx, name, opts.Offline)
	return l, entry, err
}

// openSource opens --catalog (default builtin).
func openSource(ctx context.Context, opts SourceOptions) (*loaded, error) {
	spec, err := catsource.Parse(opts.Catalog, "")
	if err != nil {
		return nil, err
	}
	ring, err := readKeyring(opts.Keyring)
	if err != nil {
		return nil, err
	}
	op, err := (&catsource.Opener{Offline: opts.Offline}).Open(ctx, catsource.Request{Spec: spec, Keyring: ring})
	if err != nil {
		return nil, err
	}
	return &loaded{Opened: op, Ref: refOf(op, "")}, nil
}

// namedEntry finds a named catalog in the user's store.
func namedEntry(name string) (*catalogs.Store, catalogs.Entry, error) {
	if err := catalogs.CheckName(name); err != nil {
		return nil, catalogs.Entry{}, err
	}
	store, f, err := openNamedCatalogs()
	if err != nil {
		return nil, catalogs.Entry{}, err
	}
	e, ok := f.Find(name)
	if !ok {
		return nil, catalogs.Entry{}, failure.Invalidf("there is no catalog named %s; add it with secgen catalog add %s SOURCE", failure.Quote(name), name)
	}
	return store, e, nil
}

// openNamed opens a named catalog at its pinned commit, verified against
// its keyring.
func openNamed(ctx context.Context, name string, offline bool) (*loaded, error) {
	store, e, err := namedEntry(name)
	if err != nil {
		return nil, err
	}
	return openEntry(ctx, store, e, catsource.Request{Pin: e.Pin}, e.Ref, offline)
}

// openEntry opens a named catalog's source at ref with its keyring; req
// carries the pin or commit to hold it to.
func openEntry(ctx context.Context, store *catalogs.Store, e catalogs.Entry, req catsource.Request, ref string, offline bool) (*loaded, error) {
	spec, err := catsource.Parse(e.Source, ref)
	if err != nil {
		return nil, err
	}
	req.Spec = spec
	if req.Keyring, err = store.Keyring(e); err != nil {
		return nil, err
	}
	op, err := (&catsource.Opener{Offline: offline}).Open(ctx, req)
	if err != nil {
		return nil, err
	}
	return &loaded{Opened: op, Ref: refOf(op, e.Name)}, nil
}

// ProjectSource says how add and update find a project's catalog.
type ProjectSource struct {
	Offline bool
	Keyring string
	// CatalogRef moves the project to another ref of its git catalog (update).
	CatalogRef string
}

// openProjectCatalog opens the catalog a project records. Exact (add)
// holds it to the recorded commit; otherwise (update) a named catalog is
// read at its current pin and any other git catalog at its recorded ref,
// or at CatalogRef when given. A project whose catalog was verified must
// be verified again.
func openProjectCatalog(ctx context.Context, dir string, opts ProjectSource, exact bool) (*loaded, error) {
	rec, err := engine.ProjectCatalog(dir)
	if err != nil {
		return nil, err
	}
	if rec.Builtin() {
		if opts.CatalogRef != "" {
			return nil, failure.Invalidf("this project uses the built-in catalog, which has no refs; drop --catalog-ref")
		}
		return openSource(ctx, SourceOptions{Offline: opts.Offline, Keyring: opts.Keyring})
	}
	req := catsource.Request{}
	ref := rec.Ref
	switch {
	case opts.CatalogRef != "":
		ref = opts.CatalogRef
	case exact:
		req.Commit = rec.Commit
	}
	if rec.Name != "" {
		if opts.Keyring != "" {
			return nil, failure.Invalidf("this project uses named catalog %s, which has its own keyring; drop --keyring", rec.Name)
		}
		store, e, err := namedEntry(rec.Name)
		if err != nil {
			return nil, err
		}
		if opts.CatalogRef == "" && !exact {
			ref, req.Pin = e.Ref, e.Pin
		}
		return openEntry(ctx, store, e, req, ref, opts.Offline)
	}
	spec, err := catsource.Parse(rec.Source, ref)
	if err != nil {
		return nil, err
	}
	req.Spec = spec
	if req.Keyring, err = readKeyring(opts.Keyring); err != nil {
		return nil, err
	}
	if rec.Signer != "" && req.Keyring == nil {
		return nil, failure.Invalidf("this project's catalog was verified (signer %s); give --keyring to verify it again", rec.Signer)
	}
	op, err := (&catsource.Opener{Offline: opts.Offline}).Open(ctx, req)
	if err != nil {
		return nil, err
	}
	return &loaded{Opened: op, Ref: refOf(op, "")}, nil
}

// openNamedCatalogs opens the user's store of named catalogs and reads it.
func openNamedCatalogs() (*catalogs.Store, *catalogs.File, error) {
	store, err := catalogs.Default()
	if err != nil {
		return nil, nil, err
	}
	f, err := store.Load()
	if err != nil {
		return nil, nil, err
	}
	return store, f, nil
}
