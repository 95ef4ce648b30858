package goservice

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// run runs a command in dir and fails the test with its output when it fails.
func run(t testing.TB, dir, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s in %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), dir, err, out.String())
	}
	return out.Bytes()
}

// testEvent is one line of `go test -json`.
type testEvent struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
}

// TestRenderedServiceBuildsAndPassesItsTests builds, vets and tests every rendered
// service from a temporary copy, then runs gosec and staticcheck with no exclusions.
func TestRenderedServiceBuildsAndPassesItsTests(t *testing.T) {
	gosec := tool(t, "gosec")
	staticcheck := tool(t, "staticcheck")
	for _, tr := range serviceTrees(t) {
		t.Run(tr.name, func(t *testing.T) {
			dir := copyTree(t, tr.dir)
			if out := run(t, dir, "gofmt", "-l", "."); len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("rendered Go is not gofmt-clean:\n%s", out)
			}
			run(t, dir, "go", "mod", "verify")
			run(t, dir, "go", "build", "./...")
			run(t, dir, "go", "vet", "./...")

			start := time.Now()
			out := run(t, dir, "go", "test", "-race", "-count=1", "-json", "./...")
			elapsed := time.Since(start)
			passed, failed := countTests(t, out)
			if failed > 0 || passed == 0 {
				t.Fatalf("rendered tests: %d passed, %d failed", passed, failed)
			}
			t.Logf("rendered tests: %d passed (with subtests) in %s", passed, elapsed.Round(time.Second))

			run(t, dir, gosec, "-quiet", "-fmt=text", "./...")
			run(t, dir, staticcheck, "./...")
		})
	}
}

func countTests(t *testing.T, out []byte) (passed, failed int) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev testEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Test == "" {
			continue
		}
		switch ev.Action {
		case "pass":
			passed++
		case "fail":
			failed++
		case "skip":
			t.Errorf("rendered test %s %s was skipped: tests must not skip", ev.Package, ev.Test)
		}
	}
	return passed, failed
}

// nosecPattern is the only accepted form of a suppression: named rules and a reason.
var nosecPattern = regexp.MustCompile(`#nosec( G[0-9]{3})+ -- \S`)

// allowedSuppressions lists each suppression with the file it may appear in.
var allowedSuppressions = map[string]string{
	"internal/command/command.go": "G204",
}

// TestNoBlanketSuppressions: no scanner configuration in the rendered tree, and every
// gosec suppression names its rule, gives its reason and is one of the reviewed ones.
func TestNoBlanketSuppressions(t *testing.T) {
	for _, tr := range serviceTrees(t) {
		for _, cfg := range []string{"staticcheck.conf", ".golangci.yml", ".golangci.yaml", ".gosec.json", "gosec.json"} {
			if _, err := os.Stat(filepath.Join(tr.dir, cfg)); err == nil {
				t.Errorf("%s: scanner configuration %s must not exist", tr.name, cfg)
			}
		}
		err := filepath.WalkDir(tr.dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(tr.dir, path)
			rel = filepath.ToSlash(rel)
			for i, line := range strings.Split(string(data), "\n") {
				if strings.Contains(line, "//lint:ignore") || strings.Contains(line, "//nolint") {
					t.Errorf("%s/%s:%d: linter suppression", tr.name, rel, i+1)
				}
				if !strings.Contains(line, "#nosec") {
					continue
				}
				if !nosecPattern.MatchString(line) {
					t.Errorf("%s/%s:%d: #nosec without rule and reason: %s", tr.name, rel, i+1, strings.TrimSpace(line))
				}
				if rule, ok := allowedSuppressions[rel]; !ok || !strings.Contains(line, "#nosec "+rule+" ") {
					t.Errorf("%s/%s:%d: unreviewed suppression: %s", tr.name, rel, i+1, strings.TrimSpace(line))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestRenderedBenchmarkRuns: every rendered service has a make bench target running
// BenchmarkAuthenticatedGet, and the benchmark works and reports requests per second
// (a few iterations here; `make bench` measures).
func TestRenderedBenchmarkRuns(t *testing.T) {
	trees := serviceTrees(t)
	for _, tr := range trees {
		mk, err := os.ReadFile(filepath.Join(tr.dir, "Makefile"))
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`(?m)^bench:\n\tgo test -run '\^\$\$' -bench BenchmarkAuthenticatedGet `).Match(mk) {
			t.Errorf("%s: Makefile has no bench target running BenchmarkAuthenticatedGet", tr.name)
		}
	}
	dir := copyTree(t, trees[0].dir)
	out := run(t, dir, "go", "test", "-run", "^$", "-bench", "BenchmarkAuthenticatedGet", "-benchtime", "50x", "./internal/server")
	// The authenticated GET is measured next to /healthz on the same server.
	for _, sub := range []string{"healthz", "bearer"} {
		if !regexp.MustCompile(`BenchmarkAuthenticatedGet/` + sub + `\S*\s+50\s+.* req/s`).Match(out) {
			t.Fatalf("%s: BenchmarkAuthenticatedGet/%s did not report req/s:\n%s", trees[0].name, sub, out)
		}
	}
}
