package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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

// TestSharedQuestionsAgree checks that every question terraform-aws shares with another
// component is declared identically there: namespace and service_account must mean the same
// ServiceAccount in the IRSA trust policy and in the Kubernetes manifests, and name and
// description the same service.
func TestSharedQuestionsAgree(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "..", "templates", "*", "component.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	questions := map[string]map[string]any{} // component -> question name -> definition
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var comp struct {
			Name      string           `yaml:"name"`
			Questions []map[string]any `yaml:"questions"`
		}
		if err := yaml.Unmarshal(raw, &comp); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		questions[comp.Name] = map[string]any{}
		for _, q := range comp.Questions {
			name, _ := q["name"].(string)
			questions[comp.Name][name] = q
		}
	}
	mine, ok := questions["terraform-aws"]
	if !ok {
		t.Fatal("templates/terraform-aws/component.yaml is missing")
	}
	shared := 0
	for comp, qs := range questions {
		if comp == "terraform-aws" {
			continue
		}
		for name, def := range qs {
			if own, ok := mine[name]; ok {
				shared++
				if !reflect.DeepEqual(own, def) {
					t.Errorf("question %s differs between terraform-aws and %s:\n%v\n%v", name, comp, own, def)
				}
			}
		}
	}
	if shared == 0 {
		t.Error("terraform-aws shares no question with another component; expected at least name and description")
	}
}
