package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestPrivilegedTemplateFailsTest: a copy of the built-in catalog whose k8s
// template renders `privileged: true` fails `secgen test`, even once the
// goldens are re-recorded with it: the k8s rules audit every golden, and
// the finding names the rule, the file and the line.
func TestPrivilegedTemplateFailsTest(t *testing.T) {
	t.Parallel()
	repo := filepath.Join("..", "..", "..", "..")
	cat := t.TempDir()
	for _, dir := range []string{"templates", "blueprints", filepath.Join("goldens", "k8s")} {
		copyDir(t, filepath.Join(repo, dir), filepath.Join(cat, dir))
	}
	replaceIn(t, filepath.Join(cat, "templates", "k8s", "files", "deploy", "k8s", "base", "deployment.yaml.tmpl"),
		"privileged: false", "privileged: true")

	streams, out, _ := testIO(false, nil)
	root := NewRoot(streams)
	root.SetArgs([]string{"test", "--update", "-o", "json", cat})
	if err := root.ExecuteContext(context.Background()); err == nil {
		t.Fatalf("secgen test passed a catalog whose k8s template is privileged:\n%s", out)
	}
	var doc testDoc
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	caught := 0
	for _, c := range doc.Cases {
		for _, f := range c.Findings {
			if f.Rule == "k8s-container-not-privileged" && f.Control == "K8S-02" &&
				f.File == "deploy/k8s/base/deployment.yaml" && f.Line > 1 {
				caught++
			}
		}
	}
	if caught != len(doc.Cases) || caught == 0 {
		t.Errorf("%d of %d k8s golden cases report k8s-container-not-privileged at its line:\n%s", caught, len(doc.Cases), out)
	}
}
