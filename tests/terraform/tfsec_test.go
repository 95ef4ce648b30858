package terraform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
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
	type job struct {
		tr     *tree
		dir    string
		report tfsecReport
		err    error
	}
	var jobs []*job
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
		for _, d := range sorted {
			jobs = append(jobs, &job{tr: tr, dir: d})
		}
	}
	// tfsec is single-directory and CPU-bound: run one per CPU.
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.NumCPU())
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			j.report, j.err = runTfsec(bin, filepath.Join(j.tr.dir, filepath.FromSlash(j.dir)))
		}()
	}
	wg.Wait()
	passed := map[*tree]int{}
	for _, j := range jobs {
		if j.err != nil {
			t.Errorf("%s: %v", j.tr.name, j.err)
			continue
		}
		for _, r := range j.report.Results {
			if r.Status == tfsecStatusPassed {
				passed[j.tr]++
				continue
			}
			t.Errorf("%s: tfsec %s at %s:%d: %s", j.tr.name, r.RuleID, r.Location.Filename, r.Location.StartLine, r.Description)
		}
	}
	for _, tr := range loadTrees(t) {
		if passed[tr] == 0 {
			t.Errorf("%s: tfsec passed no check; it did not see the resources", tr.name)
		}
	}
}

func runTfsec(bin, dir string) (tfsecReport, error) {
	cmd := exec.Command(bin, dir, "--no-color", "--format", "json", "--no-ignores",
		"--no-module-downloads", "--include-passed", "--soft-fail")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var report tfsecReport
	if err := cmd.Run(); err != nil {
		return report, fmt.Errorf("tfsec %s: %w\n%s", dir, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		return report, fmt.Errorf("tfsec %s: reading its JSON report: %w", dir, err)
	}
	return report, nil
}
