package catsource

import (
	"context"
	"fmt"
	"io/fs"
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
	// Proof reads, besides the catalog, its golden cases (goldens/) for
	// secgen lint and test, and does not load it: Opened.Proof is set
	// and Opened.Catalog is nil. Git catalogs only; the files are held to
	// the same signature, limits and path checks.
	Proof bool
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
	// Proof is set instead of Catalog for a Request.Proof.
	Proof *Proof
}

// Proof is what secgen lint and secgen test read of a catalog: its source,
// to load and lint, and its golden cases.
type Proof struct {
	Source catalog.Source
	// Goldens is the catalog's goldens/ directory; empty when it has none.
	Goldens fs.FS
}

// Open loads the catalog req names. Every error that comes from the
// source (a refused path, a limit, a bad signature, an unknown ref) is
// invalid input.
func (o *Opener) Open(ctx context.Context, req Request) (*Opened, error) {
	if req.Proof && req.Spec.Kind != Git {
		return nil, fmt.Errorf("catalog %s: only a git catalog is opened with its golden cases", req.Spec)
	}
	switch req.Spec.Kind {
	case Builtin:
		if req.Keyring != nil {
			return nil, &failure.FieldError{Field: failure.FieldKeyring, Reason: "applies to git catalogs, not the built-in one"}
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
			return nil, &failure.FieldError{Field: failure.FieldKeyring, Reason: "applies to git catalogs; a directory has no signatures"}
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
	op := &gitOpen{g: &gitCache{dir: dir, offline: o.Offline, token: o.Token}, req: req, parts: catalogParts}
	if req.Proof {
		op.parts = proofParts
	}
	// op.open runs on a fresh fetch before it enters the cache, and on a
	// cached one.
	r, err := op.g.resolve(ctx, req, func(repo, target string) error { return op.open(ctx, repo, target) })
	if err != nil {
		return nil, err
	}
	if op.out == nil || op.out.Origin.Pin != r.target {
		if err := op.open(ctx, r.repo, r.target); err != nil {
			return nil, err
		}
	}
	op.out.Origin.Tag = op.out.Origin.Tag || r.tag
	return op.out, nil
}

// parts says which parts of a git catalog an open reads and where the
// cache keeps their decoded snapshots.
type parts struct {
	dirs    []string
	snapDir string
}

var (
	// catalogParts are what loading a catalog needs.
	catalogParts = parts{dirs: catalogDirs, snapDir: snapDir}
	// proofParts are what secgen lint and test need (Request.Proof).
	proofParts = parts{dirs: proofDirs, snapDir: proofSnapDir}
)

// gitOpen is one open of a git catalog.
type gitOpen struct {
	g     *gitCache
	req   Request
	parts parts
	out   *Opened
}

// open reads, verifies and loads the catalog at target in repo (or its
// cached snapshot). Trust is decided before any file is read.
func (op *gitOpen) open(ctx context.Context, repo, target string) error {
	g, req := op.g, op.req
	c, tag, m, cached := g.readSnapshot(op.parts.snapDir, target)
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
	if err := checkRecorded(req, origin); err != nil {
		return err
	}
	if req.Keyring != nil {
		var err error
		if origin.Signer, err = verify(req.Keyring, c, tag); err != nil {
			return err
		}
	}
	if !cached {
		var err error
		if m, err = readTree(ctx, st, c, op.parts.dirs); err != nil {
			return err
		}
	}
	out := &Opened{Origin: origin}
	if req.Proof {
		// lint and test load the catalog themselves: lint reports what
		// stops it loading as findings.
		out.Proof = &Proof{Source: source(m, origin.Commit), Goldens: m.sub("goldens")}
	} else {
		var err error
		if out.Catalog, err = load(ctx, m, origin.Commit); err != nil {
			return err
		}
	}
	if !cached {
		// Only a cache: when it cannot be written, the next open reads
		// the git objects again.
		_ = g.writeSnapshot(op.parts.snapDir, st, target, c, tag, m)
	}
	op.out = out
	return nil
}

// checkRecorded refuses a ref that no longer resolves to the commit the
// request holds it to.
func checkRecorded(req Request, origin Origin) error {
	if req.Commit == "" || origin.Commit == req.Commit {
		return nil
	}
	if origin.Tag {
		return &MovedTagError{Source: req.Spec.Display, Tag: req.Spec.Ref, Recorded: req.Commit, Now: origin.Commit, RecordedByRepo: true}
	}
	return failure.Invalidf("catalog %s now resolves to commit %s, not %s as recorded; run secgen update first", req.Spec, short(origin.Commit), short(req.Commit))
}

// source is the catalog source of a snapshot.
func source(m *memFS, commit string) catalog.Source {
	return catalog.Source{Templates: m.sub("templates"), Blueprints: m.sub("blueprints"), Commit: commit}
}

// load validates a catalog snapshot.
func load(ctx context.Context, m *memFS, commit string) (*catalog.Catalog, error) {
	if _, err := m.ReadDir("templates"); err != nil {
		return nil, failure.Invalidf("the catalog has no templates/ directory")
	}
	return catalog.Load(ctx, source(m, commit))
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
	return e.Render(func(f failure.Field) string { return string(f) })
}

// Render writes the refusal with the field that accepts the move called
// name(failure.FieldAcceptMovedTag).
func (e *MovedTagError) Render(name func(failure.Field) string) string {
	where := "this machine's cache"
	if e.RecordedByRepo {
		where = "the project"
	}
	return fmt.Sprintf("tag %s of catalog %s now points at commit %s, but %s recorded commit %s: a release tag must not move; ask the catalog's publisher, or give %s to accept %s", e.Tag, e.Source, e.Now, where, e.Recorded, name(failure.FieldAcceptMovedTag), short(e.Now))
}

// Unwrap classifies the refusal as invalid input.
func (e *MovedTagError) Unwrap() error { return failure.ErrInvalidInput }
