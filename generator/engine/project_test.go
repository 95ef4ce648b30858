package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/gitinit"
	"github.com/secgen/secgen/generator/lock"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/writer"
)

// configV1 and configV2 are the two catalog versions of config.yaml: v2
// changes the last setting only.
const (
	configV1 = "# config of {{ .name }}\nname: {{ yamlString .name }}\nlog: info\ntimeout: 30s\nretries: 3\nlimit: 10\n"
	configV2 = "# config of {{ .name }}\nname: {{ yamlString .name }}\nlog: info\ntimeout: 30s\nretries: 3\nlimit: 20\n"
	// configV3 turns debug logging on with the higher limit: the catalog
	// alone fails the audit rule.
	configV3 = "# config of {{ .name }}\nname: {{ yamlString .name }}\nlog: debug\ntimeout: 30s\nretries: 3\nlimit: 20\n"
)

// testCatalog builds a small catalog in memory: component app (with a file
// that version 2 drops and one it adds; version 3 also weakens config.yaml), extra (requires app) and big (60
// files, for the benchmark). Blueprint bp is [app, extra].
func testCatalog(t testing.TB, version int) *catalog.Catalog {
	t.Helper()
	v := map[int]string{1: "0.1.0", 2: "0.2.0", 3: "0.3.0"}[version]
	tfs := fstest.MapFS{
		"catalog.yaml":  {Data: []byte("id: test\nversion: " + v + "\n")},
		"controls.yaml": {Data: []byte("controls:\n  - {id: APP-07, title: Headers, description: Security headers.}\n")},
		"app/component.yaml": {Data: []byte(`name: app
description: The application.
version: ` + v + `
controls: [APP-07]
questions:
  - name: name
    type: string
    prompt: Name
    default: demo
    required: true
`)},
		"app/files/README.md.tmpl": {Data: []byte("# {{ markdown .name }}\n\nHello.\n")},
		// An audit rule combining two settings, so that a clean merge of
		// the user's change with the catalog's can weaken the project.
		"app/checks.yaml": {Data: []byte(`checks:
  - id: debug-needs-low-limit
    control: APP-07
    match: config.yaml
    expr: 'object.log != "debug" || object.limit <= 10'
    severity: error
    message: debug logging with a limit above 10
    fix: lower the limit or log at info
`)},
		"extra/component.yaml": {Data: []byte(`name: extra
description: An extra part.
version: 0.1.0
requires: [app]
controls: [APP-07]
questions:
  - name: replicas
    type: int
    prompt: Replicas
    default: 2
`)},
		"extra/files/deploy/extra.yaml.tmpl": {Data: []byte("name: {{ yamlString .name }}\nreplicas: {{ .replicas }}\n")},
		"big/component.yaml":                 {Data: []byte("name: big\ndescription: Many files.\nversion: 0.1.0\ncontrols: [APP-07]\n")},
	}
	switch version {
	case 1:
		tfs["app/files/config.yaml.tmpl"] = &fstest.MapFile{Data: []byte(configV1)}
		tfs["app/files/dropped.txt.tmpl"] = &fstest.MapFile{Data: []byte("only in v1\n")}
	case 2:
		tfs["app/files/config.yaml.tmpl"] = &fstest.MapFile{Data: []byte(configV2)}
		tfs["app/files/added.txt.tmpl"] = &fstest.MapFile{Data: []byte("new in v2\n")}
	case 3:
		tfs["app/files/config.yaml.tmpl"] = &fstest.MapFile{Data: []byte(configV3)}
		tfs["app/files/added.txt.tmpl"] = &fstest.MapFile{Data: []byte("new in v2\n")}
	}
	for i := range 60 {
		name := "big/files/pkg" + strconv.Itoa(i/10) + "/f" + strconv.Itoa(i) + ".txt.tmpl"
		tfs[name] = &fstest.MapFile{Data: []byte(strings.Repeat("line {{ .name }}\n", 40))}
	}
	bfs := fstest.MapFS{
		"bp.yaml":  {Data: []byte("name: bp\ndescription: App and extra.\ncomponents: [app, extra]\n")},
		"big.yaml": {Data: []byte("name: big\ndescription: Big.\ncomponents: [big, app, extra]\n")},
	}
	cat, err := catalog.Load(context.Background(), catalog.Source{Templates: tfs, Blueprints: bfs})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func engineAt(t testing.TB, version int) *Engine {
	return &Engine{Catalog: testCatalog(t, version), Version: "test", Auditor: testAuditor{}}
}

// newProject creates a project of blueprint bp without git (bases stored
// under .secgen/base) and returns its root.
func newProject(t testing.TB, without ...string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "demo")
	_, err := engineAt(t, 1).New(context.Background(), NewRequest{Blueprint: "bp", Target: root, Without: without, StoreBases: true})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// newGitProject creates a project of blueprint bp with a git repository.
func newGitProject(t testing.TB) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "demo")
	_, err := engineAt(t, 1).New(context.Background(), NewRequest{Blueprint: "bp", Target: root,
		Git: &GitOptions{Author: gitinit.DefaultAuthor(), When: time.Unix(0, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// readAll reads every regular file under root, skipping .git.
func readAll(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func write(t testing.TB, root, p, content string) {
	t.Helper()
	full := filepath.Join(root, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readManifestT(t testing.TB, root string) *manifest.Manifest {
	t.Helper()
	m, err := readManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkManifestMatchesDisk asserts every recorded file is on disk with
// its recorded hash, unless the test changed it (skip).
func checkManifestMatchesDisk(t *testing.T, root string, skip ...string) {
	t.Helper()
	for _, f := range readManifestT(t, root).Files {
		if contains(skip, f.Path) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, f.Path))
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		if expectOf(b) != f.SHA256 {
			t.Errorf("%s: disk does not match the manifest", f.Path)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestAddCreatesTheComponentsFiles(t *testing.T) {
	t.Parallel()
	root := newProject(t, "extra")
	if _, err := os.Stat(filepath.Join(root, "deploy")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("--without extra still rendered it: %v", err)
	}
	write(t, root, "README.md", "# my own readme\n") // the user's edit
	res, err := engineAt(t, 1).Add(context.Background(), AddRequest{Dir: root, Component: "extra", Set: []string{"replicas=5"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Wrote || len(res.Conflicts) != 0 {
		t.Fatalf("result %+v", res)
	}
	got := readAll(t, root)
	if got["deploy/extra.yaml"] != "name: \"demo\"\nreplicas: 5\n" {
		t.Errorf("deploy/extra.yaml = %q", got["deploy/extra.yaml"])
	}
	if got["README.md"] != "# my own readme\n" {
		t.Errorf("add touched the user's README: %q", got["README.md"])
	}
	m := readManifestT(t, root)
	if names := componentNames(m); !cmp.Equal(names, []string{"app", "extra"}) {
		t.Errorf("components = %v", names)
	}
	nodes, _ := m.AnswerNodes()
	if nodes["replicas"].Value != "5" || nodes["name"].Value != "demo" {
		t.Errorf("answers = %v", nodes)
	}
	checkManifestMatchesDisk(t, root, "README.md")
	if _, err := os.Stat(filepath.Join(root, lock.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock was not released: %v", err)
	}

	// Adding it again is refused clearly.
	_, err = engineAt(t, 1).Add(context.Background(), AddRequest{Dir: root, Component: "extra"})
	if !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "already part of this project") {
		t.Errorf("second add: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, lock.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock was not released after an error: %v", err)
	}
}

func TestAddNeedsTheRequiredComponent(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if _, err := engineAt(t, 1).Init(context.Background(), InitRequest{Dir: root}); err != nil {
		t.Fatal(err)
	}
	_, err := engineAt(t, 1).Add(context.Background(), AddRequest{Dir: root, Component: "extra"})
	if !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "requires component app") {
		t.Fatalf("add extra without app: %v", err)
	}
}

func TestAddConflictPolicies(t *testing.T) {
	t.Parallel()
	mine := "# the user's own deployment\nreplicas: 9\n"
	for _, policy := range []ConflictPolicy{ConflictFail, ConflictSkip, ConflictNew} {
		t.Run(string(policy), func(t *testing.T) {
			root := newProject(t, "extra")
			write(t, root, "deploy/extra.yaml", mine)
			before := readAll(t, root)
			res, err := engineAt(t, 1).Add(context.Background(), AddRequest{Dir: root, Component: "extra", Conflict: policy})
			if err != nil {
				t.Fatal(err)
			}
			after := readAll(t, root)
			if after["deploy/extra.yaml"] != mine {
				t.Fatalf("the user's file was overwritten: %q", after["deploy/extra.yaml"])
			}
			switch policy {
			case ConflictFail:
				if res.Wrote || len(res.Conflicts) != 1 || res.Conflicts[0].Path != "deploy/extra.yaml" || res.Conflicts[0].Reason == "" {
					t.Fatalf("result %+v", res)
				}
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("a refused add wrote something (-before +after):\n%s", diff)
				}
			case ConflictSkip:
				if !res.Wrote || !contains(componentNames(readManifestT(t, root)), "extra") {
					t.Fatalf("skip did not add the component: %+v", res)
				}
				if _, ok := after["deploy/extra.yaml.secgen-new"]; ok {
					t.Error("skip wrote a .secgen-new file")
				}
			case ConflictNew:
				if after["deploy/extra.yaml.secgen-new"] != "name: \"demo\"\nreplicas: 2\n" {
					t.Errorf(".secgen-new = %q", after["deploy/extra.yaml.secgen-new"])
				}
			}
		})
	}
}

// The user edits a file, the catalog moves on: update merges both.
func TestUpdateMergesUserEdits(t *testing.T) {
	t.Parallel()
	for name, mk := range map[string]func(testing.TB) string{
		"without git": func(t testing.TB) string { return newProject(t) },
		"with git":    newGitProject,
	} {
		t.Run(name, func(t *testing.T) {
			root := mk(t)
			write(t, root, "config.yaml", "# config of demo\nname: \"demo\"\nlog: debug\ntimeout: 30s\nretries: 3\nlimit: 10\n")
			res, err := engineAt(t, 2).Update(context.Background(), UpdateRequest{Dir: root, AllowDirty: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Conflicts) != 0 {
				t.Fatalf("conflicts: %+v", res.Conflicts)
			}
			// The merge is clean, but the user's debug logging with the
			// catalog's new limit fails a control that held before.
			if len(res.Weakenings) != 1 || res.Weakenings[0].Control != "APP-07" || res.Weakenings[0].File != "config.yaml" ||
				res.Weakenings[0].Rule != "debug-needs-low-limit" || !strings.Contains(res.Weakenings[0].Cause, "your changes") {
				t.Errorf("weakenings: %+v", res.Weakenings)
			}
			got := readAll(t, root)
			if want := "# config of demo\nname: \"demo\"\nlog: debug\ntimeout: 30s\nretries: 3\nlimit: 20\n"; got["config.yaml"] != want {
				t.Errorf("merged config.yaml = %q, want %q", got["config.yaml"], want)
			}
			if _, ok := got["dropped.txt"]; ok {
				t.Error("the unchanged file the template dropped is still there")
			}
			if got["added.txt"] != "new in v2\n" {
				t.Errorf("added.txt = %q", got["added.txt"])
			}
			m := readManifestT(t, root)
			if m.Catalog.Version != "0.2.0" || m.Components[0].Version != "0.2.0" {
				t.Errorf("manifest versions: %+v %+v", m.Catalog, m.Components)
			}
			checkManifestMatchesDisk(t, root, "config.yaml")
			_, hasBase := got[".secgen/base/"+m.Files[0].GitBlob]
			if name == "with git" && hasBase {
				t.Error("a git project got .secgen/base")
			}
			if name == "without git" && !hasBase {
				t.Error("a project without git has no stored base")
			}

			// A second update has nothing left to do.
			res, err = engineAt(t, 2).Update(context.Background(), UpdateRequest{Dir: root, AllowDirty: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range res.Changes {
				if c.Writes() {
					t.Errorf("second update changes %s (%s)", c.Path, c.Action)
				}
			}
		})
	}
}

// Both sides change the same line: the file gets conflict markers holding
// both versions, the result lists it, nothing is lost.
func TestUpdateConflictMarkers(t *testing.T) {
	t.Parallel()
	root := newProject(t)
	mine := "# config of demo\nname: \"demo\"\nlog: info\ntimeout: 30s\nretries: 3\nlimit: 15\n"
	write(t, root, "config.yaml", mine)
	res, err := engineAt(t, 2).Update(context.Background(), UpdateRequest{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Conflicts) != 1 || res.Conflicts[0].Path != "config.yaml" || !strings.Contains(res.Conflicts[0].Reason, "same lines") {
		t.Fatalf("conflicts = %+v", res.Conflicts)
	}
	want := "# config of demo\nname: \"demo\"\nlog: info\ntimeout: 30s\nretries: 3\n<<<<<<< yours\nlimit: 15\n=======\nlimit: 20\n>>>>>>> secgen\n"
	if got := readAll(t, root)["config.yaml"]; got != want {
		t.Errorf("config.yaml = %q, want %q", got, want)
	}
	// The manifest records what secgen generated, so once the user has
	// resolved the conflict the next update merges against v2.
	write(t, root, "config.yaml", mine)
	res, err = engineAt(t, 2).Update(context.Background(), UpdateRequest{Dir: root})
	if err != nil || len(res.Conflicts) != 0 {
		t.Fatalf("update after resolving: %v %+v", err, res.Conflicts)
	}
	if got := readAll(t, root)["config.yaml"]; got != mine {
		t.Errorf("the resolution was not kept: %q", got)
	}
}

// The template drops a file the user changed: it stays, is reported and no
// longer tracked.
func TestUpdateKeepsADroppedFileTheUserChanged(t *testing.T) {
	t.Parallel()
	root := newProject(t)
	write(t, root, "dropped.txt", "only in v1\nplus my notes\n")
	res, err := engineAt(t, 2).Update(context.Background(), UpdateRequest{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	var keep *FileChange
	for i, c := range res.Changes {
		if c.Path == "dropped.txt" {
			keep = &res.Changes[i]
		}
	}
	if keep == nil || keep.Action != ActionKeep || keep.Reason == "" {
		t.Fatalf("dropped.txt change = %+v", keep)
	}
	if got := readAll(t, root)["dropped.txt"]; got != "only in v1\nplus my notes\n" {
		t.Errorf("dropped.txt = %q", got)
	}
	for _, f := range readManifestT(t, root).Files {
		if f.Path == "dropped.txt" {
			t.Error("dropped.txt is still tracked")
		}
	}
}

// The merge base is what the recorded catalog version renders with the
// recorded answers: no stored object is needed (a fresh clone, a pruned
// repository, a project whose .secgen/base was never committed).
func TestUpdateRendersTheBaseFromTheRecordedVersion(t *testing.T) {
	t.Parallel()
	root := newProject(t)
	if err := os.RemoveAll(filepath.Join(root, ".secgen")); err != nil {
		t.Fatal(err)
	}
	write(t, root, "config.yaml", "# config of demo\nname: \"demo\"\nlog: debug\ntimeout: 30s\nretries: 3\nlimit: 10\n")
	e := engineAt(t, 2)
	opened := 0
	e.Versions = VersionFunc(func(_ context.Context, ref manifest.CatalogRef) (*catalog.Catalog, error) {
		opened++
		if ref.Version != "0.1.0" {
			t.Errorf("asked for version %s", ref.Version)
		}
		return testCatalog(t, 1), nil
	})
	res, err := e.Update(context.Background(), UpdateRequest{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Conflicts) != 0 || opened != 1 {
		t.Fatalf("conflicts = %+v, opened %d times", res.Conflicts, opened)
	}
	got := readAll(t, root)["config.yaml"]
	if got != "# config of demo\nname: \"demo\"\nlog: debug\ntimeout: 30s\nretries: 3\nlimit: 20\n" {
		t.Errorf("config.yaml = %q", got)
	}
}

// Without the recorded base, every difference is marked rather than one
// side silently winning.
func TestUpdateWithoutBaseMarksEveryDifference(t *testing.T) {
	t.Parallel()
	root := newProject(t)
	if err := os.RemoveAll(filepath.Join(root, ".secgen")); err != nil {
		t.Fatal(err)
	}
	write(t, root, "config.yaml", "# config of demo\nname: \"demo\"\nlog: debug\ntimeout: 30s\nretries: 3\nlimit: 10\n")
	res, err := engineAt(t, 2).Update(context.Background(), UpdateRequest{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Conflicts) != 1 || !strings.Contains(res.Conflicts[0].Reason, "catalog test 0.1.0 cannot be opened here") {
		t.Fatalf("conflicts = %+v", res.Conflicts)
	}
	got := readAll(t, root)["config.yaml"]
	if !strings.Contains(got, "<<<<<<< yours\nlog: debug\n=======\nlog: info\n>>>>>>> secgen\n") {
		t.Errorf("config.yaml = %q", got)
	}
}

func TestDryRunsWriteNothing(t *testing.T) {
	t.Parallel()
	root := newProject(t, "extra")
	write(t, root, "config.yaml", "changed\n")
	before := readAll(t, root)
	res, err := engineAt(t, 1).Add(context.Background(), AddRequest{Dir: root, Component: "extra", DryRun: true})
	if err != nil || res.Wrote {
		t.Fatalf("add dry run: %v %+v", err, res)
	}
	if len(res.Changes) != 2 || res.Changes[1].Path != "deploy/extra.yaml" || res.Changes[1].New == nil {
		t.Errorf("add dry run changes: %+v", res.Changes)
	}
	res, err = engineAt(t, 2).Update(context.Background(), UpdateRequest{Dir: root, DryRun: true})
	if err != nil || res.Wrote || len(res.Conflicts) != 1 {
		t.Fatalf("update dry run: %v %+v", err, res)
	}
	if diff := cmp.Diff(before, readAll(t, root)); diff != "" {
		t.Errorf("a dry run wrote (-before +after):\n%s", diff)
	}
}

func TestInvalidManifestsAreRefused(t *testing.T) {
	t.Parallel()
	for name, edit := range map[string]func(string) string{
		"not yaml":     func(string) string { return "{{{" },
		"outside path": func(s string) string { return strings.Replace(s, "path: README.md", "path: ../outside.txt", 1) },
		"absolute":     func(s string) string { return strings.Replace(s, "path: README.md", "path: /etc/passwd", 1) },
		"unknown component": func(s string) string {
			return strings.Replace(s, "- {name: app,", "- {name: ghost,", 1)
		},
		"bad answer": func(s string) string { return strings.Replace(s, "name: demo\n", "name: [1]\n", 1) },
	} {
		t.Run(name, func(t *testing.T) {
			root := newProject(t, "extra")
			data, err := os.ReadFile(filepath.Join(root, manifest.FileName))
			if err != nil {
				t.Fatal(err)
			}
			edited := edit(string(data))
			if edited == string(data) {
				t.Fatal("the edit did not apply")
			}
			write(t, root, manifest.FileName, edited)
			before := readAll(t, root)
			_, errAdd := engineAt(t, 1).Add(context.Background(), AddRequest{Dir: root, Component: "extra"})
			_, errUpd := engineAt(t, 2).Update(context.Background(), UpdateRequest{Dir: root})
			for _, err := range []error{errAdd, errUpd} {
				if !failure.IsInvalidInput(err) {
					t.Errorf("err = %v, want invalid input", err)
				}
				if err != nil && strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
			}
			if diff := cmp.Diff(before, readAll(t, root)); diff != "" {
				t.Errorf("a refused command wrote (-before +after):\n%s", diff)
			}
		})
	}
}

func TestALockedProjectIsRefused(t *testing.T) {
	t.Parallel()
	root := newProject(t, "extra")
	l, err := lock.Acquire(filepath.Join(root, lock.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	_, err = engineAt(t, 1).Add(context.Background(), AddRequest{Dir: root, Component: "extra"})
	if !errors.Is(err, lock.ErrLocked) {
		t.Fatalf("add while locked: %v", err)
	}
}

func TestInitAdoptsADirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "main.go", "package main\n")
	write(t, root, "README.md", "# theirs\n")
	res, err := engineAt(t, 1).Init(context.Background(), InitRequest{Dir: root, Blueprint: "bp", Set: []string{"name=adopted"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Wrote || len(res.Changes) != 1 || res.Changes[0].Path != manifest.FileName {
		t.Errorf("init result %+v", res)
	}
	got := readAll(t, root)
	if len(got) != 3 || got["main.go"] != "package main\n" {
		t.Fatalf("init wrote more than the manifest: %v", got)
	}
	m := readManifestT(t, root)
	if len(m.Components) != 0 || len(m.Files) != 0 || m.Blueprint != "bp" {
		t.Errorf("manifest %+v", m)
	}
	// add asks nothing init answered, and conflicts with the existing README.
	res, err = engineAt(t, 1).Add(context.Background(), AddRequest{Dir: root, Component: "app", Conflict: ConflictSkip})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Wrote {
		t.Errorf("add result %+v", res)
	}
	got = readAll(t, root)
	if got["README.md"] != "# theirs\n" || !strings.Contains(got["config.yaml"], `name: "adopted"`) {
		t.Errorf("after add: README %q, config %q", got["README.md"], got["config.yaml"])
	}
	if _, err := engineAt(t, 1).Init(context.Background(), InitRequest{Dir: root}); !failure.IsInvalidInput(err) {
		t.Errorf("init twice: %v", err)
	}
}

// A kill at any step of add or update leaves each file old or new and the
// old manifest; the next run finishes or redoes the change, reaching
// exactly what an uninterrupted run reaches.
func TestKilledAddAndUpdateRecover(t *testing.T) {
	t.Parallel()
	type op struct {
		name    string
		prepare func(t *testing.T) string
		run     func(root string, failAfter int) error
	}
	userEdit := "# config of demo\nname: \"demo\"\nlog: debug\ntimeout: 30s\nretries: 3\nlimit: 10\n"
	ops := []op{
		{
			name: "add",
			prepare: func(t *testing.T) string {
				root := newProject(t, "extra")
				write(t, root, "config.yaml", userEdit)
				return root
			},
			run: func(root string, n int) error {
				e := engineAt(t, 1)
				e.failAfter = n
				_, err := e.Add(context.Background(), AddRequest{Dir: root, Component: "extra"})
				return err
			},
		},
		{
			name: "update",
			prepare: func(t *testing.T) string {
				root := newProject(t)
				write(t, root, "config.yaml", userEdit)
				return root
			},
			run: func(root string, n int) error {
				e := engineAt(t, 2)
				e.failAfter = n
				_, err := e.Update(context.Background(), UpdateRequest{Dir: root})
				return err
			},
		},
	}
	for _, o := range ops {
		t.Run(o.name, func(t *testing.T) {
			ref := o.prepare(t)
			if err := o.run(ref, 0); err != nil {
				t.Fatal(err)
			}
			want := readAll(t, ref)
			for n := 1; ; n++ {
				root := o.prepare(t)
				before := readAll(t, root)
				err := o.run(root, n)
				if err == nil {
					if n < 3 {
						t.Fatalf("finished after %d steps", n)
					}
					break
				}
				if !errors.Is(err, writer.ErrInjected) {
					t.Fatalf("step %d: %v", n, err)
				}
				mid := readAll(t, root)
				for p, c := range mid {
					if strings.HasPrefix(p, ".secgen/") {
						continue
					}
					if c != before[p] && c != want[p] {
						t.Errorf("step %d: %s is neither old nor new", n, p)
					}
				}
				if mid[manifest.FileName] != before[manifest.FileName] {
					t.Errorf("step %d: the manifest changed before the files", n)
				}
				// The next run recovers, then has nothing or everything left.
				if err := o.run(root, 0); err != nil && !strings.Contains(err.Error(), "already part of this project") {
					t.Fatalf("step %d: rerun: %v", n, err)
				}
				if diff := cmp.Diff(want, readAll(t, root)); diff != "" {
					t.Errorf("step %d: after the rerun (-want +got):\n%s", n, diff)
				}
			}
		})
	}
}

func TestNewWithoutChecksItsArguments(t *testing.T) {
	t.Parallel()
	e := engineAt(t, 1)
	for _, tc := range []struct {
		without []string
		want    string
	}{
		{[]string{"ghost"}, "has no component"},
		{[]string{"app"}, "requires component app"},
		{[]string{"app", "extra"}, "secgen init"},
	} {
		_, err := e.New(context.Background(), NewRequest{Blueprint: "bp", Target: filepath.Join(t.TempDir(), "x"), Without: tc.without, DryRun: true})
		if !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--without %v: %v, want %q", tc.without, err, tc.want)
		}
	}
}

// BenchmarkAdd adds one component to a project of about 60 files.
func BenchmarkAdd(b *testing.B) {
	e := engineAt(b, 1)
	b.StopTimer()
	for range b.N {
		root := filepath.Join(b.TempDir(), "demo")
		if _, err := e.New(context.Background(), NewRequest{Blueprint: "big", Target: root, Without: []string{"extra"}, StoreBases: true}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := e.Add(context.Background(), AddRequest{Dir: root, Component: "extra"}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
	}
}

// BenchmarkAddGit is BenchmarkAdd in a project with a git repository,
// where the bases go to the object database.
func BenchmarkAddGit(b *testing.B) {
	e := engineAt(b, 1)
	b.StopTimer()
	for range b.N {
		root := filepath.Join(b.TempDir(), "demo")
		if _, err := e.New(context.Background(), NewRequest{Blueprint: "big", Target: root, Without: []string{"extra"},
			Git: &GitOptions{Author: gitinit.DefaultAuthor(), When: time.Unix(0, 0)}}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := e.Add(context.Background(), AddRequest{Dir: root, Component: "extra"}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
	}
}

// A conflict is recorded with the files it was written to, in one
// transaction: wherever the writer is stopped, the rerun either writes
// and records the conflict or finds it recorded, and the run after that
// refuses until the markers are gone (never "0 files written, exit 0").
func TestConflictsSurviveInterruptions(t *testing.T) {
	t.Parallel()
	edit := "# config of demo\nname: \"demo\"\nlog: info\ntimeout: 30s\nretries: 3\nlimit: 15\n"
	for n := 1; ; n++ {
		root := newProject(t)
		write(t, root, "config.yaml", edit)
		e := engineAt(t, 2)
		e.failAfter = n
		_, err := e.Update(context.Background(), UpdateRequest{Dir: root})
		if err == nil {
			if n == 1 {
				t.Fatal("the edit did not make the writer run")
			}
			break // n is past the last step
		}
		if !errors.Is(err, writer.ErrInjected) {
			t.Fatalf("step %d: %v", n, err)
		}
		res, err := engineAt(t, 2).Update(context.Background(), UpdateRequest{Dir: root})
		switch {
		case errors.Is(err, ErrUnresolved):
		case err != nil:
			t.Fatalf("step %d: rerun: %v", n, err)
		case len(res.Conflicts) != 1:
			t.Fatalf("step %d: rerun reports %d conflicts", n, len(res.Conflicts))
		}
		if !strings.Contains(readAll(t, root)["config.yaml"], "<<<<<<< yours") {
			t.Fatalf("step %d: no markers in config.yaml", n)
		}
		if !slices.Contains(readManifestT(t, root).Conflicts, "config.yaml") {
			t.Fatalf("step %d: the conflict is not recorded", n)
		}
		if _, err := engineAt(t, 2).Update(context.Background(), UpdateRequest{Dir: root}); !errors.Is(err, ErrUnresolved) || !failure.IsInvalidInput(err) {
			t.Fatalf("step %d: a later update: %v", n, err)
		}
		if _, err := engineAt(t, 2).Add(context.Background(), AddRequest{Dir: root, Component: "big"}); !errors.Is(err, ErrUnresolved) {
			t.Fatalf("step %d: add: %v", n, err)
		}
	}
}
