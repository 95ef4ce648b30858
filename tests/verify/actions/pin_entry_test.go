package actions

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReleaseGivesTheProductionPin makes the production overlay's claim true: where the
// Kubernetes manifests are rendered beside the workflows, the release publishes (job summary
// and release notes) the Kustomize images entry that pins the image it built, signed and
// verified, by digest, and the overlay says where to find it and names the base image the
// entry replaces.
func TestReleaseGivesTheProductionPin(t *testing.T) {
	checked := 0
	for _, tree := range workflowTrees(t) {
		overlay := filepath.Join(tree.dir, "deploy", "k8s", "overlays", "production", "kustomization.yaml")
		ov, err := os.ReadFile(overlay)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		checked++
		image, err := os.ReadFile(filepath.Join(tree.dir, "deploy", "k8s", "base", "deployment.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		ref := regexp.MustCompile(`(?m)^\s+image: "?([^"@\s]+?)(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[a-f0-9]{64}"?$`).FindSubmatch(image)
		if ref == nil {
			t.Fatalf("%s: no digest-pinned image in the base deployment", tree.name)
		}
		baseImage := string(ref[1])
		w := loadWorkflow(t, tree, "release.yml")
		rel := requireJob(t, tree, "release.yml", w, "release")
		notes := findStep(rel, runs(`echo "    images:"`))
		publish := findStep(rel, runs(`--notes-file notes\.md`))
		switch {
		case notes < 0:
			t.Errorf("%s/release.yml: no step writes the images entry for the production overlay", tree.name)
			continue
		case publish < notes:
			t.Errorf("%s/release.yml: the release is not published with the notes holding the pin entry", tree.name)
		}
		s := rel.Steps[notes]
		if s.Env["IMAGE"] != "${{ needs.build.outputs.image }}" || s.Env["DIGEST"] != "${{ needs.build.outputs.digest }}" {
			t.Errorf("%s/release.yml: pin entry env %v, want the pushed image and digest", tree.name, s.Env)
		}
		for _, line := range []string{`echo "        newName: ${IMAGE}"`, `echo "        digest: ${DIGEST}"`, `>> "${GITHUB_STEP_SUMMARY}"`} {
			if !strings.Contains(s.Run, line) {
				t.Errorf("%s/release.yml: pin entry step lacks %s", tree.name, line)
			}
		}
		if !strings.Contains(string(ov), "Each release prints, in\n# its job summary and its release notes, the images entry") || !strings.Contains(string(ov), "#     - name: "+baseImage+"\n") {
			t.Errorf("%s: the production overlay does not say where the release's pin entry is", tree.name)
		}
	}
	if checked == 0 {
		t.Fatal("no golden tree has both workflows and a production overlay")
	}
}
