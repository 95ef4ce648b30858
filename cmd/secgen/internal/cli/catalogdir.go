package cli

import (
	"context"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/goldentest"
	"github.com/secgen/secgen/generator/project"
)

// CatalogArg names the catalog lint and test read: CATALOG (a directory,
// a git URL[@REF] or a named catalog) and the flags of a git source.
type CatalogArg struct {
	Catalog string
	Ref     string
	Keyring string
	Offline bool
}

func (o *CatalogArg) register(f *pflag.FlagSet) {
	f.StringVar(&o.Ref, "ref", "", "read the git catalog (or the named catalog) at branch, tag or commit `REF`")
	f.StringVar(&o.Keyring, "keyring", "", "require the git catalog's tag or commit to be signed by a key in `FILE` (armored OpenPGP public keys)")
	f.BoolVar(&o.Offline, "offline", false, "never use the network: a git catalog must be in the cache")
}

// openCatalogFiles opens the catalog o names through the project layer.
func openCatalogFiles(ctx context.Context, o CatalogArg) (*project.CatalogFiles, error) {
	ring, err := project.ReadKeyring(o.Keyring)
	if err != nil {
		return nil, err
	}
	return resolver(o.Offline).Files(ctx, o.Catalog, o.Ref, ring)
}

// loadFiles loads and validates the catalog.
func loadFiles(ctx context.Context, files *project.CatalogFiles) (*catalog.Catalog, error) {
	cat, err := catalog.Load(ctx, files.Source)
	if err != nil {
		return nil, failure.Invalidf("catalog %s: %w", failure.Quote(files.Name), err)
	}
	return cat, nil
}

// loadGoldens reads the catalog's golden cases: from disk for a
// directory, from the verified snapshot for a git catalog.
func loadGoldens(ctx context.Context, files *project.CatalogFiles) ([]goldentest.Case, error) {
	if files.Dir != "" {
		return goldentest.Load(ctx, filepath.Join(files.Dir, "goldens"))
	}
	return goldentest.LoadFS(ctx, files.Goldens, files.Name+"/goldens")
}
