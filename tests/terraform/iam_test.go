package terraform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// statement is one IAM policy statement found in HCL: a statement block of an
// aws_iam_policy_document (or of a dynamic "statement"), or an object constructor with
// Action/Resource keys (jsonencode policies, statement lists passed to modules).
type statement struct {
	where     string
	effect    string
	actions   []hclsyntax.Expression
	resources []hclsyntax.Expression
	wildcard  bool // a principal "*" in an Allow statement
}

var (
	actionKeys   = map[string]bool{"actions": true, "not_actions": true, "Action": true, "NotAction": true}
	resourceKeys = map[string]bool{"resources": true, "not_resources": true, "Resource": true, "NotResource": true}
)

// iamStatements finds every policy statement in a parsed file.
func iamStatements(file string, src []byte, body *hclsyntax.Body) []statement {
	var found []statement
	where := func(r hcl.Range) string { return fmt.Sprintf("%s:%d", file, r.Start.Line) }
	_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		switch n := n.(type) {
		case *hclsyntax.Block:
			if n.Type != "statement" && !(n.Type == "content" && isDynamicStatement(body, n)) {
				return nil
			}
			s := statement{where: where(n.DefRange()), effect: "Allow"}
			for name, attr := range n.Body.Attributes {
				switch {
				case name == "effect":
					if v, ok := literalString(attr.Expr); ok {
						s.effect = v
					} else {
						s.effect = sourceText(src, attr.Expr)
					}
				case actionKeys[name]:
					s.actions = append(s.actions, elements(attr.Expr)...)
				case resourceKeys[name]:
					s.resources = append(s.resources, elements(attr.Expr)...)
				}
			}
			for _, p := range n.Body.Blocks {
				if p.Type != "principals" {
					continue
				}
				if ids, ok := p.Body.Attributes["identifiers"]; ok {
					for _, id := range elements(ids.Expr) {
						if v, ok := literalString(id); ok && v == "*" {
							s.wildcard = true
						}
					}
				}
			}
			found = append(found, s)
		case *hclsyntax.ObjectConsExpr:
			items := objectItems(n)
			s := statement{where: where(n.SrcRange), effect: "Allow"}
			isStatement := false
			for k, v := range items {
				switch {
				case k == "Effect" || k == "effect":
					if e, ok := literalString(v); ok {
						s.effect = e
					}
				case actionKeys[k]:
					isStatement = true
					s.actions = append(s.actions, elements(v)...)
				case resourceKeys[k]:
					isStatement = true
					s.resources = append(s.resources, elements(v)...)
				case k == "Principal":
					if p, ok := literalString(v); ok && p == "*" {
						s.wildcard = true
					}
				}
			}
			if isStatement {
				found = append(found, s)
			}
		}
		return nil
	})
	return found
}

// isDynamicStatement reports whether a content block belongs to a dynamic "statement".
func isDynamicStatement(root *hclsyntax.Body, content *hclsyntax.Block) bool {
	dynamic := false
	_ = hclsyntax.VisitAll(root, func(n hclsyntax.Node) hcl.Diagnostics {
		if b, ok := n.(*hclsyntax.Block); ok && b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == "statement" {
			for _, c := range b.Body.Blocks {
				if c == content {
					dynamic = true
				}
			}
		}
		return nil
	})
	return dynamic
}

// wildcardProblems lists what is wrong with a statement (IAM-01): "*" alone is never an
// action or a resource; an Allow statement has no wildcard in any action, and a wildcard in
// a resource only as the trailing "/*" of an S3 bucket's objects.
func wildcardProblems(s statement) []string {
	var problems []string
	allow := s.effect == "Allow"
	for _, a := range s.actions {
		v, ok := literalParts(a)
		switch {
		case !ok:
			continue
		case v == "*":
			problems = append(problems, "action \"*\"")
		case allow && strings.ContainsAny(v, "*?"):
			problems = append(problems, fmt.Sprintf("wildcard action %q", v))
		}
	}
	for _, r := range s.resources {
		v, ok := literalParts(r)
		switch {
		case !ok:
			continue
		case v == "*":
			problems = append(problems, "resource \"*\"")
		case allow && strings.ContainsAny(v, "*?"):
			// Objects of one named bucket: a pattern over the object keys (bucket/*, or
			// alb/*/AWSLogs/<account>/* for log delivery) narrows access within that bucket;
			// the bucket itself must be named exactly.
			if secretsUnderPrefix(v) {
				continue
			}
			bucketPart, keys, isObjects := strings.Cut(v, "/")
			bucket := strings.HasPrefix(v, "arn:aws:s3:::") || strings.HasPrefix(v, "${}") && objectsOfBucket(r)
			if !isObjects || !bucket || keys == "" || strings.ContainsAny(bucketPart, "*?") {
				problems = append(problems, fmt.Sprintf("wildcard resource %q", v))
			}
		}
	}
	if allow && s.wildcard {
		problems = append(problems, "principal \"*\" in an Allow statement")
	}
	return problems
}

// secretsUnderPrefix reports whether a resource is the Secrets Manager secrets under one
// explicit name prefix: arn:aws:secretsmanager:REGION:ACCOUNT:secret:PREFIX/*, the only
// wildcard the final '*' (a secret's ARN ends in a random suffix, so no exact ARN exists
// before the secret does), after a non-empty prefix that ends in '/'.
func secretsUnderPrefix(v string) bool {
	head, name, ok := strings.Cut(v, ":secret:")
	if !ok || !strings.HasPrefix(head, "arn:aws:secretsmanager:") || strings.ContainsAny(head, "*?") {
		return false
	}
	prefix, ok := strings.CutSuffix(name, "/*")
	return ok && prefix != "" && !strings.HasPrefix(prefix, "/") && !strings.ContainsAny(prefix, "*?")
}

// objectsOfBucket reports whether a resource written as "${X}/..." starts with the ARN of
// an aws_s3_bucket resource.
func objectsOfBucket(expr hclsyntax.Expression) bool {
	tmpl, ok := expr.(*hclsyntax.TemplateExpr)
	if !ok || len(tmpl.Parts) == 0 {
		return false
	}
	trav, ok := tmpl.Parts[0].(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(trav.Traversal) < 2 {
		return false
	}
	return trav.Traversal.RootName() == "aws_s3_bucket"
}

// TestNoIAMWildcards checks every IAM statement of every tree (IAM-01).
func TestNoIAMWildcards(t *testing.T) {
	for _, tr := range loadTrees(t) {
		total, literal := 0, 0
		for _, rel := range tr.files {
			for _, s := range iamStatements(rel, tr.src[rel], tr.body(t, rel)) {
				total++
				for _, r := range s.resources {
					if _, ok := literalParts(r); ok {
						literal++
					}
				}
				for _, p := range wildcardProblems(s) {
					t.Errorf("%s: %s: %s", tr.name, s.where, p)
				}
			}
		}
		// The kms-key, s3-bucket, irsa-role, account-baseline and service modules alone hold
		// more than ten statements; fewer means the walk above lost track of them.
		if total < 10 || literal < 5 {
			t.Errorf("%s: found only %d IAM statements (%d resources written in place); the check did not see the policies", tr.name, total, literal)
		}
	}
}

// TestIAMWildcardCheckCatchesWildcards proves the check above fails on the policies it
// exists to refuse.
func TestIAMWildcardCheckCatchesWildcards(t *testing.T) {
	bad := map[string]string{
		"action star": `data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["*"]
    resources = ["arn:aws:s3:::b"]
  }
}`,
		"resource star": `data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}`,
		"service wildcard": `data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::b"]
  }
}`,
		"jsonencode": `resource "aws_iam_role_policy" "x" {
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }]
  })
}`,
		"module statements": `module "irsa" {
  statements = [{ sid = "X", actions = ["kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:111122223333:key/*"] }]
}`,
		"deny star": `data "aws_iam_policy_document" "x" {
  statement {
    effect    = "Deny"
    actions   = ["*"]
    resources = ["arn:aws:s3:::b"]
  }
}`,
		"bucket wildcard": `data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::*"]
  }
}`,
		"bucket name pattern": `data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::logs-*/alb/*"]
  }
}`,
		"every secret": `data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:*"]
  }
}`,
		"secret name pattern": `data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:team-*/svc/*"]
  }
}`,
		"secret prefix without a slash": `data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:${var.namespace}*"]
  }
}`,
	}
	for name, src := range bad {
		f, diags := hclsyntax.ParseConfig([]byte(src), name, hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", name, diags.Error())
		}
		problems := 0
		for _, s := range iamStatements(name, []byte(src), f.Body.(*hclsyntax.Body)) {
			problems += len(wildcardProblems(s))
		}
		if problems == 0 {
			t.Errorf("%s: the wildcard check let it through", name)
		}
	}
	good := `data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::b/*", "${aws_s3_bucket.this.arn}/*"]
  }
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["arn:aws:secretsmanager:${var.aws_region}:${var.aws_account_id}:secret:${var.namespace}/${var.name}/*"]
  }
  statement {
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["${aws_s3_bucket.this.arn}/*"]
  }
}`
	f, diags := hclsyntax.ParseConfig([]byte(good), "good", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for _, s := range iamStatements("good", []byte(good), f.Body.(*hclsyntax.Body)) {
		if p := wildcardProblems(s); len(p) > 0 {
			t.Errorf("good: refused %v", p)
		}
	}
}
