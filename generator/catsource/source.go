package catsource

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
)

// Opener opens catalog sources. The zero value uses the user's cache
// directory and may fetch.
type Opener struct {
	// CacheDir is where git catalogs are cached; "" is
	// <os.UserCacheDir()>/secgen/git.
	CacheDir string
	// Offline forbids any network access: a git catalog must be cached.
	Offline bool
}

// Request is one catalog to open.
type Request struct {
	Spec Spec
	// Pin is the object id (annotated tag or commit) a named catalog's ref
	// was pinned to. When it is cached, nothing is fetched; otherwise the
	// ref must still resolve to it.
	Pin string
	// Commit, when set, is the commit the ref must resolve to (add reads
	// the exact catalog a project was generated from).
	Commit string
	// Keyring holds armored OpenPGP public keys; when set, the tag or
	// commit must carry a valid signature by one of them.
	Keyring []byte
}

// Origin is the provenance of an opened catalog.
type Origin struct {
	Source string // the source without user information; "builtin" for the embedded catalog
	Ref    string // the ref asked for (git)
	Commit string // the resolved commit (git)
	Pin    string // the object the ref points at: annotated tag or commit (git)
	Signer string // fingerprint of the verified signer's primary key
	Digest string // content digest of the embedded catalog
}

// Opened is a loaded catalog and where it came from.
type Opened struct {
	Catalog *catalog.Catalog
	Origin  Origin
}

// Open loads the catalog req names. Every error that comes from the
// source (a refused path, a limit, a bad signature, an unknown ref) is
// invalid input.
func (o *Opener) Open(ctx context.Context, req Request) (*Opened, error) {
	switch req.Spec.Kind {
	case Builtin:
		if req.Keyring != nil {
			return nil, failure.Invalidf("--keyring applies to git catalogs, not the built-in one")
		}
		cat, err := builtin.Catalog(ctx)
		if err != nil {
			return nil, err
		}
		d, err := builtin.Digest()
		if err != nil {
			return nil, err
		}
		return &Opened{Catalog: cat, Origin: Origin{Source: BuiltinName, Digest: d}}, nil
	case Dir:
		if req.Keyring != nil {
			return nil, failure.Invalidf("--keyring applies to git catalogs; a directory has no signatures")
		}
		m, err := readDir(ctx, req.Spec.URL)
		if err != nil {
			return nil, err
		}
		cat, err := load(ctx, m, "")
		if err != nil {
			return nil, err
		}
		return &Opened{Catalog: cat, Origin: Origin{Source: req.Spec.Display}}, nil
	case Git:
		return o.openGit(ctx, req)
	}
	return nil, fmt.Errorf("unknown catalog source kind %d", req.Spec.Kind)
}

func (o *Opener) cacheDir() (string, error) {
	if o.CacheDir != "" {
		return o.CacheDir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the cache directory for git catalogs: %w", err)
	}
	return filepath.Join(base, "secgen", "git"), nil
}

func (o *Opener) openGit(ctx context.Context, req Request) (*Opened, error) {
	if req.Keyring != nil {
		if err := CheckKeyring(req.Keyring); err != nil {
			return nil, err
		}
	}
	dir, err := o.cacheDir()
	if err != nil {
		return nil, err
	}
	g := &gitCache{dir: dir, offline: o.Offline}
	var out *Opened
	// open reads, verifies and loads the catalog at target in repo; it runs
	// on a fresh fetch before it enters the cache, and on a cached one.
	open := func(repo, target string) error {
		c, tag, m, cached := g.readSnapshot(target)
		var st *filesystem.Storage
		if !cached {
			st = openStore(repo)
			defer st.Close()
			var err error
			if c, tag, err = readCommit(st, target); err != nil {
				return err
			}
		}
		if req.Commit != "" && c.Hash.String() != req.Commit {
			return failure.Invalidf("catalog %s now resolves to commit %s, not %s as recorded; run secgen update first", req.Spec, short(c.Hash.String()), short(req.Commit))
		}
		origin := Origin{Source: req.Spec.Display, Ref: req.Spec.Ref, Commit: c.Hash.String(), Pin: target}
		// Trust is decided before any template is read.
		if req.Keyring != nil {
			var err error
			if origin.Signer, err = verify(req.Keyring, c, tag); err != nil {
				return err
			}
		}
		if !cached {
			var err error
			if m, err = readTree(ctx, st, c); err != nil {
				return err
			}
		}
		cat, err := load(ctx, m, origin.Commit)
		if err != nil {
			return err
		}
		if !cached {
			// Only a cache: when it cannot be written, the next open
			// reads the git objects again.
			_ = g.writeSnapshot(st, target, c, tag, m)
		}
		out = &Opened{Catalog: cat, Origin: origin}
		return nil
	}
	r, err := g.resolve(ctx, req.Spec, req.Pin, open)
	if err != nil {
		return nil, err
	}
	if out == nil || out.Origin.Pin != r.target {
		if err := open(r.repo, r.target); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// load validates a catalog snapshot.
func load(ctx context.Context, m *memFS, commit string) (*catalog.Catalog, error) {
	if _, err := m.ReadDir("templates"); err != nil {
		return nil, failure.Invalidf("the catalog has no templates/ directory")
	}
	return catalog.Load(ctx, catalog.Source{Templates: m.sub("templates"), Blueprints: m.sub("blueprints"), Commit: commit})
}
