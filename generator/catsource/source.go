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
	// Token, when set, is the credential sent (as HTTP basic auth) to an
	// https:// (or loopback http://) git catalog that asks for one. It is
	// never recorded, cached or printed.
	Token string
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
	// Digest, for a directory catalog, is the content digest of the
	// version to open (the one a manifest records): it is read from the
	// cache's snapshot of that version, or from the directory when it still
	// holds it.
	Digest string
	// Refresh resolves a tag on the remote even when the cache knows it,
	// so a tag that moved is noticed (catalog update).
	Refresh bool
	// AcceptMovedTag lets a tag that now points at another commit than the
	// cache recorded replace that record.
	AcceptMovedTag bool
}

// Origin is the provenance of an opened catalog.
type Origin struct {
	Source string // the source without user information; "builtin" for the embedded catalog
	Ref    string // the ref asked for (git)
	Commit string // the resolved commit (git)
	Pin    string // the object the ref points at: annotated tag or commit (git)
	Signer string // fingerprint of the verified signer's primary key
	Digest string // content digest of the embedded or directory catalog
	// Tag is set when Ref is a tag (git), which must never move.
	Tag bool
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
		return o.openDir(ctx, req)
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
	g := &gitCache{dir: dir, offline: o.Offline, token: o.Token}
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
		origin := Origin{Source: req.Spec.Display, Ref: req.Spec.Ref, Commit: c.Hash.String(), Pin: target, Tag: tag != nil || g.isTag(req.Spec)}
		if req.Commit != "" && origin.Commit != req.Commit {
			if origin.Tag {
				return &MovedTagError{Source: req.Spec.Display, Tag: req.Spec.Ref, Recorded: req.Commit, Now: origin.Commit, RecordedByRepo: true}
			}
			return failure.Invalidf("catalog %s now resolves to commit %s, not %s as recorded; run secgen update first", req.Spec, short(origin.Commit), short(req.Commit))
		}
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
	r, err := g.resolve(ctx, req, open)
	if err != nil {
		return nil, err
	}
	if out == nil || out.Origin.Pin != r.target {
		if err := open(r.repo, r.target); err != nil {
			return nil, err
		}
	}
	out.Origin.Tag = out.Origin.Tag || r.tag
	return out, nil
}

// load validates a catalog snapshot.
func load(ctx context.Context, m *memFS, commit string) (*catalog.Catalog, error) {
	if _, err := m.ReadDir("templates"); err != nil {
		return nil, failure.Invalidf("the catalog has no templates/ directory")
	}
	return catalog.Load(ctx, catalog.Source{Templates: m.sub("templates"), Blueprints: m.sub("blueprints"), Commit: commit})
}

// MovedTagError is the refusal of a tag that now points at another commit
// than the one a manifest or the cache recorded: two machines would
// disagree on what the release is. It is invalid input (exit 2).
type MovedTagError struct {
	Source, Tag    string
	Recorded, Now  string // full commit ids
	RecordedByRepo bool   // recorded by the project's manifest (else the cache)
}

func (e *MovedTagError) Error() string {
	where := "this machine's cache"
	if e.RecordedByRepo {
		where = "the project"
	}
	return fmt.Sprintf("tag %s of catalog %s now points at commit %s, but %s recorded commit %s: a release tag must not move; ask the catalog's publisher, or give --accept-moved-tag to accept %s", e.Tag, e.Source, e.Now, where, e.Recorded, short(e.Now))
}

// Unwrap classifies the refusal as invalid input.
func (e *MovedTagError) Unwrap() error { return failure.ErrInvalidInput }
