package actions

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecgenUpdateWorkflow: secgen-update.yml runs weekly and on demand; its check job
// only reads, its update job runs only when check found an update; the update step's
// script, run with bash against a stand-in secgen, writes a pull request body with the
// update's output, the audit's summary and, only when markers remain, a conflict
// section; the push step opens one pull request, or refreshes the open one.
func TestSecgenUpdateWorkflow(t *testing.T) {
	for _, tree := range workflowTrees(t) {
		w := loadWorkflow(t, tree, "secgen-update.yml")
		events := eventsOf(w.On)
		if !strings.Contains(strings.Join(events, ","), "schedule") || !strings.Contains(strings.Join(events, ","), "workflow_dispatch") {
			t.Errorf("%s/secgen-update.yml: triggers %v, want schedule and workflow_dispatch", tree.name, events)
		}
		check := requireJob(t, tree, "secgen-update.yml", w, "check")
		update := requireJob(t, tree, "secgen-update.yml", w, "update")
		if check == nil || update == nil {
			continue
		}
		if strings.Join(needsOf(update), ",") != "check" || update.If != "needs.check.outputs.available == 'true'" {
			t.Errorf("%s/secgen-update.yml: update runs without check finding an update (needs %v, if %q)", tree.name, needsOf(update), update.If)
		}
		i := findStep(update, runs(`secgen}" update --no-input`))
		push := findStep(update, runs(`gh pr create`))
		if i < 0 || push < i {
			t.Fatalf("%s/secgen-update.yml: no update step followed by the pull request step", tree.name)
		}
		runUpdateStep(t, tree.name, update.Steps[i].Run, update.Steps[push].Run)
	}
}

// fakeBin writes executable stand-ins into dir/bin.
func fakeBin(t *testing.T, dir string, scripts map[string]string) string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

func runUpdateStep(t *testing.T, name, updateScript, pushScript string) {
	t.Helper()
	for _, tc := range []struct {
		conflicts bool
		openPR    string // what gh pr list prints
		want      string // the gh call that publishes
	}{
		{false, "", "pr create --head secgen/update"},
		{true, "42", "pr edit secgen/update"},
	} {
		dir := t.TempDir()
		gopath := filepath.Join(dir, "gopath")
		updateExit, checkOut := "0", "Up to date with catalog builtin 0.3.0."
		if tc.conflicts {
			updateExit, checkOut = "1", "Unresolved conflicts:\n  deploy/k8s/base/deployment.yaml:12"
		}
		fakeSecgen := `case "$1" in
update) echo "Updated . to catalog builtin 0.3.0."; echo "  merge     deploy/k8s/base/deployment.yaml"; exit ` + updateExit + ` ;;
check) printf '%s\n' "` + checkOut + `"; exit 0 ;;
audit) echo "K8S-02 ..."; echo "0 finding(s); 40 rule(s)"; exit 0 ;;
esac
exit 9
`
		bin := fakeBin(t, dir, map[string]string{
			"go":  "echo " + gopath + "\n",
			"gh":  `echo "gh $*" >> "$CALLS"; case "$1 $2" in "pr list") echo "$OPEN_PR" ;; esac` + "\n",
			"git": `echo "git $*" >> "$CALLS"` + "\n",
		})
		if err := os.MkdirAll(filepath.Join(gopath, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(gopath, "bin", "secgen"), []byte("#!/bin/sh\n"+fakeSecgen), 0o755); err != nil {
			t.Fatal(err)
		}
		runner := filepath.Join(dir, "runner")
		if err := os.Mkdir(runner, 0o755); err != nil {
			t.Fatal(err)
		}
		work := filepath.Join(dir, "work")
		if err := os.Mkdir(work, 0o755); err != nil {
			t.Fatal(err)
		}
		env := []string{"PATH=" + bin + ":/usr/bin:/bin", "RUNNER_TEMP=" + runner, "CALLS=" + filepath.Join(dir, "calls"), "OPEN_PR=" + tc.openPR}
		for _, script := range []string{updateScript, pushScript} {
			cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
			cmd.Dir, cmd.Env = work, env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: conflicts=%v: %v\n%s", name, tc.conflicts, err, out)
			}
		}
		body, err := os.ReadFile(filepath.Join(runner, "body.md"))
		if err != nil {
			t.Fatal(err)
		}
		b := string(body)
		if !strings.Contains(b, "merge     deploy/k8s/base/deployment.yaml") || !strings.Contains(b, "0 finding(s); 40 rule(s)") {
			t.Errorf("%s: the pull request body lacks the update's output or the audit summary:\n%s", name, b)
		}
		if got := strings.Contains(b, "## Conflicts to resolve\n") && strings.Contains(b, "- deploy/k8s/base/deployment.yaml:12\n"); got != tc.conflicts {
			t.Errorf("%s: conflicts=%v but the conflict section present=%v:\n%s", name, tc.conflicts, got, b)
		}
		if entries, _ := os.ReadDir(work); len(entries) != 0 {
			t.Errorf("%s: the step left %v in the checkout, to be committed", name, entries)
		}
		calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
		if !strings.Contains(string(calls), "gh "+tc.want) || strings.Count(string(calls), "gh pr create")+strings.Count(string(calls), "gh pr edit") != 1 {
			t.Errorf("%s: open PR %q: gh calls:\n%s\nwant one %q", name, tc.openPR, calls, tc.want)
		}
		if !strings.Contains(string(calls), "git push --force origin secgen/update") {
			t.Errorf("%s: the branch is not pushed:\n%s", name, calls)
		}
	}
}
