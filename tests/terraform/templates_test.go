package terraform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestOneRootPerEnvironment checks that every tree renders exactly one root (terraform) or
// unit (terragrunt) per environment of its answers, each holding just its one file, and that
// some golden has more than four environments: the component renders the environment
// directory with a foreach rule, and four was the limit of the numbered copies it replaced.
func TestOneRootPerEnvironment(t *testing.T) {
	most := 0
	for _, tr := range loadTrees(t) {
		envs := tr.environments()
		most = max(most, len(envs))
		dir, file := "infra/terraform/envs/", "main.tf"
		if tr.terragrunt() {
			dir, file = "infra/terraform/live/", "terragrunt.hcl"
		}
		got := map[string]bool{}
		for _, f := range tr.files {
			rest, ok := strings.CutPrefix(f, dir)
			env, name, nested := strings.Cut(rest, "/")
			if !ok || !nested || env == "account" {
				continue
			}
			got[env] = true
			if name != file {
				t.Errorf("%s: unexpected file %s in the root of environment %s", tr.name, f, env)
			}
		}
		for _, env := range envs {
			if !got[env] {
				t.Errorf("%s: environment %s has no %s%s/%s", tr.name, env, dir, env, file)
			}
			delete(got, env)
		}
		for env := range got {
			t.Errorf("%s: %s%s is rendered but %s is not an environment of the case", tr.name, dir, env, env)
		}
	}
	if most <= 4 {
		t.Errorf("no golden has more than four environments (most: %d): the foreach rule is untested beyond the old limit", most)
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
