package actions

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// sampleMarker opens the sample workflow's fenced block in the platform
// catalogs guide.
const sampleMarker = "```yaml\n# .github/workflows/catalog.yml\n"

// sampleWorkflow extracts the sample CI workflow of docs/platform-catalogs.md.
func sampleWorkflow(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../../../docs/platform-catalogs.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), sampleMarker)
	if !ok {
		t.Fatalf("docs/platform-catalogs.md has no block starting %q", sampleMarker)
	}
	body, _, ok := strings.Cut(rest, "\n```\n")
	if !ok {
		t.Fatal("the sample workflow's block is not closed")
	}
	return body + "\n"
}

var docUsesRe = regexp.MustCompile(`(?m)^\s*-?\s*uses:\s*([^@\s]+)@([0-9a-f]{40}) # (\S+)$`)

// TestPlatformCatalogsSampleWorkflow: the sample workflow a platform team
// copies passes actionlint with shellcheck, pins every action to the SHA of
// the pins table, runs secgen lint and secgen test, and holds least
// privilege.
func TestPlatformCatalogsSampleWorkflow(t *testing.T) {
	wf := sampleWorkflow(t)
	dir := t.TempDir()
	wfDir := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wfDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wfDir, "catalog.yml"), []byte(wf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runActionlint(t, dir, []string{".github/workflows/catalog.yml"}); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("actionlint on the sample workflow (err %v):\n%s", err, out)
	}

	pins := loadPins(t)
	uses := 0
	for _, line := range strings.Split(wf, "\n") {
		if !strings.Contains(line, "uses:") {
			continue
		}
		uses++
		m := docUsesRe.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("not pinned as ACTION@SHA # TAG: %q", line)
			continue
		}
		p, ok := pins[m[1]]
		if !ok || p.sha != m[2] || p.tag != m[3] {
			t.Errorf("%q does not match templates/pins.tsv (%s %s)", line, p.sha, p.tag)
		}
	}
	if uses == 0 {
		t.Error("the sample workflow uses no action")
	}
	for _, want := range []string{"\npermissions: {}\n", "      contents: read\n", "persist-credentials: false", "run: secgen lint .", "run: secgen test ."} {
		if !strings.Contains(wf, want) {
			t.Errorf("the sample workflow lacks %q", want)
		}
	}
}
