// Package version builds secgen from a git clone of this repository, as a
// user who builds from a checkout would, and checks the version it reports
// and records: the commit's pseudo-version, which go install can fetch,
// and for a tree with uncommitted changes a +dirty version that new warns
// about, since the generated CI would refuse it.
package version

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

type versionJSON struct {
	Version     string `json:"version"`
	Installable bool   `json:"installable"`
}

func version(t *testing.T, bin string) versionJSON {
	t.Helper()
	var v versionJSON
	if err := json.Unmarshal([]byte(run(t, ".", nil, bin, "version", "-o", "json")), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCheckoutBuildRecordsItsCommit(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "secgen")
	run(t, ".", nil, "git", "clone", "-q", "--no-hardlinks", root, clone)
	head := strings.TrimSpace(run(t, clone, nil, "git", "rev-parse", "HEAD"))
	// -buildvcs=true whatever the machine's go env says: what a user's
	// default (auto) does in a checkout.
	env := []string{"GOFLAGS=-buildvcs=true", "GOWORK=off"}
	bin := filepath.Join(t.TempDir(), "secgen")
	run(t, clone, env, "go", "build", "-o", bin, "./cmd/secgen")

	v := version(t, bin)
	pseudo := regexp.MustCompile(`^\d+\.\d+\.\d+-(?:\d+\.)?\d{14}-([0-9a-f]{12})$`)
	m := pseudo.FindStringSubmatch(v.Version)
	if m == nil || !strings.HasPrefix(head, m[1]) || !v.Installable {
		t.Fatalf("a clean checkout of %s reports version %q (installable %v), want the pseudo-version of that commit", head, v.Version, v.Installable)
	}
	work := t.TempDir()
	run(t, work, nil, bin, "new", "go-service", "clean", "--no-input", "--no-git")
	manifest, err := os.ReadFile(filepath.Join(work, "clean", ".secgen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(manifest), "\nsecgen_version: "+v.Version+"\n") {
		t.Errorf("the manifest does not record %s:\n%.300s", v.Version, manifest)
	}

	// Uncommitted changes: the version says so, and new warns.
	if err := os.WriteFile(filepath.Join(clone, "README.md"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, clone, env, "go", "build", "-o", bin, "./cmd/secgen")
	d := version(t, bin)
	if d.Version != v.Version+"+dirty" || d.Installable {
		t.Fatalf("a checkout with uncommitted changes reports %q (installable %v), want %s+dirty, not installable", d.Version, d.Installable, v.Version)
	}
	out := run(t, work, nil, bin, "new", "go-service", "dirty", "--no-input", "--no-git")
	if !strings.Contains(out, "warning: .secgen.yaml records secgen "+d.Version+", which was built from a git checkout with uncommitted changes, so the generated CI's secgen job will refuse it") {
		t.Errorf("new from a dirty build did not warn:\n%s", out)
	}
}
