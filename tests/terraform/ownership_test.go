package terraform

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// accountSingletons are AWS resources of which an account has one per region (or one in
// all): whichever state manages one owns it for every service of the account.
var accountSingletons = []string{
	"aws_ebs_encryption_by_default",
	"aws_ebs_default_kms_key",
	"aws_ebs_snapshot_block_public_access",
	"aws_ec2_image_block_public_access",
	"aws_ec2_serial_console_access",
	"aws_s3_account_public_access_block",
	"aws_iam_account_password_policy",
	"aws_iam_account_alias",
	"aws_securityhub_account",
	"aws_guardduty_detector",
	"aws_macie2_account",
}

const (
	guardrailsDir = "infra/terraform/modules/account-guardrails/"
	platformRoot  = "infra/terraform/platform/main.tf"
)

// parsedFiles parses every .tf and .hcl file of a tree.
func parsedFiles(t *testing.T, tr *tree) map[string]*hclsyntax.Body {
	t.Helper()
	out := map[string]*hclsyntax.Body{}
	for _, rel := range tr.files {
		out[rel] = tr.body(t, rel)
	}
	return out
}

// parseFiles parses sources given in memory (the regression tests' edited copies).
func parseFiles(t *testing.T, src map[string][]byte) map[string]*hclsyntax.Body {
	t.Helper()
	out := map[string]*hclsyntax.Body{}
	for rel, b := range src {
		f, diags := hclsyntax.ParseConfig(b, rel, hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", rel, diags.Error())
		}
		out[rel] = f.Body.(*hclsyntax.Body)
	}
	return out
}

// singletonProblems returns how a tree lets more than the platform root manage an
// account-wide setting: a singleton resource outside the account-guardrails module, a
// service root (account/, envs/, live/) that instantiates that module, or a platform root
// that keeps its state in the service's state bucket.
func singletonProblems(files map[string]*hclsyntax.Body, src map[string][]byte, service string) []string {
	var problems []string
	paths := slices.Sorted(maps.Keys(files))
	for _, rel := range paths {
		body := files[rel]
		for _, b := range blocksOf(body, "resource") {
			if slices.Contains(accountSingletons, b.Labels[0]) && !strings.HasPrefix(rel, guardrailsDir) {
				problems = append(problems, fmt.Sprintf("%s manages the account-wide %s", rel, b.Labels[0]))
			}
		}
		if rel == platformRoot {
			continue
		}
		for _, m := range blocksOf(body, "module") {
			if a, ok := m.Body.Attributes["source"]; ok && strings.Contains(sourceText(src[rel], a.Expr), "account-guardrails") {
				problems = append(problems, fmt.Sprintf("%s instantiates the account guardrails; only %s may", rel, platformRoot))
			}
		}
		if path.Ext(rel) == ".hcl" && strings.Contains(string(src[rel]), "account-guardrails") {
			problems = append(problems, fmt.Sprintf("%s (a Terragrunt unit) applies the account guardrails; only %s may", rel, platformRoot))
		}
	}
	body, ok := files[platformRoot]
	if !ok {
		return append(problems, platformRoot+" is missing: nothing manages the account-wide settings")
	}
	managed := false
	for _, m := range blocksOf(body, "module") {
		if a, ok := m.Body.Attributes["source"]; ok && sourceText(src[platformRoot], a.Expr) == `"../modules/account-guardrails"` {
			managed = true
		}
	}
	if !managed {
		problems = append(problems, platformRoot+" does not instantiate modules/account-guardrails")
	}
	for _, tf := range blocksOf(body, "terraform") {
		for _, be := range blocksOf(tf.Body, "backend") {
			if strings.Contains(string(be.Range().SliceBytes(src[platformRoot])), service+"-tfstate") {
				problems = append(problems, platformRoot+" keeps its state in the service's state bucket: the platform's state is its own")
			}
		}
	}
	return problems
}

// TestAccountWideSettingsHaveOneOwner: EBS encryption by default, the account's S3 public
// access block and every other account-wide singleton are managed by the platform root
// alone, never by a service's own roots (two services would fight over them, and
// destroying one would turn them off for all); the service's baseline only reads them.
func TestAccountWideSettingsHaveOneOwner(t *testing.T) {
	for _, tr := range loadTrees(t) {
		for _, p := range singletonProblems(parsedFiles(t, tr), tr.src, tr.str("name", "")) {
			t.Errorf("%s: %s", tr.name, p)
		}
		const baseline = "infra/terraform/modules/account-baseline/main.tf"
		for _, ds := range []string{"aws_ebs_encryption_by_default", "aws_s3_account_public_access_block"} {
			blocks := blocksOf(tr.body(t, baseline), "data", ds)
			if len(blocks) != 1 || len(blocksOf(blocks[0].Body, "lifecycle")) != 1 {
				t.Errorf("%s: %s does not read %s with a postcondition", tr.name, baseline, ds)
			}
		}
	}
}

// TestAccountWideCheckCatchesRegressions proves singletonProblems fails on the ways back to
// a service managing account-wide settings.
func TestAccountWideCheckCatchesRegressions(t *testing.T) {
	tr := loadTrees(t)[0]
	name := tr.str("name", "")
	if p := singletonProblems(parsedFiles(t, tr), tr.src, name); len(p) > 0 {
		t.Fatalf("%s is not clean: %v", tr.name, p)
	}
	edits := map[string]func(map[string][]byte){
		"EBS encryption back in the baseline": func(s map[string][]byte) {
			rel := "infra/terraform/modules/account-baseline/main.tf"
			s[rel] = append(s[rel], "\nresource \"aws_ebs_encryption_by_default\" \"this\" {\n  enabled = true\n}\n"...)
		},
		"a service root applying the guardrails": func(s map[string][]byte) {
			for rel := range s {
				if strings.HasSuffix(rel, "main.tf") && strings.Contains(rel, "/envs/") {
					s[rel] = append(s[rel], "\nmodule \"guardrails\" {\n  source = \"../../modules/account-guardrails\"\n}\n"...)
				}
			}
		},
		"no platform root": func(s map[string][]byte) { delete(s, platformRoot) },
	}
	for what, edit := range edits {
		src := maps.Clone(tr.src)
		edit(src)
		if p := singletonProblems(parseFiles(t, src), src, name); len(p) == 0 {
			t.Errorf("%s went unnoticed", what)
		}
	}
}

// kmsProblems returns how a tree lets the key administrators follow whoever applies: a
// kms-key module call whose administrators come from the caller's identity, one without the
// break-glass role, or a deployer identity read without the postcondition that it is one of
// the administrators.
func kmsProblems(files map[string]*hclsyntax.Body, src map[string][]byte) []string {
	var problems []string
	calls := 0
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		body := files[rel]
		for _, m := range blocksOf(body, "module") {
			a, ok := m.Body.Attributes["source"]
			if !ok || !strings.HasSuffix(sourceText(src[rel], a.Expr), `/kms-key"`) {
				continue
			}
			calls++
			admins, ok := m.Body.Attributes["administrator_arns"]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: module %s names no administrators", rel, m.Labels[0]))
				continue
			}
			if text := sourceText(src[rel], admins.Expr); strings.Contains(text, "aws_iam_session_context") || strings.Contains(text, "aws_caller_identity") {
				problems = append(problems, fmt.Sprintf("%s: module %s's administrators are whoever applies (%s)", rel, m.Labels[0], text))
			}
			if _, ok := m.Body.Attributes["break_glass_role_arn"]; !ok {
				problems = append(problems, fmt.Sprintf("%s: module %s has no break-glass role", rel, m.Labels[0]))
			}
		}
		for _, d := range blocksOf(body, "data", "aws_iam_session_context") {
			text := string(d.Range().SliceBytes(src[rel]))
			if !regexp.MustCompile(`postcondition\s*\{\s*condition\s*=[^\n]*contains\([^\n]*administrator_arns, self\.issuer_arn\)`).MatchString(text) {
				problems = append(problems, fmt.Sprintf("%s: the deployer's identity is read without the postcondition that it is a key administrator", rel))
			}
		}
	}
	if calls == 0 {
		problems = append(problems, "no module calls kms-key")
	}
	return problems
}

// rootAdministrators returns, for each root or unit of a tree, the administrators it passes
// on as literal strings.
func rootAdministrators(t *testing.T, tr *tree) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	literals := func(rel string, expr hclsyntax.Expression) {
		var arns []string
		for _, e := range elements(expr) {
			s, ok := literalString(e)
			if !ok {
				t.Errorf("%s: %s: a key administrator is not a literal string", tr.name, rel)
			}
			arns = append(arns, s)
		}
		out[rel] = arns
	}
	for _, rel := range tr.files {
		body := tr.body(t, rel)
		switch {
		case rel == "infra/terraform/account/main.tf":
			for _, l := range blocksOf(body, "locals") {
				if a, ok := l.Body.Attributes["key_administrator_arns"]; ok {
					literals(rel, a.Expr)
				}
			}
		case strings.HasPrefix(rel, "infra/terraform/envs/"):
			for _, m := range blocksOf(body, "module", "service") {
				if a, ok := m.Body.Attributes["key_administrator_arns"]; ok {
					literals(rel, a.Expr)
				}
			}
		case strings.HasPrefix(rel, "infra/terraform/live/") && rel != "infra/terraform/live/terragrunt.hcl":
			if a, ok := body.Attributes["inputs"]; ok {
				if obj, ok := a.Expr.(*hclsyntax.ObjectConsExpr); ok {
					if e, ok := objectItems(obj)["key_administrator_arns"]; ok {
						literals(rel, e)
					}
				}
			}
		}
	}
	return out
}

// TestKMSAdministratorsAreAnInput: every key names the administrators of the answers
// (kms_key_administrators), in every root and unit, never the identity that happens to
// apply, so a re-apply by another role cannot replace them; the break-glass statement
// stays; and a plan by a role that is not an administrator stops before it touches a key.
func TestKMSAdministratorsAreAnInput(t *testing.T) {
	for _, tr := range loadTrees(t) {
		for _, p := range kmsProblems(parsedFiles(t, tr), tr.src) {
			t.Errorf("%s: %s", tr.name, p)
		}
		want := []string{"arn:aws:iam::" + tr.str("aws_account_id", "111122223333") + ":role/terraform-deployer"}
		if v, ok := tr.answers["kms_key_administrators"].([]any); ok {
			want = nil
			for _, a := range v {
				want = append(want, a.(string))
			}
		}
		got := rootAdministrators(t, tr)
		roots := 1 + len(tr.environments()) // the account root and one per environment
		if len(got) != roots {
			t.Errorf("%s: %d roots pass key administrators (%v), want %d", tr.name, len(got), slices.Sorted(maps.Keys(got)), roots)
		}
		for rel, arns := range got {
			if !slices.Equal(arns, want) {
				t.Errorf("%s: %s: key administrators %v, want the answers' %v", tr.name, rel, arns, want)
			}
		}
	}
}

// TestKMSCheckCatchesRegressions proves kmsProblems fails when the administrators follow the
// deployer again, when the break-glass role goes, or when the postcondition goes.
func TestKMSCheckCatchesRegressions(t *testing.T) {
	tr := loadTrees(t)[0]
	if p := kmsProblems(parsedFiles(t, tr), tr.src); len(p) > 0 {
		t.Fatalf("%s is not clean: %v", tr.name, p)
	}
	const service = "infra/terraform/modules/service/main.tf"
	edits := map[string][2]string{
		"administrators from the deployer": {"administrator_arns = var.key_administrator_arns", "administrator_arns = [data.aws_iam_session_context.deployer.issuer_arn]"},
		"no break-glass role":              {"break_glass_role_arn = ", "break_glass_role = "},
		"no postcondition":                 {"contains(var.key_administrator_arns, self.issuer_arn)", "true"},
	}
	for what, e := range edits {
		src := maps.Clone(tr.src)
		if !strings.Contains(string(src[service]), e[0]) {
			t.Fatalf("%s: %s no longer holds %q", what, service, e[0])
		}
		src[service] = []byte(strings.Replace(string(src[service]), e[0], e[1], 1))
		if p := kmsProblems(parseFiles(t, src), src); len(p) == 0 {
			t.Errorf("%s went unnoticed", what)
		}
	}
}

// TestALBReachesItsTargets: the load balancer's path to the pods is open at both ends and
// nowhere else: its security group may send to the targets' group on the target port, and
// the targets' group admits the load balancer's group on that port, by a standalone rule;
// the service wires the workload's security group in as the targets'. The module's README
// says what the hop carries: TLS ends at the load balancer unless targets terminate it.
func TestALBReachesItsTargets(t *testing.T) {
	found := false
	for _, tr := range loadTrees(t) {
		const rel = "infra/terraform/modules/alb-https/main.tf"
		if !tr.has(rel) {
			continue
		}
		found = true
		want := map[string]string{
			"security_group_id":            "var.target_security_group_id",
			"referenced_security_group_id": "aws_security_group.this.id",
			"ip_protocol":                  `"tcp"`,
			"from_port":                    "var.target_port",
			"to_port":                      "var.target_port",
		}
		var rules []string
		for _, b := range blocksOf(tr.body(t, rel), "resource", "aws_vpc_security_group_ingress_rule") {
			got := map[string]string{}
			for k := range want {
				if a, ok := b.Body.Attributes[k]; ok {
					got[k] = sourceText(tr.src[rel], a.Expr)
				}
			}
			if maps.Equal(got, want) {
				rules = append(rules, b.Labels[1])
			}
		}
		if len(rules) != 1 {
			t.Errorf("%s: %d rules admit the load balancer into the targets' security group on the target port (%v), want 1", tr.name, len(rules), rules)
		}
		for _, b := range blocksOf(tr.body(t, rel), "resource", "aws_security_group") {
			if len(blocksOf(b.Body, "ingress")) > 0 || len(blocksOf(b.Body, "egress")) > 0 {
				t.Errorf("%s: security group %s has inline rules, which would replace the targets' group's others", tr.name, b.Labels[1])
			}
		}
		svc := tr.body(t, "infra/terraform/modules/service/main.tf")
		for _, m := range blocksOf(svc, "module", "alb") {
			if a := m.Body.Attributes["target_security_group_id"]; a == nil || sourceText(tr.src["infra/terraform/modules/service/main.tf"], a.Expr) != "var.workload_security_group_id" {
				t.Errorf("%s: the service does not give the load balancer the workload's security group as its targets'", tr.name)
			}
		}
		var protocol string
		for _, b := range blocksOf(tr.body(t, "infra/terraform/modules/alb-https/variables.tf"), "variable", "target_protocol") {
			if a, ok := b.Body.Attributes["default"]; ok {
				protocol, _ = literalString(a.Expr)
			}
		}
		readme := mustReadTreeFile(t, tr, "infra/terraform/modules/alb-https/README.md")
		if protocol == "HTTP" && (regexp.MustCompile(`(?i)speaks HTTPS only|HTTPS end to end|encrypted all the way`).MatchString(readme) || !strings.Contains(readme, "plain HTTP")) {
			t.Errorf("%s: the targets get plain HTTP by default, but alb-https/README.md does not say so plainly", tr.name)
		}
	}
	if !found {
		t.Fatal("no golden tree renders the alb-https module")
	}
}

// TestIAMDatabaseAuthIsNotClaimed: IAM database authentication is the service's only if its
// code requests RDS tokens; it does not (no feature/rds/auth import), so the database has
// the method off, no role holds rds-db:connect, and no rendered document says the service
// authenticates with IAM.
func TestIAMDatabaseAuthIsNotClaimed(t *testing.T) {
	claim := regexp.MustCompile(`(?i)(authenticate|connect)s? (to the database )?(with|through) IAM|IAM (database )?auth(entication)? (on|enabled)|, IAM auth[,.]`)
	found := false
	for _, tr := range loadTrees(t) {
		const rel = "infra/terraform/modules/rds-postgres/main.tf"
		if !tr.has(rel) {
			continue
		}
		found = true
		codeUsesIAM := false
		for _, f := range treeFiles(t, tr, ".go") {
			if strings.Contains(mustReadTreeFile(t, tr, f), "feature/rds/auth") {
				codeUsesIAM = true
			}
		}
		for _, b := range blocksOf(tr.body(t, rel), "resource", "aws_db_instance") {
			a, ok := b.Body.Attributes["iam_database_authentication_enabled"]
			if !ok || sourceText(tr.src[rel], a.Expr) != fmt.Sprint(codeUsesIAM) {
				t.Errorf("%s: iam_database_authentication_enabled is not %v, what the service's code does", tr.name, codeUsesIAM)
			}
		}
		if codeUsesIAM {
			continue
		}
		for _, f := range tr.files {
			if strings.Contains(string(tr.src[f]), `"rds-db:connect"`) {
				t.Errorf("%s: %s grants rds-db:connect, which nothing uses", tr.name, f)
			}
		}
		for _, f := range treeFiles(t, tr, ".md") {
			if m := claim.FindString(mustReadTreeFile(t, tr, f)); m != "" {
				t.Errorf("%s: %s claims IAM database authentication (%q), which the service does not use", tr.name, f, m)
			}
		}
	}
	if !found {
		t.Fatal("no golden tree renders the rds-postgres module")
	}
}

// treeFiles lists the files of a tree with the extension, slash-separated and sorted.
func treeFiles(t *testing.T, tr *tree, ext string) []string {
	t.Helper()
	var out []string
	for _, f := range allFiles(t, tr) {
		if path.Ext(f) == ext {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// allFiles lists every regular file of a tree, slash-separated and relative to it.
func allFiles(t *testing.T, tr *tree) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(tr.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(tr.dir, p)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustReadTreeFile reads one file of a tree, failing the test when it cannot.
func mustReadTreeFile(t *testing.T, tr *tree, rel string) string {
	t.Helper()
	s, err := readTreeFile(tr, rel)
	if err != nil {
		t.Fatalf("%s: %v", tr.name, err)
	}
	return s
}
