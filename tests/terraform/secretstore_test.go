package terraform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// storeRoleProblems returns how the service module's SecretStore role fails to be one
// environment's own: trusted by a ServiceAccount of another namespace, allowed more than
// GetSecretValue, or allowed secrets outside the environment's prefix NAMESPACE/NAME/.
func storeRoleProblems(body *hclsyntax.Body, src []byte) []string {
	var problems []string
	stores := blocksOf(body, "module", "secret_store")
	if len(stores) != 1 {
		return []string{fmt.Sprintf("%d module \"secret_store\" blocks, want 1", len(stores))}
	}
	attr := func(name string) string {
		a, ok := stores[0].Body.Attributes[name]
		if !ok {
			return ""
		}
		return sourceText(src, a.Expr)
	}
	for k, v := range map[string]string{
		"source":          `"../irsa-role"`,
		"role_name":       `"${local.prefix}-secrets"`,
		"namespace":       "var.namespace",
		"service_account": "local.secret_store_service_account",
		"oidc_provider":   "var.oidc_provider",
	} {
		if got := attr(k); got != v {
			problems = append(problems, fmt.Sprintf("module secret_store: %s is %s, want %s", k, got, v))
		}
	}
	locals := map[string]string{}
	for _, l := range blocksOf(body, "locals") {
		for k, a := range l.Body.Attributes {
			locals[k] = sourceText(src, a.Expr)
		}
	}
	if locals["secret_prefix"] != `"${var.namespace}/${var.name}/"` {
		problems = append(problems, fmt.Sprintf("local.secret_prefix is %s, want the environment's own NAMESPACE/NAME/", locals["secret_prefix"]))
	}
	if locals["secret_store_service_account"] != `"${var.name}-secret-store"` {
		problems = append(problems, fmt.Sprintf("local.secret_store_service_account is %s, want NAME-secret-store", locals["secret_store_service_account"]))
	}
	statements, ok := stores[0].Body.Attributes["statements"]
	if !ok {
		return append(problems, "module secret_store has no statements")
	}
	reads := 0
	for _, st := range elements(statements.Expr) {
		obj, ok := st.(*hclsyntax.ObjectConsExpr)
		if !ok {
			problems = append(problems, "a statement of module secret_store is not an object")
			continue
		}
		items := objectItems(obj)
		actions, resources := sourceText(src, items["actions"]), sourceText(src, items["resources"])
		switch actions {
		case `["secretsmanager:GetSecretValue"]`:
			reads++
			if resources != `["arn:aws:secretsmanager:${var.aws_region}:${var.aws_account_id}:secret:${var.namespace}/${var.name}/*"]` {
				problems = append(problems, fmt.Sprintf("the store role reads secrets %s, want only those under the environment's NAMESPACE/NAME/", resources))
			}
		case `["kms:Decrypt"]`:
			if resources != `[module.kms.key_arn]` || !strings.Contains(sourceText(src, items["conditions"]), `"secretsmanager.${var.aws_region}.amazonaws.com"`) {
				problems = append(problems, "the store role decrypts with another key than the environment's, or not only through Secrets Manager")
			}
		default:
			problems = append(problems, fmt.Sprintf("the store role is allowed %s, more than reading and decrypting its secrets", actions))
		}
	}
	if reads != 1 {
		problems = append(problems, fmt.Sprintf("%d statements read secrets, want 1", reads))
	}
	return problems
}

// TestSecretStoreRolePerEnvironment: Terraform creates, per environment, the role of that
// environment's SecretStore, trusted only by the store's ServiceAccount of the
// environment's namespace and allowed only secretsmanager:GetSecretValue on the secrets
// under NAMESPACE-ENVIRONMENT/NAME/ (and their decryption with the environment's key), so
// that the roles, and what they may read, differ pairwise and no environment's root names
// another's prefix.
func TestSecretStoreRolePerEnvironment(t *testing.T) {
	const rel = "infra/terraform/modules/service/main.tf"
	multi := false
	for _, tr := range loadTrees(t) {
		for _, p := range storeRoleProblems(tr.body(t, rel), tr.src[rel]) {
			t.Errorf("%s: %s: %s", tr.name, rel, p)
		}
		ids := envIdentities(t, tr)
		multi = multi || len(ids) > 1
		for i, a := range ids {
			for _, b := range ids[i+1:] {
				if strings.HasPrefix(a.secretPrefix(), b.secretPrefix()) || strings.HasPrefix(b.secretPrefix(), a.secretPrefix()) {
					t.Errorf("%s: the secret prefixes of %s (%s) and %s (%s) overlap", tr.name, a.env, a.secretPrefix(), b.env, b.secretPrefix())
				}
				if a.role+"-secrets" == b.role+"-secrets" {
					t.Errorf("%s: %s and %s share the store role %s-secrets", tr.name, a.env, b.env, a.role)
				}
			}
			for _, b := range ids {
				if b.env == a.env {
					continue
				}
				if root := string(tr.src[a.root]); strings.Contains(root, `"`+b.namespace+`"`) || strings.Contains(root, b.secretPrefix()) {
					t.Errorf("%s: %s names %s's namespace or secret prefix %s", tr.name, a.root, b.env, b.secretPrefix())
				}
			}
		}
	}
	if !multi {
		t.Fatal("no golden tree has two environments: the test would prove nothing")
	}
}

// TestSecretStoreRoleCheckCatchesRegressions proves storeRoleProblems fails on a store role
// that reads every environment's secrets, another namespace's ServiceAccount, or more
// actions.
func TestSecretStoreRoleCheckCatchesRegressions(t *testing.T) {
	const rel = "infra/terraform/modules/service/main.tf"
	tr := loadTrees(t)[0]
	if p := storeRoleProblems(tr.body(t, rel), tr.src[rel]); len(p) > 0 {
		t.Fatalf("%s is not clean: %v", tr.name, p)
	}
	edits := map[string][2]string{
		"every environment's secrets":    {`secret:${var.namespace}/${var.name}/*"`, `secret:${var.name}/*"`},
		"another environment's secrets":  {`secret:${var.namespace}/${var.name}/*"`, `secret:${replace(var.namespace, var.environment, "production")}/${var.name}/*"`},
		"a prefix without the namespace": {`secret_prefix                = "${var.namespace}/${var.name}/"`, `secret_prefix                = "${var.name}/"`},
		"the workload's ServiceAccount":  {"service_account  = local.secret_store_service_account", "service_account  = var.service_account"},
		"more actions":                   {`["secretsmanager:GetSecretValue"]`, `["secretsmanager:GetSecretValue", "secretsmanager:ListSecrets"]`},
	}
	for what, e := range edits {
		src := string(tr.src[rel])
		if !strings.Contains(src, e[0]) {
			t.Fatalf("%s: %s no longer holds %q", what, rel, e[0])
		}
		edited := map[string][]byte{rel: []byte(strings.Replace(src, e[0], e[1], 1))}
		if p := storeRoleProblems(parseFiles(t, edited)[rel], edited[rel]); len(p) == 0 {
			t.Errorf("%s went unnoticed", what)
		}
	}
}
