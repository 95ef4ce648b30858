package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secgen/secgen/generator/base"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/plan"
)

// add asks only the questions the project has not answered yet.
func TestAddAsksOnlyNewQuestions(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "shop")
	streams, _, _ := testIO(false, nil)
	if code := Main(context.Background(), []string{"new", "go-service", root, "--no-git", "--no-input", "--without", "github-actions"}, streams); code != ExitOK {
		t.Fatalf("new: exit %d", code)
	}
	p := &scriptedPrompter{}
	streams, out, errOut := testIO(true, p)
	if code := Main(context.Background(), []string{"add", "github-actions", "-C", root}, streams); code != ExitOK {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	var asked []string
	for _, q := range p.asked {
		asked = append(asked, q.Name)
	}
	for _, old := range []string{"name", "module", "description", "port"} {
		if slices.Contains(asked, old) {
			t.Errorf("add asked %q again (asked %v)", old, asked)
		}
	}
	if len(asked) == 0 {
		t.Error("add asked none of the component's new questions")
	}
	if !strings.Contains(out.String(), "Added component github-actions") {
		t.Errorf("stdout = %q", out)
	}
}

func TestProjectCommandsParseFlags(t *testing.T) {
	t.Parallel()
	streams, _, _ := testIO(false, nil)
	var got *AddOptions
	cmd := newAddCmd(streams, func(_ context.Context, o *AddOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"k8s", "-C", "dir", "--conflict", "new", "--dry-run", "--set", "a=b", "--set", "c=d", "--no-input", "-o", "json", "--allow-dirty", "--allow-downgrade"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := &AddOptions{Component: "k8s", Dir: "dir", Conflict: "new", DryRun: true, Set: []string{"a=b", "c=d"}, NoInput: true, Output: "json", AllowDirty: true, AllowDowngrade: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("add options (-want +got):\n%s", diff)
	}

	var upd *UpdateOptions
	cmd = newUpdateCmd(streams, func(_ context.Context, o *UpdateOptions) error { upd = o; return nil })
	cmd.SetArgs([]string{"--directory", "p", "--dry-run", "--conflict=new", "--allow-dirty"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if upd.Dir != "p" || !upd.DryRun || upd.Conflict != "new" || !upd.AllowDirty || upd.Output != "text" {
		t.Errorf("update options %+v", upd)
	}

	var ini *InitOptions
	cmd = newInitCmd(streams, func(_ context.Context, o *InitOptions) error { ini = o; return nil })
	cmd.SetArgs([]string{"--blueprint", "go-service", "-C", "q"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if ini.Blueprint != "go-service" || ini.Dir != "q" {
		t.Errorf("init options %+v", ini)
	}
}

func TestProjectCommandRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"add", "k8s", "--conflict", "overwrite"}, "--conflict must be one of fail, skip, new"},
		{[]string{"add"}, "usage: secgen add COMPONENT"},
		{[]string{"update", "extra-arg"}, "usage: secgen update"},
		{[]string{"add", "k8s", "-C", "/nonexistent/dir"}, "does not exist"},
	} {
		streams, _, errOut := testIO(false, nil)
		if code := Main(context.Background(), tc.args, streams); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", tc.args, code, ExitUsage)
		}
		if !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: stderr %q, want %q", tc.args, errOut, tc.want)
		}
	}
}

// ageProject makes README.md look as an older secgen generated it: the
// file, its stored base and its manifest record all hold an older title.
// It returns the current (new) content.
func ageProject(t *testing.T, root string) (current string) {
	t.Helper()
	readme := filepath.Join(root, "README.md")
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	current = string(b)
	first, rest, _ := strings.Cut(current, "\n")
	old := "# An older title\n" + rest
	if first == "# An older title" {
		t.Fatal("README already has the old title")
	}
	if err := os.WriteFile(readme, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := base.PutDir(root, []byte(old)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range m.Files {
		if f.Path == "README.md" {
			m.Files[i].SHA256 = plan.File{Content: []byte(old)}.SHA256()
			m.Files[i].GitBlob = base.BlobID([]byte(old))
		}
	}
	if data, err = m.Marshal(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, manifest.FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return current
}

// update merges the user's edit with the template's change, or marks the
// conflict and exits 1, through the real command line.
func TestUpdateThroughTheCLI(t *testing.T) {
	t.Parallel()
	mk := func(t *testing.T) string {
		root := filepath.Join(t.TempDir(), "shop")
		streams, _, errOut := testIO(false, nil)
		if code := Main(context.Background(), []string{"new", "go-service", root, "--no-git", "--no-input"}, streams); code != ExitOK {
			t.Fatalf("new: exit %d: %s", code, errOut)
		}
		return root
	}
	t.Run("clean merge", func(t *testing.T) {
		root := mk(t)
		current := ageProject(t, root)
		readme := filepath.Join(root, "README.md")
		b, _ := os.ReadFile(readme)
		if err := os.WriteFile(readme, append(b, "\nOur own notes.\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		streams, out, errOut := testIO(false, nil)
		if code := Main(context.Background(), []string{"update", "-C", root}, streams); code != ExitOK {
			t.Fatalf("update: exit %d: %s", code, errOut)
		}
		got, _ := os.ReadFile(readme)
		if string(got) != current+"\nOur own notes.\n" {
			t.Errorf("README.md after update:\n%s", got)
		}
		if !strings.Contains(out.String(), "merge     README.md") {
			t.Errorf("stdout = %q", out)
		}
	})
	t.Run("conflict", func(t *testing.T) {
		root := mk(t)
		ageProject(t, root)
		readme := filepath.Join(root, "README.md")
		b, _ := os.ReadFile(readme)
		_, rest, _ := strings.Cut(string(b), "\n")
		if err := os.WriteFile(readme, []byte("# Our title\n"+rest), 0o644); err != nil {
			t.Fatal(err)
		}
		streams, out, errOut := testIO(false, nil)
		if code := Main(context.Background(), []string{"update", "-C", root, "--dry-run"}, streams); code != ExitFailure {
			t.Fatalf("update --dry-run: exit %d: %s", code, errOut)
		}
		if !strings.Contains(out.String(), "+<<<<<<< yours\n # Our title\n+=======\n+# shop\n+>>>>>>> secgen\n") {
			t.Errorf("the dry run's diff does not show the markers:\n%s", out)
		}
		streams, _, errOut = testIO(false, nil)
		if code := Main(context.Background(), []string{"update", "-C", root}, streams); code != ExitFailure {
			t.Fatalf("update: exit %d: %s", code, errOut)
		}
		if !strings.Contains(errOut.String(), "conflict: README.md: you and the template changed the same lines") {
			t.Errorf("stderr = %q", errOut)
		}
		got, _ := os.ReadFile(readme)
		if !strings.HasPrefix(string(got), "<<<<<<< yours\n# Our title\n=======\n# ") {
			t.Errorf("README.md after update:\n%s", got)
		}
	})
}
