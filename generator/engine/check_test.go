package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckUpToDateThenChangedThenConflicts(t *testing.T) {
	t.Parallel()
	root := newProject(t)
	e := engineAt(t, 1)
	res, err := e.Check(context.Background(), CheckRequest{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != CheckUpToDate || len(res.Changed) != 0 || len(res.Outdated) != 0 {
		t.Fatalf("fresh project: %+v", res)
	}

	// A user change is information, not a failure; --diff shows it against
	// what secgen generated.
	write(t, root, "config.yaml", strings.Replace(configV1, "{{ .name }}", "demo", 1)+"extra: yes\n")
	res, err = e.Check(context.Background(), CheckRequest{Dir: root, Diff: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != CheckUpToDate || len(res.Changed) != 1 || res.Changed[0].Path != "config.yaml" ||
		!strings.Contains(res.Changed[0].Diff, "+extra: yes") || !strings.Contains(res.Changed[0].Diff, "--- a/config.yaml") {
		t.Fatalf("changed file: %+v", res)
	}
	if err := os.Remove(filepath.Join(root, "README.md")); err != nil {
		t.Fatal(err)
	}
	res, err = e.Check(context.Background(), CheckRequest{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changed) != 2 || !res.Changed[0].Deleted || res.Changed[0].Path != "README.md" {
		t.Fatalf("deleted file: %+v", res.Changed)
	}

	write(t, root, "deploy/extra.yaml", "name: demo\n<<<<<<< yours\nreplicas: 3\n=======\nreplicas: 2\n>>>>>>> secgen\n")
	res, err = e.Check(context.Background(), CheckRequest{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != CheckConflicts || len(res.Conflicts) != 1 || res.Conflicts[0] != (ConflictMarker{Path: "deploy/extra.yaml", Line: 2}) {
		t.Fatalf("conflicts: %+v", res)
	}
}

func TestCheckUpdateAvailable(t *testing.T) {
	t.Parallel()
	root := newProject(t)
	// This secgen's catalog is newer than the recorded one.
	res, err := engineAt(t, 2).Check(context.Background(), CheckRequest{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != CheckUpdateAvailable || res.RecordedVersion != "0.1.0" || res.CatalogVersion != "0.2.0" {
		t.Fatalf("newer catalog: %+v", res)
	}
	// A project recorded by a newer catalog than this secgen's is refused.
	root2 := filepath.Join(t.TempDir(), "p")
	if _, err := engineAt(t, 2).New(context.Background(), NewRequest{Blueprint: "bp", Target: root2, StoreBases: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := engineAt(t, 1).Check(context.Background(), CheckRequest{Dir: root2}); err == nil {
		t.Error("a project from a newer catalog was checked against an older one")
	}
	// Same version, but the manifest records content the catalog does not
	// render: update would change that file.
	mpath := filepath.Join(root, ".secgen.yaml")
	data, err := os.ReadFile(mpath)
	if err != nil {
		t.Fatal(err)
	}
	m := readManifestT(t, root)
	var readme string
	for _, f := range m.Files {
		if f.Path == "README.md" {
			readme = f.SHA256
		}
	}
	data = []byte(strings.Replace(string(data), readme, strings.Repeat("0", 64), 1))
	if err := os.WriteFile(mpath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = engineAt(t, 1).Check(context.Background(), CheckRequest{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != CheckUpdateAvailable || len(res.Outdated) != 1 || res.Outdated[0] != "README.md" {
		t.Fatalf("outdated record: %+v", res)
	}
}

func TestCheckPlaceholders(t *testing.T) {
	t.Parallel()
	root := newProject(t)
	mpath := filepath.Join(root, ".secgen.yaml")
	data, err := os.ReadFile(mpath)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "answers:\n", "answers:\n  aws_account_id: \"123456789012\"\n  image: r.example.com/x@sha256:"+strings.Repeat("0", 64)+"\n", 1))
	if err := os.WriteFile(mpath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := engineAt(t, 1).Check(context.Background(), CheckRequest{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, p := range res.Placeholders {
		got[p.Answer] = true
	}
	if !got["aws_account_id"] || !got["image"] || got["name"] || got["replicas"] {
		t.Fatalf("placeholders: %+v", res.Placeholders)
	}
}

// TestUpdateWithoutUserChangeDoesNotWeaken: the catalog's new limit alone
// keeps the control (log stays info), so update reports no weakening.
func TestUpdateWithoutUserChangeDoesNotWeaken(t *testing.T) {
	t.Parallel()
	root := newProject(t)
	res, err := engineAt(t, 2).Update(context.Background(), UpdateRequest{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Weakenings) != 0 {
		t.Errorf("weakenings without a user change: %+v", res.Weakenings)
	}
}
