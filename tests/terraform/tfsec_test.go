package terraform

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"testing"
)

// tfsecReport is the part of tfsec's JSON output the tests read.
type tfsecReport struct {
	Results []struct {
		RuleID      string `json:"rule_id"`
		Description string `json:"description"`
		Status      int    `json:"status"`
		Location    struct {
			Filename  string `json:"filename"`
			StartLine int    `json:"start_line"`
		} `json:"location"`
	} `json:"results"`
}

// tfsecStatusPassed is the status tfsec gives a passed check with --include-passed.
const tfsecStatusPassed = 1

// TestTfsecZeroFindings runs tfsec, with every ignore rule disabled, on each directory that
// holds .tf files (each one evaluated as its own root, so a module's defaults are scanned as
// well as the values the environments give it) and requires zero findings. Every tree must
// also have passed checks, which proves tfsec saw its resources.
func TestTfsecZeroFindings(t *testing.T) {
	bin, err := exec.LookPath("tfsec")
	if err != nil {
		t.Fatal("tfsec is not on PATH: run make tools")
	}
	for _, tr := range loadTrees(t) {
		dirs := map[string]bool{}
		for _, rel := range tr.files {
			if path.Ext(rel) == ".tf" {
				dirs[path.Dir(rel)] = true
			}
		}
		var sorted []string
		for d := range dirs {
			sorted = append(sorted, d)
		}
		sort.Strings(sorted)
		passed := 0
		for _, d := range sorted {
			report := runTfsec(t, bin, filepath.Join(tr.dir, filepath.FromSlash(d)))
			for _, r := range report.Results {
				if r.Status == tfsecStatusPassed {
					passed++
					continue
				}
				t.Errorf("%s: tfsec %s at %s:%d: %s", tr.name, r.RuleID, r.Location.Filename, r.Location.StartLine, r.Description)
			}
		}
		if passed == 0 {
			t.Errorf("%s: tfsec passed no check; it did not see the resources", tr.name)
		}
	}
}

func runTfsec(t *testing.T, bin, dir string) tfsecReport {
	t.Helper()
	cmd := exec.Command(bin, dir, "--no-color", "--format", "json", "--no-ignores",
		"--no-module-downloads", "--include-passed", "--soft-fail")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tfsec %s: %v\n%s", dir, err, stderr.String())
	}
	var report tfsecReport
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("tfsec %s: reading its JSON report: %v", dir, err)
	}
	return report
}
