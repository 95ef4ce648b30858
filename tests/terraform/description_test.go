package terraform

import (
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestDescriptionIsData checks that the free-text description reaches HCL only as a string
// value: in every environment root it parses back to exactly the answer, whatever quotes,
// newlines, interpolation or directive markers it holds, and the service module hands it to
// the KMS key as data.
func TestDescriptionIsData(t *testing.T) {
	for _, tr := range loadTrees(t) {
		expected := tr.str("description", defaultDescription)
		for _, env := range tr.environments() {
			var rel string
			var expr hclsyntax.Expression
			if tr.terragrunt() {
				rel = "infra/terraform/live/" + env + "/terragrunt.hcl"
				if !tr.has(rel) {
					t.Errorf("%s: %s is missing", tr.name, rel)
					continue
				}
				inputs, ok := tr.body(t, rel).Attributes["inputs"]
				if !ok {
					t.Errorf("%s: %s has no inputs", tr.name, rel)
					continue
				}
				obj, ok := inputs.Expr.(*hclsyntax.ObjectConsExpr)
				if !ok {
					t.Errorf("%s: %s: inputs is not an object", tr.name, rel)
					continue
				}
				expr = objectItems(obj)["description"]
			} else {
				rel = "infra/terraform/envs/" + env + "/main.tf"
				if !tr.has(rel) {
					t.Errorf("%s: %s is missing", tr.name, rel)
					continue
				}
				svc, err := selectBlock(tr.body(t, rel), []string{"module", "service"})
				if err != nil {
					t.Errorf("%s: %s: %v", tr.name, rel, err)
					continue
				}
				if a, ok := svc.Body.Attributes["description"]; ok {
					expr = a.Expr
				}
			}
			if expr == nil {
				t.Errorf("%s: %s does not pass the description", tr.name, rel)
				continue
			}
			got, ok := literalString(expr)
			if !ok {
				t.Errorf("%s: %s: the description is not a constant string: %s", tr.name, rel, sourceText(tr.src[rel], expr))
				continue
			}
			if got != expected {
				t.Errorf("%s: %s: the description parses to %q, want %q", tr.name, rel, got, expected)
			}
		}
		check(t, tr, modules+"service", want{"ENC-04", "main.tf", []string{"module", "kms"}, "description", "var.description"}, map[string]bool{})
	}
}
