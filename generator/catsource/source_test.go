package catsource

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/catsource/catsourcetest"
	"github.com/secgen/secgen/generator/failure"
)

type fixture struct {
	*catsourcetest.Fixture
	url string
}

const control = catsourcetest.Control

func newFixture(t testing.TB, hostile bool) *fixture {
	t.Helper()
	fx, err := catsourcetest.NewFixture(t.TempDir(), hostile)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{Fixture: fx, url: "file://" + fx.Dir}
}

func open(t testing.TB, cache string, offline bool, req Request) (*Opened, error) {
	t.Helper()
	o := &Opener{CacheDir: cache, Offline: offline}
	return o.Open(context.Background(), req)
}

func spec(t testing.TB, source string) Spec {
	t.Helper()
	s, err := Parse(source, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// cacheEntries lists what the cache holds besides the obj and refs
// directories: anything named tmp-* is a half-finished fetch.
func cacheEntries(t testing.TB, cache string) (objs []string) {
	t.Helper()
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "tmp-") {
			t.Errorf("the cache holds a half-finished fetch %s", e.Name())
		}
	}
	objEntries, _ := os.ReadDir(filepath.Join(cache, objDir))
	for _, e := range objEntries {
		objs = append(objs, e.Name())
	}
	return objs
}

func TestOpenSignedTagThenOffline(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	cache := t.TempDir()
	got, err := open(t, cache, false, Request{Spec: spec(t, f.url+"@v1.0.0"), Keyring: f.Ring})
	if err != nil {
		t.Fatal(err)
	}
	if got.Origin.Commit != f.V100.String() || got.Catalog.Version != "1.0.0" || got.Catalog.Commit != f.V100.String() {
		t.Fatalf("origin %+v, version %s; want commit %s", got.Origin, got.Catalog.Version, f.V100)
	}
	if got.Origin.Signer != catsourcetest.Fingerprint(f.Signer) {
		t.Errorf("signer %s, want %s", got.Origin.Signer, catsourcetest.Fingerprint(f.Signer))
	}
	if got.Origin.Source != f.url || got.Origin.Ref != "v1.0.0" {
		t.Errorf("origin %+v", got.Origin)
	}
	// The repository is gone: the cached tag and the pinned object need no network.
	if err := os.RemoveAll(f.Dir); err != nil {
		t.Fatal(err)
	}
	for _, offline := range []bool{true, false} {
		again, err := open(t, cache, offline, Request{Spec: spec(t, f.url+"@v1.0.0"), Keyring: f.Ring})
		if err != nil {
			t.Fatalf("offline=%v: %v", offline, err)
		}
		if again.Origin != got.Origin {
			t.Errorf("offline=%v: origin %+v, want %+v", offline, again.Origin, got.Origin)
		}
		pinned, err := open(t, cache, offline, Request{Spec: spec(t, f.url+"@v1.0.0"), Pin: got.Origin.Pin, Keyring: f.Ring})
		if err != nil || pinned.Origin.Commit != f.V100.String() {
			t.Fatalf("offline=%v pinned: %v %+v", offline, err, pinned)
		}
	}
	// Something never fetched is an error offline.
	_, err = open(t, cache, true, Request{Spec: spec(t, f.url+"@v1.1.0")})
	var offline *failure.Sentence
	if !failure.IsInvalidInput(err) || !errors.As(err, &offline) || !strings.Contains(err.Error(), string(failure.FieldOffline)) {
		t.Errorf("offline miss: %v", err)
	}
}

func TestOpenSignedCommitByID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	cache := t.TempDir()
	got, err := open(t, cache, false, Request{Spec: spec(t, f.url+"@"+f.V110.String()), Keyring: f.Ring})
	if err != nil {
		t.Fatal(err)
	}
	if got.Origin.Commit != f.V110.String() || got.Origin.Signer == "" {
		t.Fatalf("origin %+v", got.Origin)
	}
	if _, err := open(t, cache, true, Request{Spec: spec(t, f.url+"@"+f.V110.String())}); err != nil {
		t.Fatalf("cached commit offline: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	for _, tc := range []struct {
		ref     string
		keyring bool
		want    string
	}{
		{"symlink", false, "symbolic link"},
		{"submodule", false, "submodule"},
		{"toomany", false, "more than 10000 files"},
		{"lfs", false, "LFS pointer"},
		{"dotgit", false, ".git"},
		{"dotdot", false, ".. element"},
		{"unsigned", true, "is not signed"},
		{"stranger", true, "not signed by a key in the keyring"},
		{"no-such-ref", false, "has no branch, tag or commit"},
		{strings.Repeat("0", 40), false, "has no branch, tag or commit"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			cache := t.TempDir()
			req := Request{Spec: spec(t, f.url+"@"+tc.ref)}
			if tc.keyring {
				req.Keyring = f.Ring
			}
			_, err := open(t, cache, false, req)
			if !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want invalid input containing %q", err, tc.want)
			}
			if objs := cacheEntries(t, cache); len(objs) != 0 {
				t.Errorf("a refused catalog entered the cache: %v", objs)
			}
		})
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, display, ref string
		kind             Kind
	}{
		{"builtin", "builtin", "", Builtin},
		{"https://git.example.test/org/cat@v1.0.0", "https://git.example.test/org/cat", "v1.0.0", Git},
		{"ssh://git@git.example.test/org/cat", "ssh://git.example.test/org/cat", "", Git},
		{"git@git.example.test:org/cat@main", "ssh://git.example.test/org/cat", "main", Git},
		{"file:///srv/cat@release/1", "file:///srv/cat", "release/1", Git},
		{"http://127.0.0.1:8080/cat", "http://127.0.0.1:8080/cat", "", Git},
	} {
		s, err := Parse(tc.in, "")
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if s.Kind != tc.kind || s.Display != tc.display || s.Ref != tc.ref {
			t.Errorf("%s: got %+v", tc.in, s)
		}
	}
	for _, bad := range []string{
		"https://user:hunter2@git.example.test/org/cat",
		"https://token@git.example.test/org/cat",
		"ssh://git:hunter2@git.example.test/org/cat",
		"git:hunter2@git.example.test:org/cat",
	} {
		_, err := Parse(bad, "")
		if !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "credential helper or SSH agent") || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "token@") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	for _, bad := range []string{"http://git.example.test/cat", "git://git.example.test/cat", "https://git.example.test/cat@..", "file://host/x"} {
		if _, err := Parse(bad, ""); !failure.IsInvalidInput(err) {
			t.Errorf("%s: %v, want refused", bad, err)
		}
	}
}

func TestDirectorySource(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for p, e := range catsourcetest.Catalog("1.0.0", control, "") {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, e.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := open(t, "", false, Request{Spec: spec(t, dir)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Catalog.ID != "acme" || !got.Catalog.HasBlueprint("service") || got.Origin.Source != dir {
		t.Fatalf("got %+v", got.Origin)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "templates/audit-log/files/x.tmpl")); err != nil {
		t.Fatal(err)
	}
	if _, err := open(t, "", false, Request{Spec: spec(t, dir)}); !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("symlink: %v", err)
	}
}

func TestBuiltinDigestIsStable(t *testing.T) {
	t.Parallel()
	a, err := open(t, "", true, Request{Spec: spec(t, "builtin")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.Origin.Digest, "sha256:") || len(a.Origin.Digest) != 71 {
		t.Fatalf("digest %q", a.Origin.Digest)
	}
}

func TestSnapshotCache(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	cache := t.TempDir()
	first, err := open(t, cache, false, Request{Spec: spec(t, f.url+"@v1.1.0"), Keyring: f.Ring})
	if err != nil {
		t.Fatal(err)
	}
	snapFile := filepath.Join(cache, snapDir, first.Origin.Pin)
	data, err := os.ReadFile(snapFile)
	if err != nil {
		t.Fatalf("no snapshot written: %v", err)
	}
	sn, err := decodeSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	if sn.tag == nil || string(encodeSnapshot(sn)) != string(data) {
		t.Error("a snapshot does not round-trip")
	}
	// A damaged snapshot is ignored: the catalog is read from git again.
	if err := os.WriteFile(snapFile, data[:len(data)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := open(t, cache, true, Request{Spec: spec(t, f.url+"@v1.1.0"), Keyring: f.Ring})
	if err != nil || again.Origin != first.Origin {
		t.Fatalf("after damage: %v %+v", err, again)
	}
	if got, _ := os.ReadFile(snapFile); string(got) != string(data) {
		t.Error("the damaged snapshot was not rewritten")
	}
	// A snapshot whose objects do not hash to its name is ignored.
	forged := sn
	forged.commit = []byte(strings.Replace(string(sn.commit), "v1.1.0", "v6.6.6", 1))
	if err := os.WriteFile(snapFile, encodeSnapshot(forged), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok := (&gitCache{dir: cache}).readSnapshot(snapDir, first.Origin.Pin); ok {
		t.Error("a snapshot with a forged commit was used")
	}
	if err := os.WriteFile(snapFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// The signature is still checked on a snapshot hit.
	_, stranger, err := catsourcetest.NewKey("Other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(t, cache, true, Request{Spec: spec(t, f.url+"@v1.1.0"), Keyring: stranger}); !failure.IsInvalidInput(err) {
		t.Fatalf("snapshot hit with the wrong keyring: %v", err)
	}
	// A snapshot holding a hostile path is refused like the tree would be.
	bad := snap{commit: []byte("x"), files: &memFS{files: map[string][]byte{"templates/../x": []byte("x")}, dirs: map[string][]fs.DirEntry{}}}
	if _, err := decodeSnapshot(encodeSnapshot(bad)); err == nil {
		t.Error("a snapshot with .. was accepted")
	}
}

// secgen's own repository is a directory catalog: the same catalog as the
// embedded one.
func TestRepositoryIsADirectoryCatalog(t *testing.T) {
	t.Parallel()
	dir, err := open(t, "", true, Request{Spec: spec(t, filepath.Join("..", ".."))})
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := open(t, "", true, Request{Spec: spec(t, "builtin")})
	if err != nil {
		t.Fatal(err)
	}
	if dir.Catalog.ID != embedded.Catalog.ID || strings.Join(dir.Catalog.ComponentNames(), ",") != strings.Join(embedded.Catalog.ComponentNames(), ",") ||
		strings.Join(dir.Catalog.BlueprintNames(), ",") != strings.Join(embedded.Catalog.BlueprintNames(), ",") {
		t.Fatalf("directory catalog %s %v differs from the embedded one %v", dir.Catalog.ID, dir.Catalog.ComponentNames(), embedded.Catalog.ComponentNames())
	}
}

// A remote that sends more than the fetch limit is cut off, and nothing of
// the fetch stays in the cache.
func TestFetchIsBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	cache := t.TempDir()
	g := &gitCache{dir: cache, fetchLimit: 1 << 10}
	_, err := g.fetch(context.Background(), spec(t, f.url+"@v1.0.0"), false, func(string, string) error { return nil })
	if !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "that is the limit for one fetch") {
		t.Fatalf("err = %v", err)
	}
	if objs := cacheEntries(t, cache); len(objs) != 0 {
		t.Errorf("a cut-off fetch entered the cache: %v", objs)
	}
	g.fetchLimit = 0 // MaxFetchSize
	if _, err := g.fetch(context.Background(), spec(t, f.url+"@v1.0.0"), false, func(string, string) error { return nil }); err != nil {
		t.Fatalf("within the limit: %v", err)
	}
}
