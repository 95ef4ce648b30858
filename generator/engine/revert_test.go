package engine

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secgen/secgen/generator/writer"
)

// gitT runs git in dir with a configuration of its own.
func gitT(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir,
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@localhost", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@localhost")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// An update killed inside its write window, then undone by the user with
// `git checkout -- .`, converges to what the uninterrupted update writes,
// at every step the writer can be stopped at: the next run re-applies every
// file that holds again what the journal recorded as its content before
// the change, including a file the update had merged with the user's edit
// (whose pre-update content is the user's side, not the previous render).
func TestRevertAfterAKilledUpdateConverges(t *testing.T) {
	t.Parallel()
	edit := "# config of demo\nname: \"demo\"\nlog: debug\ntimeout: 30s\nretries: 3\nlimit: 10\n"
	prepare := func(t *testing.T) string {
		root := newGitProject(t)
		write(t, root, "config.yaml", edit)
		gitT(t, root, "commit", "-q", "-am", "my edit")
		return root
	}
	update := func(root string, n int, allowDirty bool) error {
		e := engineAt(t, 2)
		e.failAfter = n
		_, err := e.Update(context.Background(), UpdateRequest{Dir: root, AllowDirty: allowDirty})
		return err
	}
	ref := prepare(t)
	if err := update(ref, 0, false); err != nil {
		t.Fatal(err)
	}
	want := readAll(t, ref)
	if !strings.Contains(want["config.yaml"], "log: debug") || !strings.Contains(want["config.yaml"], "limit: 20") {
		t.Fatalf("the uninterrupted update did not merge: %q", want["config.yaml"])
	}
	for n := 1; ; n++ {
		root := prepare(t)
		err := update(root, n, false)
		if err == nil {
			if n < 4 {
				t.Fatalf("the update finished after %d steps", n)
			}
			break
		}
		if !errors.Is(err, writer.ErrInjected) {
			t.Fatalf("step %d: %v", n, err)
		}
		gitT(t, root, "checkout", "--", ".")
		if err := update(root, 0, true); err != nil {
			t.Fatalf("step %d: rerun: %v", n, err)
		}
		if diff := cmp.Diff(want, readAll(t, root)); diff != "" {
			t.Errorf("step %d: after the revert and the rerun (-want +got):\n%s", n, diff)
		}
		// And the project is then up to date: nothing left to write.
		e := engineAt(t, 2)
		res, err := e.Update(context.Background(), UpdateRequest{Dir: root, AllowDirty: true, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Changes {
			if c.Writes() {
				t.Errorf("step %d: a further update still %s %s", n, c.Action, c.Path)
			}
		}
	}
}
