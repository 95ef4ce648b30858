package cli

import (
	"context"
	"os"

	"github.com/spf13/pflag"

	"github.com/secgen/secgen/generator/catsource"
	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/project"
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

// resolver is the project layer's catalog resolver for one command: the
// credential of a private catalog comes from the environment, never from
// a flag (it would show in the process list and the shell's history).
func resolver(offline bool) *project.Resolver {
	return &project.Resolver{Offline: offline, Token: os.Getenv(catsource.TokenEnv)}
}

// engineFor is the engine working on an opened catalog; version is the
// secgen version manifests record.
func engineFor(c *project.Catalog, version string) *engine.Engine {
	return &engine.Engine{Catalog: c.Catalog, Version: version, Origin: c.Ref, Keyring: c.Keyring, Auditor: auditor{}}
}

// openFor opens the catalog an entry argument refers to (NAME/ENTRY, or
// --catalog) and returns it with the entry's name inside it.
func openFor(ctx context.Context, opts SourceOptions, arg string) (*project.Catalog, string, error) {
	ring, err := project.ReadKeyring(opts.Keyring)
	if err != nil {
		return nil, "", err
	}
	return resolver(opts.Offline).Entry(ctx, arg, opts.Catalog, ring)
}

// openSource opens --catalog (default builtin).
func openSource(ctx context.Context, opts SourceOptions) (*project.Catalog, error) {
	ring, err := project.ReadKeyring(opts.Keyring)
	if err != nil {
		return nil, err
	}
	return resolver(opts.Offline).Source(ctx, opts.Catalog, ring)
}

// ProjectSource says how a project verb (add, update, check, audit) opens
// the project's catalog; the project layer decides from it.
type ProjectSource struct {
	// Catalog (--catalog) reads the project's catalog from another source.
	Catalog string
	Offline bool
	Keyring string
	// CatalogRef moves the project to another ref of its git catalog (update).
	CatalogRef string
	// AcceptMovedTag accepts a tag that now points at another commit.
	AcceptMovedTag bool
	// AcceptSigner accepts a signature by this key instead of the recorded signer.
	AcceptSigner string
}

// register adds the flags every project verb shares.
func (o *ProjectSource) register(f *pflag.FlagSet) {
	f.StringVar(&o.Catalog, "catalog", "", "read the project's catalog from `SOURCE` (a directory or git URL[@REF]) instead of where .secgen.yaml says")
	f.StringVar(&o.Keyring, "keyring", "", "verify the project's git catalog against the armored OpenPGP public keys in `FILE`")
	f.BoolVar(&o.Offline, "offline", false, "never use the network: the catalog must be in the cache")
	f.BoolVar(&o.AcceptMovedTag, "accept-moved-tag", false, "accept a release tag that now points at another commit than the one recorded")
	f.StringVar(&o.AcceptSigner, "accept-signer", "", "accept a catalog signed by the key with fingerprint `FPR` instead of the recorded signer")
}

// openProject opens the project at dir with its catalog, through the
// project layer.
func openProject(ctx context.Context, dir string, src ProjectSource, use project.Use, allowMissing bool) (*project.Project, error) {
	ring, err := project.ReadKeyring(src.Keyring)
	if err != nil {
		return nil, err
	}
	return resolver(src.Offline).Open(ctx, project.Options{
		Dir: dir, Use: use, Source: src.Catalog, Keyring: ring, Ref: src.CatalogRef,
		AcceptMovedTag: src.AcceptMovedTag, AcceptSigner: src.AcceptSigner, AllowMissing: allowMissing,
	})
}

// projectEngine is the engine working on an opened project: its catalog,
// and its earlier versions for merge bases.
func projectEngine(p *project.Project, version string) *engine.Engine {
	e := engineFor(p.Catalog, version)
	e.Versions = p
	return e
}
