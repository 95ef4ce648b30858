package terraform

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// allTrueFunc is Terraform's alltrue: true when every element of a collection is true.
var allTrueFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		for it := args[0].ElementIterator(); it.Next(); {
			_, v := it.Element()
			if !v.IsKnown() || v.IsNull() || v.False() {
				return cty.False, nil
			}
		}
		return cty.True, nil
	},
})

// validationFuncs are the Terraform functions the validated modules use.
var validationFuncs = map[string]function.Function{
	"alltrue":  allTrueFunc,
	"can":      tryfunc.CanFunc,
	"contains": stdlib.ContainsFunc,
	"flatten":  stdlib.FlattenFunc,
	"length":   stdlib.LengthFunc,
	"regex":    stdlib.RegexFunc,
}

// validates evaluates every validation condition of a variable against value and reports
// whether all of them hold.
func validates(t *testing.T, src []byte, v *hclsyntax.Block, value cty.Value) bool {
	t.Helper()
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.Labels[0]: value})},
		Functions: validationFuncs,
	}
	validations := blocksOf(v.Body, "validation")
	if len(validations) == 0 {
		t.Fatalf("variable %s has no validation", v.Labels[0])
	}
	for _, val := range validations {
		cond := val.Body.Attributes["condition"]
		got, diags := cond.Expr.Value(ctx)
		if diags.HasErrors() {
			t.Fatalf("variable %s: evaluating %s: %s", v.Labels[0], sourceText(src, cond.Expr), diags.Error())
		}
		if got.False() {
			return false
		}
	}
	return true
}

// hclValue evaluates a constant HCL expression.
func hclValue(t *testing.T, src string) cty.Value {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "sample", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return v
}

// TestIRSAStatementsRefuseWildcards evaluates the irsa-role module's validation of its
// statements (IAM-01): explicit actions on explicit ARNs pass, any wildcard is refused.
func TestIRSAStatementsRefuseWildcards(t *testing.T) {
	statement := func(actions, resources string) string {
		return `[{ sid = "S", actions = ` + actions + `, resources = ` + resources + `, conditions = [{ test = "Bool", variable = "aws:SecureTransport", values = ["true"] }] }]`
	}
	good := []string{
		statement(`["s3:GetObject", "s3:PutObject"]`, `["arn:aws:s3:::bucket-prod/*"]`),
		statement(`["s3:ListBucket"]`, `["arn:aws:s3:::bucket-prod"]`),
		statement(`["kms:Decrypt"]`, `["arn:aws:kms:eu-west-1:111122223333:key/0d6e1a5c-3b7e-4c1f-9a53-2f0e8c1b7d44"]`),
		statement(`["rds-db:connect"]`, `["arn:aws:rds-db:eu-west-1:111122223333:dbuser:db-ABCDEFGHIJKL/app"]`),
	}
	bad := map[string]string{
		"action star":          statement(`["*"]`, `["arn:aws:s3:::bucket-prod"]`),
		"service star":         statement(`["s3:*"]`, `["arn:aws:s3:::bucket-prod"]`),
		"action prefix":        statement(`["s3:Get*"]`, `["arn:aws:s3:::bucket-prod"]`),
		"resource star":        statement(`["s3:GetObject"]`, `["*"]`),
		"all buckets":          statement(`["s3:GetObject"]`, `["arn:aws:s3:::*"]`),
		"all keys":             statement(`["kms:Decrypt"]`, `["arn:aws:kms:eu-west-1:111122223333:key/*"]`),
		"any region":           statement(`["kms:Decrypt"]`, `["arn:aws:kms:*:111122223333:key/k"]`),
		"not an arn":           statement(`["s3:GetObject"]`, `["bucket-prod"]`),
		"no actions":           statement(`[]`, `["arn:aws:s3:::bucket-prod"]`),
		"no resources":         statement(`["s3:GetObject"]`, `[]`),
		"no statements":        `[]`,
		"wildcard in the path": statement(`["s3:GetObject"]`, `["arn:aws:s3:::bucket-prod/*/secret"]`),
	}
	for _, tr := range loadTrees(t) {
		rel := modules + "irsa-role/variables.tf"
		v, err := selectBlock(tr.body(t, rel), []string{"variable", "statements"})
		if err != nil {
			t.Errorf("%s: IAM-01 lost in %s: %v", tr.name, rel, err)
			continue
		}
		for _, g := range good {
			if !validates(t, tr.src[rel], v, hclValue(t, g)) {
				t.Errorf("%s: the statements validation refuses a least-privilege statement: %s", tr.name, g)
			}
		}
		for name, b := range bad {
			if validates(t, tr.src[rel], v, hclValue(t, b)) {
				t.Errorf("%s: IAM-01 lost: the statements validation accepts %s: %s", tr.name, name, strings.TrimSpace(b))
			}
		}
	}
}
