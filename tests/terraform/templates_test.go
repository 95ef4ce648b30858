package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestEnvironmentSlotsAgree checks that the per-environment templates of the terraform-aws
// component are the same template for each slot: the component renders one root per
// environment from four numbered copies, which differ only in the index they read.
func TestEnvironmentSlotsAgree(t *testing.T) {
	base := filepath.Join("..", "..", "templates", "terraform-aws", "files", "infra", "terraform")
	for _, layout := range []struct{ dir, file string }{{"envs", "main.tf.tmpl"}, {"live", "terragrunt.hcl.tmpl"}} {
		var first string
		for slot := 0; slot < 4; slot++ {
			name := filepath.Join(base, layout.dir, fmt.Sprintf("{{ index .environments %d }}", slot), layout.file)
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			index := fmt.Sprintf("index .environments %d", slot)
			if n := strings.Count(string(b), index); n != 1 {
				t.Errorf("%s reads %q %d times, want once", name, index, n)
			}
			normal := strings.ReplaceAll(string(b), index, "index .environments N")
			if slot == 0 {
				first = normal
			} else if normal != first {
				t.Errorf("%s differs from slot 0 beyond its index", name)
			}
		}
	}
}

// TestSharedQuestionsAreShared checks that terraform-aws asks the questions it shares with
// other components by reference to the catalog's questions.yaml instead of declaring its own:
// namespace and service_account must mean the same ServiceAccount in the IRSA trust policy as
// in the Kubernetes manifests, and name and description the same service. (The catalog refuses
// a question declared by two components, so a reference is the only way to share one.)
func TestSharedQuestionsAreShared(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "templates", "terraform-aws", "component.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var comp struct {
		Questions []yaml.Node `yaml:"questions"`
	}
	if err := yaml.Unmarshal(raw, &comp); err != nil {
		t.Fatal(err)
	}
	refs := map[string]bool{}
	for _, q := range comp.Questions {
		if q.Kind == yaml.ScalarNode {
			refs[q.Value] = true
		}
	}
	for _, name := range []string{"name", "description", "namespace", "service_account"} {
		if !refs[name] {
			t.Errorf("terraform-aws does not ask the shared question %s by reference", name)
		}
	}
}
