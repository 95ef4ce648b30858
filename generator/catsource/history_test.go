package catsource

import (
	"context"
	"github.com/secgen/secgen/generator/builtin"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/catsource/catsourcetest"
	"github.com/secgen/secgen/generator/failure"
)

// `make catalog-history` packs each earlier catalog version from the
// repository's history; the reader opens any of them with go-git, offline.
func TestCatalogHistoryScriptAndReader(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed to build the catalog history")
	}
	script, err := filepath.Abs("../../scripts/catalog-history.sh")
	if err != nil {
		t.Fatal(err)
	}
	_, run, commit := historyRepo(t)
	run("git", "init", "-q")
	commit("1.0.0", "")
	commit("1.0.0", "# a fix released with 1.0.0\n")
	commit("1.1.0", "# since 1.1.0\n")
	commit("1.2.0", "# since 1.2.0\n")
	out := filepath.Join(t.TempDir(), "history")
	run(script, out)
	pack, err := os.ReadFile(filepath.Join(out, "catalog.pack"))
	if err != nil {
		t.Fatal(err)
	}
	versions, err := os.ReadFile(filepath.Join(out, "versions"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(versions), "\n"); n != 2 {
		t.Fatalf("versions = %q, want 1.0.0 and 1.1.0", versions)
	}
	ctx := context.Background()
	for _, c := range []struct{ version, has, hasNot string }{
		{"1.0.0", "a fix released with 1.0.0", "since 1.1.0"},
		{"1.1.0", "since 1.1.0", "a fix released"},
	} {
		cat, err := historyVersion(ctx, pack, versions, c.version)
		if err != nil {
			t.Fatalf("%s: %v", c.version, err)
		}
		if cat.Version != c.version {
			t.Errorf("opened version %s, want %s", cat.Version, c.version)
		}
		comp, err := cat.Component("audit-log")
		if err != nil {
			t.Fatal(err)
		}
		b, err := fs.ReadFile(comp.Files, "audit/{{ .name }}.yaml.tmpl")
		if err != nil {
			t.Fatal(err)
		}
		data := string(b)
		if !strings.Contains(data, c.has) || strings.Contains(data, c.hasNot) {
			t.Errorf("%s renders from %q", c.version, data)
		}
	}
	// The current version is not in the history; neither is an unknown one.
	if _, err := historyVersion(ctx, pack, versions, "1.2.0"); !failure.IsInvalidInput(err) {
		t.Errorf("1.2.0: %v", err)
	}
	// The same history gives the same bytes.
	again := filepath.Join(t.TempDir(), "history")
	run(script, again)
	if b, _ := os.ReadFile(filepath.Join(again, "catalog.pack")); string(b) != string(pack) {
		t.Error("the pack is not reproducible")
	}
}

// The history embedded in this binary parses, and names what it holds
// when a version is missing.
func TestBuiltinVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cat, err := builtin.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := BuiltinVersion(ctx, cat.Version)
	if err != nil || cur.ID != "builtin" || cur.Version != cat.Version {
		t.Fatalf("current version: %v", err)
	}
	// Every version the history lists opens, as that version.
	for _, v := range builtin.HistoryVersions() {
		old, err := BuiltinVersion(ctx, v)
		if err != nil {
			t.Errorf("history version %s: %v", v, err)
			continue
		}
		if old.Version != v {
			t.Errorf("history version %s opens as %s", v, old.Version)
		}
	}
	_, err = BuiltinVersion(ctx, "0.0.1")
	if !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "built-in catalog 0.0.1 is not in this secgen's history") {
		t.Fatalf("missing version: %v", err)
	}
}

// historyRepo makes an empty git repository for the history script, with a
// runner and a commit of the fixture catalog at a version (plus extra text).
func historyRepo(t *testing.T) (repo string, run func(args ...string) string, commit func(version, extra string)) {
	t.Helper()
	repo = t.TempDir()
	run = func(args ...string) string {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+repo,
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@localhost", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@localhost")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	commit = func(version, extra string) {
		for p, e := range catsourcetest.Catalog(version, catsourcetest.Control, extra) {
			full := filepath.Join(repo, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, e.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		run("git", "add", "-A")
		run("git", "commit", "-q", "-m", version)
	}
	return repo, run, commit
}

// A version released before its bump (output kept changing under the same
// version) is packed from the commit scripts/catalog-released names, not from
// the commit just before the bump; a record naming another version's commit
// is refused.
func TestCatalogHistoryReleasedCommit(t *testing.T) {
	t.Parallel()
	script, err := filepath.Abs("../../scripts/catalog-history.sh")
	if err != nil {
		t.Fatal(err)
	}
	repo, run, commit := historyRepo(t)
	run("git", "init", "-q")
	commit("1.0.0", "# as released\n")
	released := run("git", "rev-parse", "HEAD")
	commit("1.0.0", "# changed after the release, before the bump\n")
	record := filepath.Join(repo, "scripts", "catalog-released")
	if err := os.MkdirAll(filepath.Dir(record), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(record, []byte("# what landed as 1.0.0\n1.0.0 "+released+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	commit("1.1.0", "# since 1.1.0\n")
	out := filepath.Join(t.TempDir(), "history")
	run(script, out)
	pack, _ := os.ReadFile(filepath.Join(out, "catalog.pack"))
	versions, _ := os.ReadFile(filepath.Join(out, "versions"))
	cat, err := historyVersion(context.Background(), pack, versions, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	comp, err := cat.Component("audit-log")
	if err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(comp.Files, "audit/{{ .name }}.yaml.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "as released") || strings.Contains(string(b), "changed after the release") {
		t.Errorf("1.0.0 renders from %q, want the released commit", b)
	}
	// A record that names a commit of another version is refused.
	if err := os.WriteFile(record, []byte("1.0.0 "+run("git", "rev-parse", "HEAD")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, filepath.Join(t.TempDir(), "bad"))
	cmd.Dir = repo
	if msg, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(msg), "is not catalog version 1.0.0") {
		t.Errorf("a record naming a 1.1.0 commit: %v %s", err, msg)
	}
}
