package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
