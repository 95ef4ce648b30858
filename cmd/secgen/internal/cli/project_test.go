package cli

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// add asks only the questions the project has not answered yet.
func TestAddAsksOnlyNewQuestions(t *testing.T) {
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
	streams, _, _ := testIO(false, nil)
	var got *AddOptions
	cmd := newAddCmd(streams, func(_ context.Context, o *AddOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"k8s", "-C", "dir", "--conflict", "new", "--dry-run", "--set", "a=b", "--set", "c=d", "--no-input"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := &AddOptions{Component: "k8s", Dir: "dir", Conflict: "new", DryRun: true, Set: []string{"a=b", "c=d"}, NoInput: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("add options (-want +got):\n%s", diff)
	}

	var upd *UpdateOptions
	cmd = newUpdateCmd(streams, func(_ context.Context, o *UpdateOptions) error { upd = o; return nil })
	cmd.SetArgs([]string{"--directory", "p", "--dry-run"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if upd.Dir != "p" || !upd.DryRun {
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
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"add", "k8s", "--conflict", "overwrite"}, "--conflict must be fail, skip or new"},
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
