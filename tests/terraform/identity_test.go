package terraform

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"gopkg.in/yaml.v3"
)

// envIdentity is what one environment root gives the service module: the inputs the IRSA
// role's name and trust policy are built from.
type envIdentity struct {
	env, root                       string
	name, account, provider         string
	namespace, serviceAccount, role string
}

// secretPrefix is the Secrets Manager name prefix the environment's SecretStore role may read.
func (e envIdentity) secretPrefix() string { return e.namespace + "/" + e.name + "/" }

// subject is the web identity the environment's role trusts (IAM-03).
func (e envIdentity) subject() string {
	return e.provider + ":sub=system:serviceaccount:" + e.namespace + ":" + e.serviceAccount
}

var envRoot = regexp.MustCompile(`^infra/terraform/(?:envs/([^/]+)/main\.tf|live/([^/]+)/terragrunt\.hcl)$`)

// envIdentities reads the literal inputs of every environment root of a tree (the module
// "service" block of envs/<env>/main.tf, the inputs of live/<env>/terragrunt.hcl).
func envIdentities(t *testing.T, tr *tree) []envIdentity {
	t.Helper()
	var out []envIdentity
	for _, rel := range tr.files {
		m := envRoot.FindStringSubmatch(rel)
		if m == nil || m[2] == "account" {
			continue
		}
		id := envIdentity{env: m[1] + m[2], root: rel}
		var inputs map[string]hclsyntax.Expression
		body := tr.body(t, rel)
		if m[1] != "" {
			blocks := blocksOf(body, "module", "service")
			if len(blocks) != 1 {
				t.Fatalf("%s: %s has %d module \"service\" blocks, want 1", tr.name, rel, len(blocks))
			}
			inputs = map[string]hclsyntax.Expression{}
			for k, a := range blocks[0].Body.Attributes {
				inputs[k] = a.Expr
			}
		} else {
			attr, ok := body.Attributes["inputs"]
			obj, isObj := attr.Expr.(*hclsyntax.ObjectConsExpr)
			if !ok || !isObj {
				t.Fatalf("%s: %s has no inputs object", tr.name, rel)
			}
			inputs = objectItems(obj)
		}
		for key, dst := range map[string]*string{
			"name": &id.name, "aws_account_id": &id.account, "oidc_provider": &id.provider,
			"namespace": &id.namespace, "service_account": &id.serviceAccount,
		} {
			expr, ok := inputs[key]
			if !ok {
				t.Fatalf("%s: %s does not set %s", tr.name, rel, key)
			}
			v, ok := literalString(expr)
			if !ok {
				t.Fatalf("%s: %s: %s is not a literal string", tr.name, rel, key)
			}
			*dst = v
		}
		// modules/service names the role <name>-<environment> (checked below).
		id.role = "arn:aws:iam::" + id.account + ":role/" + id.name + "-" + id.env
		out = append(out, id)
	}
	return out
}

// TestOneIdentityPerEnvironment: no two environments' IRSA roles trust a common subject, so a
// pod of one environment cannot assume another environment's role; and where the Kubernetes
// overlays are rendered beside the Terraform, each overlay's ServiceAccount is exactly the
// subject its environment's role trusts and is annotated with that role.
func TestOneIdentityPerEnvironment(t *testing.T) {
	multi := false
	for _, tr := range loadTrees(t) {
		ids := envIdentities(t, tr)
		if len(ids) == 0 {
			continue
		}
		multi = multi || len(ids) > 1
		bySubject := map[string]string{}
		for _, id := range ids {
			if other, dup := bySubject[id.subject()]; dup {
				t.Errorf("%s: environments %s and %s trust the same subject %s", tr.name, other, id.env, id.subject())
			}
			bySubject[id.subject()] = id.env
			if !strings.HasSuffix(id.namespace, "-"+id.env) {
				t.Errorf("%s: environment %s runs in namespace %q, not its own <namespace>-%s", tr.name, id.env, id.namespace, id.env)
			}
		}
		checkIdentityWiring(t, tr)
		checkOverlaysMatchRoles(t, tr, ids)
	}
	if !multi {
		t.Fatal("no golden tree has two environments: the test would prove nothing")
	}
}

// checkIdentityWiring asserts that the modules build the role and its trust from the inputs
// read above: role <name>-<environment>, sub = system:serviceaccount:<namespace>:<sa>.
func checkIdentityWiring(t *testing.T, tr *tree) {
	t.Helper()
	service := tr.body(t, "infra/terraform/modules/service/main.tf")
	src := tr.src["infra/terraform/modules/service/main.tf"]
	irsa := blocksOf(service, "module", "irsa")
	if len(irsa) != 1 {
		t.Fatalf("%s: modules/service has %d module \"irsa\" blocks", tr.name, len(irsa))
	}
	want := map[string]string{"role_name": "local.prefix", "namespace": "var.namespace", "service_account": "var.service_account", "oidc_provider": "var.oidc_provider"}
	for k, v := range want {
		a, ok := irsa[0].Body.Attributes[k]
		if !ok || strings.TrimSpace(sourceText(src, a.Expr)) != v {
			t.Errorf("%s: modules/service: module irsa %s is not %s", tr.name, k, v)
		}
	}
	var prefix string
	for _, l := range blocksOf(service, "locals") {
		if a, ok := l.Body.Attributes["prefix"]; ok {
			prefix = strings.TrimSpace(sourceText(src, a.Expr))
		}
	}
	if prefix != `"${var.name}-${var.environment}"` {
		t.Errorf("%s: modules/service: local.prefix is %s, want the role name <name>-<environment>", tr.name, prefix)
	}
	trust := string(tr.src["infra/terraform/modules/irsa-role/main.tf"])
	if !strings.Contains(trust, `variable = "${var.oidc_provider}:sub"`) ||
		!strings.Contains(trust, `values   = ["system:serviceaccount:${var.namespace}:${var.service_account}"]`) {
		t.Errorf("%s: modules/irsa-role: the trust policy no longer pins :sub to the environment's ServiceAccount", tr.name)
	}
}

// kustomization is the part of an overlay's kustomization.yaml this test reads.
type kustomization struct {
	Namespace string `yaml:"namespace"`
	Patches   []struct {
		Target struct {
			Kind string `yaml:"kind"`
			Name string `yaml:"name"`
		} `yaml:"target"`
		Patch string `yaml:"patch"`
	} `yaml:"patches"`
}

// checkOverlaysMatchRoles compares the Kubernetes overlays of a tree with its environments.
func checkOverlaysMatchRoles(t *testing.T, tr *tree, ids []envIdentity) {
	t.Helper()
	overlays, err := filepath.Glob(filepath.Join(tr.dir, "deploy", "k8s", "overlays", "*", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(overlays) == 0 {
		return
	}
	var sa struct {
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
	}
	readYAML(t, filepath.Join(tr.dir, "deploy", "k8s", "base", "serviceaccount.yaml"), &sa)
	irsa, _ := tr.answers["irsa_role_arn"].(string)
	byEnv := map[string]envIdentity{}
	for _, id := range ids {
		byEnv[id.env] = id
	}
	for _, path := range overlays {
		env := filepath.Base(filepath.Dir(path))
		id, ok := byEnv[env]
		if !ok {
			t.Errorf("%s: overlay %s has no Terraform environment (no role trusts it)", tr.name, env)
			continue
		}
		var k kustomization
		readYAML(t, path, &k)
		if k.Namespace != id.namespace || sa.Metadata.Name != id.serviceAccount {
			t.Errorf("%s: overlay %s runs as %s:%s, but its role trusts %s:%s", tr.name, env, k.Namespace, sa.Metadata.Name, id.namespace, id.serviceAccount)
		}
		annotated := map[string][]string{} // ServiceAccount name -> role ARNs
		var remoteKeys []string
		for _, p := range k.Patches {
			var ops []struct {
				Path  string `yaml:"path"`
				Value any    `yaml:"value"`
			}
			if err := yaml.Unmarshal([]byte(p.Patch), &ops); err != nil {
				t.Fatalf("%s: overlay %s: %s patch: %v", tr.name, env, p.Target.Kind, err)
			}
			for _, op := range ops {
				switch v := op.Value.(type) {
				case map[string]any:
					if arn, ok := v["eks.amazonaws.com/role-arn"].(string); ok && p.Target.Kind == "ServiceAccount" {
						annotated[p.Target.Name] = append(annotated[p.Target.Name], arn)
					}
				case string:
					if p.Target.Kind == "ExternalSecret" && strings.HasSuffix(op.Path, "/remoteRef/key") {
						remoteKeys = append(remoteKeys, v)
					}
				}
			}
		}
		workload, store := annotated[sa.Metadata.Name], annotated[id.name+"-secret-store"]
		delete(annotated, sa.Metadata.Name)
		delete(annotated, id.name+"-secret-store")
		switch {
		case len(annotated) > 0:
			t.Errorf("%s: overlay %s annotates unexpected ServiceAccounts %v", tr.name, env, annotated)
		case irsa == "" && len(workload)+len(store) != 0:
			t.Errorf("%s: overlay %s annotates %v %v without an IRSA answer", tr.name, env, workload, store)
		case irsa != "" && (len(workload) != 1 || workload[0] != id.role):
			t.Errorf("%s: overlay %s annotates %v, want its environment's role %s", tr.name, env, workload, id.role)
		}
		// K8S-09: the overlay's SecretStore reads as the role Terraform creates for this
		// environment's store, and asks only for keys under the prefix that role may read.
		if len(store) > 0 && (len(store) != 1 || store[0] != id.role+"-secrets") {
			t.Errorf("%s: overlay %s's SecretStore reads as %v, want its environment's store role %s-secrets", tr.name, env, store, id.role)
		}
		for _, key := range remoteKeys {
			if !strings.HasPrefix(key, id.secretPrefix()) {
				t.Errorf("%s: overlay %s reads secret %q, outside %s, the only prefix its store role may read", tr.name, env, key, id.secretPrefix())
			}
		}
	}
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
