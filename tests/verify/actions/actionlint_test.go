package actions

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// linters finds actionlint and shellcheck. Both are required: actionlint silently skips
// its shellcheck pass when shellcheck is missing, which would hide every script finding.
func linters(t *testing.T) (actionlint, shellcheck string) {
	t.Helper()
	actionlint, err := exec.LookPath("actionlint")
	if err != nil {
		t.Fatalf("actionlint is not on PATH: run make tools (%v)", err)
	}
	shellcheck, err = exec.LookPath("shellcheck")
	if err != nil {
		t.Fatalf("shellcheck is not on PATH: install it (apt-get install shellcheck), then run make tools (%v)", err)
	}
	return actionlint, shellcheck
}

// runActionlint lints the named workflow files of dir and returns actionlint's report.
func runActionlint(t *testing.T, dir string, files []string) (string, error) {
	t.Helper()
	actionlint, shellcheck := linters(t)
	args := append([]string{"-no-color", "-shellcheck", shellcheck, "-pyflakes", ""}, files...)
	cmd := exec.Command(actionlint, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestActionlintCatchesShellcheckFindings proves the scanner and its shellcheck pass
// are wired: a workflow with an unquoted variable must be reported.
func TestActionlintCatchesShellcheckFindings(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	bad := "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo $HOME/$1\n"
	if err := os.WriteFile(filepath.Join(wf, "bad.yml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runActionlint(t, dir, []string{".github/workflows/bad.yml"})
	if err == nil || !strings.Contains(out, "shellcheck") {
		t.Fatalf("actionlint did not report the shellcheck finding (err %v):\n%s", err, out)
	}
}

// TestActionlint: actionlint with shellcheck reports zero findings on every rendered
// workflow.
func TestActionlint(t *testing.T) {
	for _, tree := range workflowTrees(t) {
		var files []string
		for _, name := range workflowFiles(t, tree) {
			files = append(files, filepath.ToSlash(filepath.Join(".github", "workflows", name)))
		}
		if out, err := runActionlint(t, tree.dir, files); err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("%s: actionlint (err %v):\n%s", tree.name, err, out)
		}
	}
}
