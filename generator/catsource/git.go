package catsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/secgen/secgen/generator/failure"
)

// The cache, under <user cache dir>/secgen/git:
//
//	obj/<id>   a bare repository holding (at least) the object id names and
//	           everything it reaches in one commit: id is what a ref
//	           pointed at (an annotated tag object or a commit). Written
//	           once, by renaming a finished fetch into place.
//	refs/<h>   the id a tag or commit resolved to, h = sha256(source "\n"
//	           ref), so a cached tag or commit needs no network (tags are
//	           treated as immutable, like Go module versions; branches are
//	           always resolved again).
//	tmp-*      fetches under way; removed when they fail.
const (
	objDir = "obj"
	refDir = "refs"
)

// TokenEnv is the environment variable the CLI reads a private catalog's
// credential from (Opener.Token).
const TokenEnv = "SECGEN_CATALOG_TOKEN"

// resolved is a ref resolved in the cache.
type resolved struct {
	repo   string // the bare repository in obj/
	target string // the object the ref points at (tag or commit)
	tag    bool   // the ref is a tag
	commit string // the commit target peels to, when known
}

// MaxFetchSize bounds the pack a remote may send for one fetch, so a
// hostile server cannot fill the disk. It is well above what a catalog
// within the file limits compresses to, leaving room for the fallback that
// fetches a repository's branches and tags in full.
const MaxFetchSize = 256 << 20

// gitCache fetches git catalogs into the cache.
type gitCache struct {
	dir     string
	offline bool
	token   string // basic-auth password for https remotes; never printed
	// fetchLimit is MaxFetchSize; tests lower it.
	fetchLimit int64
}

// errFetchTooLarge stops a fetch whose pack exceeds the limit.
var errFetchTooLarge = errors.New("fetch too large")

// boundedStore is a repository store whose incoming packs are bounded.
type boundedStore struct {
	*filesystem.Storage
	limit int64
}

// PackfileWriter wraps the store's pack writer with the size bound.
func (b boundedStore) PackfileWriter() (io.WriteCloser, error) {
	w, err := b.Storage.PackfileWriter()
	if err != nil {
		return nil, err
	}
	return &boundedWriter{w: w, left: b.limit}, nil
}

type boundedWriter struct {
	w    io.WriteCloser
	left int64
}

func (b *boundedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > b.left {
		return 0, errFetchTooLarge
	}
	b.left -= int64(len(p))
	return b.w.Write(p)
}

func (b *boundedWriter) Close() error { return b.w.Close() }

func (g *gitCache) objPath(id string) string { return filepath.Join(g.dir, objDir, id) }

func (g *gitCache) refPath(spec Spec) string {
	sum := sha256.Sum256([]byte(spec.Display + "\n" + spec.Ref))
	return filepath.Join(g.dir, refDir, hex.EncodeToString(sum[:]))
}

func exists(p string) bool {
	info, err := os.Lstat(p)
	return err == nil && info.IsDir()
}

// cached returns the cached repository for an object id, if any.
func (g *gitCache) cached(id string) (string, bool) {
	p := g.objPath(id)
	return p, exists(p)
}

// resolve finds spec's ref in the cache or, unless offline, on the remote,
// fetching it when it is not cached. pin, when set, is the object id the
// ref was pinned to: a cached pin needs no network at all. check is run on
// a fresh fetch before it is moved into the cache, so a catalog that is
// refused never enters it.
func (g *gitCache) resolve(ctx context.Context, req Request, check func(repo, target string) error) (resolved, error) {
	spec, pin := req.Spec, req.Pin
	if pin != "" && !req.Refresh {
		if p, ok := g.cached(pin); ok {
			return resolved{repo: p, target: pin}, nil
		}
	}
	if CommitPattern.MatchString(spec.Ref) {
		if p, ok := g.cached(spec.Ref); ok {
			return resolved{repo: p, target: spec.Ref}, nil
		}
	}
	// The ref index holds only tags and commits: a branch, which may move,
	// is always resolved on the remote.
	if spec.Ref != "" && !req.Refresh {
		if id := g.cachedRef(spec); id != "" {
			if p, ok := g.cached(id); ok && (pin == "" || pin == id) {
				return resolved{repo: p, target: id, tag: !CommitPattern.MatchString(spec.Ref)}, nil
			}
		}
	}
	if g.offline {
		return resolved{}, failure.Says("catalog ", spec.String(), " is not in the cache and ", failure.FieldOffline, " forbids fetching it")
	}
	r, err := g.fetch(ctx, spec, req.AcceptMovedTag, check)
	if err != nil {
		return resolved{}, err
	}
	if pin != "" && r.target != pin {
		return resolved{}, failure.Invalidf("catalog %s now points at %s, not at the pinned %s; run secgen catalog update", spec, short(r.target), short(pin))
	}
	return r, nil
}

// cachedRef is the object id the cache recorded for spec's tag or commit,
// or "".
func (g *gitCache) cachedRef(spec Spec) string {
	data, err := os.ReadFile(g.refPath(spec))
	if err != nil {
		return ""
	}
	id := strings.TrimSpace(string(data))
	if !CommitPattern.MatchString(id) {
		return ""
	}
	return id
}

// isTag reports whether the cache recorded spec's ref as a tag (the ref
// index holds only tags and full commit ids).
func (g *gitCache) isTag(spec Spec) bool {
	return spec.Ref != "" && !CommitPattern.MatchString(spec.Ref) && g.cachedRef(spec) != ""
}

// auth is the credential for spec's remote: the token as basic auth over
// https (or loopback http), nothing otherwise.
func (g *gitCache) auth(spec Spec) transport.AuthMethod {
	if g.token == "" || !(strings.HasPrefix(spec.URL, "https://") || strings.HasPrefix(spec.URL, "http://")) {
		return nil
	}
	return &githttp.BasicAuth{Username: "secgen", Password: g.token}
}

// openStore opens a cached repository's object store directly: no
// configuration or hooks of any repository are read. Pack files stay open
// while a catalog is read (close the store afterwards).
func openStore(repo string) *filesystem.Storage {
	return filesystem.NewStorageWithOptions(osfs.New(repo, osfs.WithBoundOS()), cache.NewObjectLRUDefault(), filesystem.Options{KeepDescriptors: true})
}

// fetch lists the remote, finds the ref and fetches only it (shallow when
// the server allows) into a temporary repository, which is checked and
// then renamed into obj/.
func (g *gitCache) fetch(ctx context.Context, spec Spec, acceptMoved bool, check func(repo, target string) error) (resolved, error) {
	if err := os.MkdirAll(filepath.Join(g.dir, objDir), 0o755); err != nil {
		return resolved{}, fmt.Errorf("create catalog cache: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(g.dir, refDir), 0o755); err != nil {
		return resolved{}, fmt.Errorf("create catalog cache: %w", err)
	}
	tmp, err := os.MkdirTemp(g.dir, "tmp-")
	if err != nil {
		return resolved{}, fmt.Errorf("create catalog cache: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			_ = os.RemoveAll(tmp)
		}
	}()
	st := openStore(tmp)
	defer st.Close()
	if _, err := git.Init(st, nil); err != nil {
		return resolved{}, fmt.Errorf("prepare fetch: %w", err)
	}
	limit := g.fetchLimit
	if limit == 0 {
		limit = MaxFetchSize
	}
	remote := git.NewRemote(boundedStore{Storage: st, limit: limit}, &config.RemoteConfig{Name: "origin", URLs: []string{spec.URL}})
	auth := g.auth(spec)
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		return resolved{}, g.remoteError(spec, "list", err)
	}
	want, name, isTagRef, err := pickRef(spec, refs)
	if err != nil {
		return resolved{}, err
	}
	res := resolved{target: want, tag: isTagRef}
	// A tag the cache knows at another object must still peel to the same
	// commit: a moved release tag is refused (both commits named).
	old := ""
	if isTagRef && !acceptMoved {
		if old = g.cachedRef(spec); old == want {
			old = ""
		}
	}
	if p, ok := g.cached(want); ok {
		res.repo = p
		if old != "" {
			if now := g.peel(want); now != g.peel(old) {
				return resolved{}, g.movedTag(spec, old, now)
			}
		}
		return res, g.recordRef(spec, res)
	}
	opts := &git.FetchOptions{Tags: git.NoTags, Depth: 1, Auth: auth}
	if name != "" {
		opts.RefSpecs = []config.RefSpec{config.RefSpec("+" + name + ":" + name)}
	} else {
		opts.RefSpecs = []config.RefSpec{config.RefSpec(want + ":refs/secgen/want")}
	}
	err = remote.FetchContext(ctx, opts)
	if errors.Is(err, git.ErrExactSHA1NotSupported) {
		// The server will not send an arbitrary commit: fetch its branches
		// and tags in full, and look for the commit among them.
		opts = &git.FetchOptions{Tags: git.NoTags, Auth: auth, RefSpecs: []config.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}}
		err = remote.FetchContext(ctx, opts)
	}
	if errors.Is(err, errFetchTooLarge) {
		return resolved{}, failure.Invalidf("catalog %s sent more than %d MiB; that is the limit for one fetch", spec.Display, limit>>20)
	}
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return resolved{}, g.remoteError(spec, "fetch", err)
	}
	if _, err := st.EncodedObject(plumbing.AnyObject, plumbing.NewHash(want)); err != nil {
		return resolved{}, failure.Invalidf("catalog %s has no branch, tag or commit %s", spec.Display, failure.Quote(spec.Ref))
	}
	c, _, err := readCommit(st, want)
	if err != nil {
		return resolved{}, err
	}
	res.commit = c.Hash.String()
	if old != "" && g.peel(old) != res.commit {
		return resolved{}, g.movedTag(spec, old, res.commit)
	}
	if err := check(tmp, want); err != nil {
		return resolved{}, err
	}
	dst := g.objPath(want)
	if err := st.Close(); err != nil {
		return resolved{}, fmt.Errorf("close fetched catalog: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		if !exists(dst) { // another secgen may have won the race
			return resolved{}, fmt.Errorf("store catalog in cache: %w", err)
		}
	} else {
		keep = true
	}
	res.repo = dst
	return res, g.recordRef(spec, res)
}

// recordRef remembers, atomically, what a tag resolved to, and where the
// commit it peels to is cached.
func (g *gitCache) recordRef(spec Spec, r resolved) error {
	if r.tag {
		if err := g.writeRef(spec, r.target); err != nil {
			return err
		}
	}
	if r.commit != "" && r.commit != r.target {
		at := spec
		at.Ref = r.commit
		return g.writeRef(at, r.target)
	}
	return nil
}

func (g *gitCache) writeRef(spec Spec, target string) error {
	f, err := os.CreateTemp(filepath.Join(g.dir, refDir), "tmp-")
	if err != nil {
		return fmt.Errorf("record catalog ref: %w", err)
	}
	_, werr := f.WriteString(target + "\n")
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("record catalog ref: %w", err)
	}
	if err := os.Rename(f.Name(), g.refPath(spec)); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("record catalog ref: %w", err)
	}
	return nil
}

// movedTag is the refusal of a tag that the cache recorded at object old
// and that now peels to commit now.
func (g *gitCache) movedTag(spec Spec, old, now string) error {
	return &MovedTagError{Source: spec.Display, Tag: spec.Ref, Recorded: g.peel(old), Now: now}
}

// peel returns the commit a cached object peels to, or the object id when
// it cannot be read.
func (g *gitCache) peel(id string) string {
	p, ok := g.cached(id)
	if !ok {
		return id
	}
	st := openStore(p)
	defer st.Close()
	c, _, err := readCommit(st, id)
	if err != nil {
		return id
	}
	return c.Hash.String()
}

// remoteError reports a failure to reach a remote without its user info
// (nor the token, which go-git never puts in an error).
func (g *gitCache) remoteError(spec Spec, op string, err error) error {
	if errors.Is(err, transport.ErrAuthenticationRequired) || errors.Is(err, transport.ErrAuthorizationFailed) {
		if g.token == "" {
			return fmt.Errorf("catalog %s asks for a credential: set %s to a token that can read it (in CI, from a secret)", spec.Display, TokenEnv)
		}
		return fmt.Errorf("catalog %s refused the token in %s: give a token that can read it", spec.Display, TokenEnv)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is said once, without user information
	}
	msg := err.Error()
	if g.token != "" {
		msg = strings.ReplaceAll(msg, g.token, "***")
	}
	if spec.URL != spec.Display {
		msg = strings.ReplaceAll(msg, spec.URL, spec.Display)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	verb := "cannot reach"
	if op == "fetch" {
		verb = "cannot fetch from"
	}
	return fmt.Errorf("%s catalog %s: %s", verb, spec.Display, msg)
}

// pickRef finds spec.Ref among the advertised refs: a full commit id, a
// full ref name, a tag, then a branch; "" is HEAD. It returns the id the
// ref points at, the ref name to fetch ("" to fetch by id) and whether it
// is a tag.
func pickRef(spec Spec, refs []*plumbing.Reference) (id, name string, tag bool, err error) {
	byName := map[string]string{}
	headTarget := ""
	for _, r := range refs {
		switch {
		case r.Type() == plumbing.HashReference:
			byName[r.Name().String()] = r.Hash().String()
		case r.Name() == plumbing.HEAD:
			headTarget = r.Target().String()
		}
	}
	ref := spec.Ref
	if ref == "" {
		switch {
		case headTarget != "":
			ref = headTarget
		case byName["HEAD"] != "":
			ref = byName["HEAD"]
		default:
			return "", "", false, failure.Invalidf("catalog %s has no default branch; give @REF", spec.Display)
		}
	}
	if CommitPattern.MatchString(ref) {
		for n, h := range byName {
			if h == ref && (strings.HasPrefix(n, "refs/heads/") || strings.HasPrefix(n, "refs/tags/")) {
				return ref, n, strings.HasPrefix(n, "refs/tags/"), nil
			}
		}
		return ref, "", false, nil
	}
	for _, n := range []string{ref, "refs/tags/" + ref, "refs/heads/" + ref} {
		if !strings.HasPrefix(n, "refs/heads/") && !strings.HasPrefix(n, "refs/tags/") {
			continue
		}
		if h, ok := byName[n]; ok {
			return h, n, strings.HasPrefix(n, "refs/tags/"), nil
		}
	}
	return "", "", false, failure.Invalidf("catalog %s has no branch, tag or commit %s", spec.Display, failure.Quote(spec.Ref))
}

// readCommit peels id (a tag or a commit) to its commit.
func readCommit(st *filesystem.Storage, id string) (*object.Commit, *object.Tag, error) {
	h := plumbing.NewHash(id)
	var tag *object.Tag
	for range 4 {
		t, err := object.GetTag(st, h)
		if err != nil {
			break
		}
		if tag == nil {
			tag = t
		}
		if t.TargetType != plumbing.CommitObject && t.TargetType != plumbing.TagObject {
			return nil, nil, failure.Invalidf("tag %s does not point at a commit", short(id))
		}
		h = t.Target
	}
	c, err := object.GetCommit(st, h)
	if err != nil {
		return nil, nil, failure.Invalidf("catalog object %s is not a commit or a tag of one", short(id))
	}
	return c, tag, nil
}

// readTree reads the parts tops of a commit's tree from git objects only.
// A symbolic link, a submodule (gitlink) or any other non-regular entry is
// refused; so is an unsafe name.
func readTree(ctx context.Context, st storer.EncodedObjectStorer, c *object.Commit, tops []string) (*memFS, error) {
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", short(c.Hash.String()), err)
	}
	s := newSnapshot()
	for _, top := range tops {
		e, err := tree.FindEntry(top)
		if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", top, err)
		}
		if e.Mode != filemode.Dir {
			return nil, failure.Invalidf("catalog path %s is not a directory", top)
		}
		sub, err := object.GetTree(st, e.Hash)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", top, err)
		}
		if err := walkTree(ctx, st, sub, top, s); err != nil {
			return nil, err
		}
	}
	return s.fs(), nil
}

func walkTree(ctx context.Context, st storer.EncodedObjectStorer, t *object.Tree, dir string, s *snapshot) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.addDir(dir)
	for _, e := range t.Entries {
		if err := checkName(dir, e.Name); err != nil {
			return err
		}
		p := path.Join(dir, e.Name)
		switch e.Mode {
		case filemode.Dir:
			sub, err := object.GetTree(st, e.Hash)
			if err != nil {
				return fmt.Errorf("read %s: %w", p, err)
			}
			if err := walkTree(ctx, st, sub, p, s); err != nil {
				return err
			}
		case filemode.Regular, filemode.Deprecated, filemode.Executable:
			if err := readBlob(st, e, p, s); err != nil {
				return err
			}
		case filemode.Symlink:
			return failure.Invalidf("catalog path %s is a symbolic link, which a catalog may not contain", failure.Quote(p))
		case filemode.Submodule:
			return failure.Invalidf("catalog path %s is a git submodule, which secgen does not follow", failure.Quote(p))
		default:
			return failure.Invalidf("catalog path %s is not a regular file", failure.Quote(p))
		}
	}
	return nil
}

func readBlob(st storer.EncodedObjectStorer, e object.TreeEntry, p string, s *snapshot) error {
	b, err := object.GetBlob(st, e.Hash)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	if err := s.reserve(p, b.Size); err != nil {
		return err
	}
	r, err := b.Reader()
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	defer r.Close()
	if err := s.addFrom(p, r); err != nil {
		return err
	}
	if e.Mode == filemode.Executable {
		s.exec[p] = true
	}
	return nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

var _ fs.FS = (*memFS)(nil)

// Tags lists the tags of a git catalog's remote (names without
// refs/tags/). It always asks the remote.
func (o *Opener) Tags(ctx context.Context, spec Spec) ([]string, error) {
	if spec.Kind != Git {
		return nil, failure.Invalidf("catalog %s is not a git repository; it has no tags", spec.Display)
	}
	if o.Offline {
		return nil, failure.Says("listing the tags of catalog ", spec.Display, " needs the network, which ", failure.FieldOffline, " forbids")
	}
	dir, err := o.cacheDir()
	if err != nil {
		return nil, err
	}
	g := &gitCache{dir: dir, token: o.Token}
	remote := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{spec.URL}})
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: g.auth(spec)})
	if err != nil {
		return nil, g.remoteError(spec, "list", err)
	}
	var tags []string
	for _, r := range refs {
		if name, ok := strings.CutPrefix(r.Name().String(), "refs/tags/"); ok && !strings.HasSuffix(name, "^{}") {
			tags = append(tags, name)
		}
	}
	return tags, nil
}
