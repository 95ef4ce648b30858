package terraform

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// ignored reports whether a slash-separated path (relative to the .gitignore's directory) is
// ignored by the patterns, for the subset of gitignore syntax the rendered file uses: a
// pattern without a slash matches the name of any path component, and a trailing slash
// restricts it to directories.
func ignored(patterns []string, rel string) bool {
	parts := strings.Split(rel, "/")
	hit := false
	for _, p := range patterns {
		negate := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		dirOnly := strings.HasSuffix(p, "/")
		p = strings.TrimSuffix(p, "/")
		for i, part := range parts {
			if dirOnly && i == len(parts)-1 {
				continue // the last component is the file itself
			}
			if ok, _ := path.Match(p, part); ok {
				hit = !negate
			}
		}
	}
	return hit
}

// TestTerraformTreeIgnoresLocalState: every rendered infra/terraform carries a .gitignore
// that keeps variable files (environment values, often secrets), plan files (resolved
// values, secrets included), local state and the Terragrunt and Terraform caches out of git,
// including in the infrastructure-only blueprint, which has no other .gitignore (SEC-01).
func TestTerraformTreeIgnoresLocalState(t *testing.T) {
	mustIgnore := []string{
		"envs/staging/terraform.tfvars",
		"envs/production/secrets.auto.tfvars",
		"envs/staging/terraform.tfvars.json",
		"envs/staging/plan.tfplan",
		"envs/staging/tfplan",
		"live/staging/.terragrunt-cache/abc/main.tf",
		"envs/staging/.terraform/providers/x",
		"envs/staging/terraform.tfstate",
		"envs/staging/terraform.tfstate.backup",
	}
	mustKeep := []string{
		"envs/staging/main.tf",
		"live/terragrunt.hcl",
		"envs/staging/.terraform.lock.hcl",
		"modules/service/variables.tf",
		"README.md",
	}
	checked := 0
	for _, tr := range loadTrees(t) {
		data, err := os.ReadFile(filepath.Join(tr.dir, "infra", "terraform", ".gitignore"))
		if err != nil {
			t.Errorf("%s: %v", tr.name, err)
			continue
		}
		checked++
		var patterns []string
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				patterns = append(patterns, line)
			}
		}
		for _, p := range mustIgnore {
			if !ignored(patterns, p) {
				t.Errorf("%s: infra/terraform/.gitignore does not ignore %s", tr.name, p)
			}
		}
		for _, p := range mustKeep {
			if ignored(patterns, p) {
				t.Errorf("%s: infra/terraform/.gitignore ignores %s, which belongs in git", tr.name, p)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no tree checked")
	}
}
