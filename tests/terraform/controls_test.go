package terraform

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// want is one concrete attribute that implements a control. block selects a top-level
// block by type and labels; path walks nested blocks and object keys down to an attribute
// and may pick one of several nested blocks by an attribute's literal value, as in
// `statement[sid=DenyInsecureTransport]`. text is the expression as it must be written.
type want struct {
	control string
	file    string
	block   []string
	path    string
	text    string
}

const modules = "infra/terraform/modules/"

// moduleWants are the controls of each module, keyed by module directory.
var moduleWants = map[string][]want{
	"kms-key": {
		{"ENC-04", "main.tf", []string{"resource", "aws_kms_key", "this"}, "enable_key_rotation", "true"},
		{"ENC-04", "main.tf", []string{"resource", "aws_kms_key_policy", "this"}, "policy", "data.aws_iam_policy_document.key.json"},
		{"ENC-04", "main.tf", []string{"resource", "aws_kms_key_policy", "this"}, "bypass_policy_lockout_safety_check", "false"},
		{"ENC-04", "main.tf", []string{"data", "aws_iam_policy_document", "key"}, "statement[sid=KeyAdministration].principals.identifiers", "var.administrator_arns"},
		{"IAM-01", "main.tf", []string{"data", "aws_iam_policy_document", "key"}, "statement[sid=KeyAdministration].resources", "[aws_kms_key.this.arn]"},
		{"IAM-02", "main.tf", []string{"data", "aws_iam_policy_document", "key"}, "statement[sid=KeyUseByAdministratorsThroughServices].condition[variable=kms:ViaService].values", "var.via_services"},
		{"IAM-02", "main.tf", []string{"data", "aws_iam_policy_document", "key"}, "statement[sid=GrantsForAwsResourcesOnly].condition[variable=kms:GrantIsForAWSResource].values", `["true"]`},
		{"IAM-02", "main.tf", []string{"data", "aws_iam_policy_document", "key"}, "dynamic[statement].content.condition.variable", `"kms:ViaService"`},
		// Break glass: a deleted administrator cannot strand the key; the account is the
		// principal only through the one named role (matched by ARN, so re-creatable).
		{"ENC-04", "main.tf", []string{"data", "aws_iam_policy_document", "key"}, "statement[sid=BreakGlassAdministration].condition[variable=aws:PrincipalArn].test", `"ArnEquals"`},
		{"ENC-04", "main.tf", []string{"data", "aws_iam_policy_document", "key"}, "statement[sid=BreakGlassAdministration].condition[variable=aws:PrincipalArn].values", "[var.break_glass_role_arn]"},
		{"IAM-01", "main.tf", []string{"data", "aws_iam_policy_document", "key"}, "statement[sid=BreakGlassAdministration].resources", "[aws_kms_key.this.arn]"},
	},
	"s3-bucket": {
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_bucket_server_side_encryption_configuration", "this"}, "rule.apply_server_side_encryption_by_default.sse_algorithm", `"aws:kms"`},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_bucket_server_side_encryption_configuration", "this"}, "rule.apply_server_side_encryption_by_default.kms_master_key_id", "var.kms_key_arn"},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_bucket_server_side_encryption_configuration", "this"}, "rule.bucket_key_enabled", "true"},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_bucket_public_access_block", "this"}, "block_public_acls", "true"},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_bucket_public_access_block", "this"}, "block_public_policy", "true"},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_bucket_public_access_block", "this"}, "ignore_public_acls", "true"},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_bucket_public_access_block", "this"}, "restrict_public_buckets", "true"},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_bucket_versioning", "this"}, "versioning_configuration.status", `"Enabled"`},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_bucket_ownership_controls", "this"}, "rule.object_ownership", `"BucketOwnerEnforced"`},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_bucket_policy", "this"}, "policy", "data.aws_iam_policy_document.bucket.json"},
		{"ENC-01", "main.tf", []string{"data", "aws_iam_policy_document", "bucket"}, "statement[sid=DenyInsecureTransport].effect", `"Deny"`},
		{"ENC-01", "main.tf", []string{"data", "aws_iam_policy_document", "bucket"}, "statement[sid=DenyInsecureTransport].condition[variable=aws:SecureTransport].values", `["false"]`},
		{"ENC-01", "main.tf", []string{"data", "aws_iam_policy_document", "bucket"}, "statement[sid=DenyOutdatedTls].condition[variable=s3:TlsVersion].values", `["1.2"]`},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_bucket_logging", "this"}, "count", "var.access_logging ? 1 : 0"},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_bucket_logging", "this"}, "target_bucket", "var.access_log_bucket"},
		{"ENC-01", "variables.tf", []string{"variable", "access_logging"}, "default", "true"},
	},
	"irsa-role": {
		{"IAM-03", "main.tf", []string{"data", "aws_iam_policy_document", "trust"}, "statement[sid=IrsaWebIdentity].actions", `["sts:AssumeRoleWithWebIdentity"]`},
		{"IAM-03", "main.tf", []string{"data", "aws_iam_policy_document", "trust"}, "statement[sid=IrsaWebIdentity].principals.type", `"Federated"`},
		{"IAM-03", "main.tf", []string{"data", "aws_iam_policy_document", "trust"}, "statement[sid=IrsaWebIdentity].principals.identifiers", "[local.oidc_provider_arn]"},
		{"IAM-03", "main.tf", []string{"data", "aws_iam_policy_document", "trust"}, "statement[sid=IrsaWebIdentity].condition[variable=${var.oidc_provider}:sub].test", `"StringEquals"`},
		{"IAM-03", "main.tf", []string{"data", "aws_iam_policy_document", "trust"}, "statement[sid=IrsaWebIdentity].condition[variable=${var.oidc_provider}:sub].values", `["system:serviceaccount:${var.namespace}:${var.service_account}"]`},
		{"IAM-03", "main.tf", []string{"data", "aws_iam_policy_document", "trust"}, "statement[sid=IrsaWebIdentity].condition[variable=${var.oidc_provider}:aud].test", `"StringEquals"`},
		{"IAM-03", "main.tf", []string{"data", "aws_iam_policy_document", "trust"}, "statement[sid=IrsaWebIdentity].condition[variable=${var.oidc_provider}:aud].values", `["sts.amazonaws.com"]`},
		{"IAM-03", "main.tf", []string{"resource", "aws_iam_role", "this"}, "assume_role_policy", "data.aws_iam_policy_document.trust.json"},
		{"IAM-01", "main.tf", []string{"resource", "aws_iam_role_policy", "this"}, "policy", "data.aws_iam_policy_document.permissions.json"},
		{"IAM-01", "main.tf", []string{"data", "aws_iam_policy_document", "permissions"}, "dynamic[statement].content.effect", `"Allow"`},
		{"IAM-01", "main.tf", []string{"data", "aws_iam_policy_document", "permissions"}, "dynamic[statement].content.actions", "statement.value.actions"},
		{"IAM-01", "main.tf", []string{"data", "aws_iam_policy_document", "permissions"}, "dynamic[statement].content.resources", "statement.value.resources"},
		{"IAM-02", "main.tf", []string{"data", "aws_iam_policy_document", "permissions"}, "dynamic[statement].content.dynamic[condition].for_each", "statement.value.conditions"},
	},
	"rds-postgres": {
		{"ENC-02", "main.tf", []string{"resource", "aws_db_instance", "this"}, "storage_encrypted", "true"},
		{"ENC-02", "main.tf", []string{"resource", "aws_db_instance", "this"}, "kms_key_id", "var.kms_key_arn"},
		{"ENC-02", "main.tf", []string{"resource", "aws_db_instance", "this"}, "publicly_accessible", "false"},
		{"ENC-02", "main.tf", []string{"resource", "aws_db_instance", "this"}, "deletion_protection", "true"},
		{"ENC-02", "main.tf", []string{"resource", "aws_db_instance", "this"}, "backup_retention_period", "var.backup_retention_days"},
		{"ENC-02", "main.tf", []string{"resource", "aws_db_instance", "this"}, "manage_master_user_password", "true"},
		{"ENC-02", "main.tf", []string{"resource", "aws_db_instance", "this"}, "master_user_secret_kms_key_id", "var.kms_key_arn"},
		{"ENC-02", "main.tf", []string{"resource", "aws_db_instance", "this"}, "parameter_group_name", "aws_db_parameter_group.this.name"},
		{"ENC-02", "main.tf", []string{"resource", "aws_db_parameter_group", "this"}, "parameter[name=rds.force_ssl].value", `"1"`},
		{"ENC-02", "main.tf", []string{"resource", "aws_db_parameter_group", "this"}, "parameter[name=log_connections].value", `"1"`},
		{"ENC-02", "main.tf", []string{"resource", "aws_db_parameter_group", "this"}, "parameter[name=log_disconnections].value", `"1"`},
		{"ENC-02", "main.tf", []string{"resource", "aws_db_parameter_group", "this"}, "parameter[name=log_statement].value", `"ddl"`},
		{"ENC-02", "variables.tf", []string{"variable", "backup_retention_days"}, "default", "14"},
		{"ENC-02", "variables.tf", []string{"variable", "backup_retention_days"}, "validation.condition", "var.backup_retention_days >= 7 && var.backup_retention_days <= 35"},
	},
	"alb-https": {
		{"ENC-05", "main.tf", []string{"resource", "aws_lb", "this"}, "drop_invalid_header_fields", "true"},
		{"ENC-05", "main.tf", []string{"resource", "aws_lb", "this"}, "access_logs.enabled", "true"},
		{"ENC-05", "main.tf", []string{"resource", "aws_lb_listener", "https"}, "protocol", `"HTTPS"`},
		{"ENC-05", "main.tf", []string{"resource", "aws_lb_listener", "https"}, "ssl_policy", "var.ssl_policy"},
		{"ENC-05", "variables.tf", []string{"variable", "ssl_policy"}, "default", `"ELBSecurityPolicy-TLS13-1-2-2021-06"`},
		{"ENC-05", "main.tf", []string{"resource", "aws_lb_listener", "http_redirect"}, "protocol", `"HTTP"`},
		{"ENC-05", "main.tf", []string{"resource", "aws_lb_listener", "http_redirect"}, "default_action.type", `"redirect"`},
		{"ENC-05", "main.tf", []string{"resource", "aws_lb_listener", "http_redirect"}, "default_action.redirect.protocol", `"HTTPS"`},
		{"ENC-05", "main.tf", []string{"resource", "aws_lb_listener", "http_redirect"}, "default_action.redirect.status_code", `"HTTP_301"`},
	},
	// The account-wide settings, managed only by the platform root (platform/main.tf).
	"account-guardrails": {
		{"ENC-03", "main.tf", []string{"resource", "aws_ebs_encryption_by_default", "this"}, "enabled", "true"},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_account_public_access_block", "this"}, "block_public_acls", "true"},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_account_public_access_block", "this"}, "block_public_policy", "true"},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_account_public_access_block", "this"}, "ignore_public_acls", "true"},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_account_public_access_block", "this"}, "restrict_public_buckets", "true"},
	},
	"account-baseline": {
		// The service's baseline reads the account-wide settings and stops a plan without them.
		{"ENC-03", "main.tf", []string{"data", "aws_ebs_encryption_by_default", "account"}, "lifecycle.postcondition.condition", "self.enabled"},
		{"ENC-01", "main.tf", []string{"data", "aws_s3_account_public_access_block", "account"}, "lifecycle.postcondition.condition", "self.block_public_acls && self.block_public_policy && self.ignore_public_acls && self.restrict_public_buckets"},
		{"ENC-01", "main.tf", []string{"resource", "aws_s3_bucket_versioning", "access_logs"}, "versioning_configuration.status", `"Enabled"`},
		{"ENC-01", "main.tf", []string{"data", "aws_iam_policy_document", "access_logs"}, "statement[sid=DenyInsecureTransport].condition[variable=aws:SecureTransport].values", `["false"]`},
		{"IAM-02", "main.tf", []string{"data", "aws_iam_policy_document", "access_logs"}, "statement[sid=S3ServerAccessLogDelivery].condition[variable=aws:SourceAccount].test", `"StringEquals"`},
		// Load balancers deliver their logs under alb/<name>/AWSLogs/<this account>/ only.
		{"IAM-01", "main.tf", []string{"data", "aws_iam_policy_document", "access_logs"}, "statement[sid=LoadBalancerLogDelivery].resources", `["${aws_s3_bucket.access_logs.arn}/alb/*/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]`},
		{"IAM-01", "main.tf", []string{"data", "aws_iam_policy_document", "access_logs"}, "statement[sid=LoadBalancerLogDeliveryService].resources", `["${aws_s3_bucket.access_logs.arn}/alb/*/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]`},
		{"ENC-04", "main.tf", []string{"module", "state_key"}, "source", `"../kms-key"`},
	},
}

// serviceWants are the controls wired by the composition module.
var serviceWants = []want{
	{"ENC-04", "main.tf", []string{"module", "kms"}, "source", `"../kms-key"`},
	{"ENC-04", "main.tf", []string{"module", "kms"}, "break_glass_role_arn", `"arn:aws:iam::${var.aws_account_id}:role/${var.break_glass_role_name}"`},
	{"ENC-01", "main.tf", []string{"module", "bucket"}, "source", `"../s3-bucket"`},
	{"ENC-01", "main.tf", []string{"module", "bucket"}, "kms_key_arn", "module.kms.key_arn"},
	{"ENC-01", "main.tf", []string{"module", "bucket"}, "access_log_bucket", "var.access_log_bucket"},
	{"IAM-03", "main.tf", []string{"module", "irsa"}, "source", `"../irsa-role"`},
	{"IAM-03", "main.tf", []string{"module", "irsa"}, "namespace", "var.namespace"},
	{"IAM-03", "main.tf", []string{"module", "irsa"}, "service_account", "var.service_account"},
	{"IAM-03", "main.tf", []string{"module", "irsa"}, "oidc_provider", "var.oidc_provider"},
}

// selectBlock finds the top-level block named by sel (type then labels).
func selectBlock(body *hclsyntax.Body, sel []string) (*hclsyntax.Block, error) {
	found := blocksOf(body, sel[0], sel[1:]...)
	if len(found) != 1 {
		return nil, fmt.Errorf("%d blocks %s, want 1", len(found), strings.Join(sel, " "))
	}
	return found[0], nil
}

var segment = regexp.MustCompile(`^([a-z0-9_]+)(?:\[([a-z0-9_]+)(?:=(.+))?\])?$`)

// resolve walks p (dot-separated; a filter's value may itself hold dots, so filters are
// split off first) from a block down to an attribute or object key and returns its source.
func resolve(src []byte, b *hclsyntax.Block, p string) (string, error) {
	body := b.Body
	segs := splitPath(p)
	for i, seg := range segs {
		m := segment.FindStringSubmatch(seg)
		if m == nil {
			return "", fmt.Errorf("bad path segment %q", seg)
		}
		last := i == len(segs)-1
		if attr, ok := body.Attributes[m[1]]; ok && m[2] == "" {
			expr := attr.Expr
			for _, key := range segs[i+1:] {
				obj, ok := expr.(*hclsyntax.ObjectConsExpr)
				if !ok {
					return "", fmt.Errorf("%s is not an object", m[1])
				}
				if expr, ok = objectItems(obj)[key]; !ok {
					return "", fmt.Errorf("no key %q", key)
				}
			}
			return sourceText(src, expr), nil
		}
		if last {
			return "", fmt.Errorf("no attribute %q", m[1])
		}
		var next *hclsyntax.Block
		for _, nb := range body.Blocks {
			if nb.Type != m[1] {
				continue
			}
			switch {
			case m[2] == "":
				next = nb
			case m[3] == "":
				// dynamic[statement]: the dynamic block with that label.
				if len(nb.Labels) == 1 && nb.Labels[0] == m[2] {
					next = nb
				}
			default:
				if a, ok := nb.Body.Attributes[m[2]]; ok && strings.Trim(sourceText(src, a.Expr), `"`) == m[3] {
					next = nb
				}
			}
			if next != nil {
				break
			}
		}
		if next == nil {
			return "", fmt.Errorf("no block %q", seg)
		}
		body = next.Body
	}
	return "", fmt.Errorf("empty path")
}

// splitPath splits on dots outside brackets.
func splitPath(p string) []string {
	var segs []string
	depth, start := 0, 0
	for i, r := range p {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				segs = append(segs, p[start:i])
				start = i + 1
			}
		}
	}
	return append(segs, p[start:])
}

// check asserts one want against the file dir/w.file of the tree and records its control.
func check(t *testing.T, tr *tree, dir string, w want, seen map[string]bool) {
	t.Helper()
	rel := path.Join(dir, w.file)
	if !tr.has(rel) {
		t.Errorf("%s: %s: %s is missing", tr.name, w.control, rel)
		return
	}
	src := tr.src[rel]
	b, err := selectBlock(tr.body(t, rel), w.block)
	if err == nil {
		var got string
		if got, err = resolve(src, b, w.path); err == nil && got != w.text {
			err = fmt.Errorf("%s = %s, want %s", w.path, got, w.text)
		}
	}
	if err != nil {
		t.Errorf("%s: %s lost in %s (%s): %v", tr.name, w.control, rel, strings.Join(w.block, " "), err)
		return
	}
	seen[w.control] = true
}

// expectedModules are the module directories a case must render.
func expectedModules(tr *tree) []string {
	mods := []string{"account-baseline", "account-guardrails", "irsa-role", "kms-key", "s3-bucket", "service"}
	if tr.flag("include_rds") {
		mods = append(mods, "rds-postgres")
	}
	if tr.flag("include_alb") {
		mods = append(mods, "alb-https")
	}
	sort.Strings(mods)
	return mods
}

// TestControlsPresent fails when any IAM or ENC control disappears from a tree: each is
// asserted by the concrete attributes that implement it, in every module the case's answers
// call for, and every control must be seen in at least one tree.
func TestControlsPresent(t *testing.T) {
	seen := map[string]bool{}
	for _, tr := range loadTrees(t) {
		for _, m := range expectedModules(tr) {
			dir := modules + m
			for _, w := range moduleWants[m] {
				check(t, tr, dir, w, seen)
			}
			checkModuleFiles(t, tr, dir, seen)
		}
		for _, w := range serviceWants {
			check(t, tr, modules+"service", w, seen)
		}
		if tr.flag("include_rds") {
			check(t, tr, modules+"service", want{"ENC-02", "main.tf", []string{"module", "database"}, "kms_key_arn", "module.kms.key_arn"}, seen)
		}
		if tr.flag("include_alb") {
			check(t, tr, modules+"service", want{"ENC-05", "main.tf", []string{"module", "alb"}, "source", `"../alb-https"`}, seen)
		}
		checkServiceConditions(t, tr, seen)
		checkRoots(t, tr, seen)
		checkNoPasswords(t, tr)
	}
	for _, id := range []string{"IAM-01", "IAM-02", "IAM-03", "ENC-01", "ENC-02", "ENC-03", "ENC-04", "ENC-05", "ENC-06"} {
		if !seen[id] {
			t.Errorf("no golden tree shows %s: add a case that renders it", id)
		}
	}
}

// checkModuleFiles asserts ENC-06 for one module: the four files and the README exist,
// versions.tf pins Terraform and the AWS provider, every variable that is not a flag or a
// tag map is validated, and the README names the module's controls.
func checkModuleFiles(t *testing.T, tr *tree, dir string, seen map[string]bool) {
	t.Helper()
	for _, f := range []string{"versions.tf", "variables.tf", "outputs.tf", "main.tf"} {
		if !tr.has(path.Join(dir, f)) {
			t.Errorf("%s: %s/%s is missing", tr.name, dir, f)
			return
		}
	}
	versions := path.Join(dir, "versions.tf")
	checkPins(t, tr, versions)
	vars := path.Join(dir, "variables.tf")
	for _, v := range blocksOf(tr.body(t, vars), "variable") {
		typ := ""
		if a, ok := v.Body.Attributes["type"]; ok {
			typ = sourceText(tr.src[vars], a.Expr)
		}
		if typ == "bool" || v.Labels[0] == "tags" {
			continue
		}
		if len(blocksOf(v.Body, "validation")) == 0 {
			t.Errorf("%s: ENC-06 lost: variable %q in %s has no validation block", tr.name, v.Labels[0], vars)
		}
	}
	readme, err := readTreeFile(tr, path.Join(dir, "README.md"))
	if err != nil {
		t.Errorf("%s: %v", tr.name, err)
		return
	}
	for _, w := range moduleWants[path.Base(dir)] {
		if !strings.Contains(readme, w.control) {
			t.Errorf("%s: %s/README.md does not list %s", tr.name, dir, w.control)
		}
	}
	seen["ENC-06"] = true
}

// checkPins asserts that a terraform block pins Terraform and the AWS provider (ENC-06).
func checkPins(t *testing.T, tr *tree, rel string) {
	t.Helper()
	tf, err := selectBlock(tr.body(t, rel), []string{"terraform"})
	if err != nil {
		t.Errorf("%s: ENC-06 lost in %s: %v", tr.name, rel, err)
		return
	}
	src := tr.src[rel]
	if got, err := resolve(src, tf, "required_version"); err != nil || !strings.HasPrefix(got, `">= 1.`) || !strings.Contains(got, "< 2.0.0") {
		t.Errorf("%s: ENC-06 lost in %s: required_version = %q (%v)", tr.name, rel, got, err)
	}
	if got, err := resolve(src, tf, "required_providers.aws.version"); err != nil || !strings.HasPrefix(got, `"~> `) {
		t.Errorf("%s: ENC-06 lost in %s: the AWS provider is not pinned: %q (%v)", tr.name, rel, got, err)
	}
}

// checkServiceConditions asserts IAM-01 and IAM-02 on the statements the composition passes
// to the IRSA role: explicit actions and resources, and conditions on every statement whose
// service supports them.
func checkServiceConditions(t *testing.T, tr *tree, seen map[string]bool) {
	t.Helper()
	rel := modules + "service/main.tf"
	irsa, err := selectBlock(tr.body(t, rel), []string{"module", "irsa"})
	if err != nil {
		t.Errorf("%s: IAM-01 lost: %v", tr.name, err)
		return
	}
	attr, ok := irsa.Body.Attributes["statements"]
	if !ok {
		t.Errorf("%s: IAM-01 lost: module irsa has no statements", tr.name)
		return
	}
	list, ok := attr.Expr.(*hclsyntax.TupleConsExpr)
	if !ok || len(list.Exprs) < 3 {
		t.Errorf("%s: IAM-01 lost: module irsa's statements are not an explicit list of at least three", tr.name)
		return
	}
	for _, e := range list.Exprs {
		obj, ok := e.(*hclsyntax.ObjectConsExpr)
		if !ok {
			t.Errorf("%s: IAM-01 lost: a statement is not written in place", tr.name)
			continue
		}
		items := objectItems(obj)
		sid, _ := literalString(items["sid"])
		for _, key := range []string{"actions", "resources"} {
			if _, ok := items[key].(*hclsyntax.TupleConsExpr); !ok {
				t.Errorf("%s: IAM-01 lost: statement %s has no explicit %s list", tr.name, sid, key)
			}
		}
		if sid == "ConnectAsDatabaseUser" {
			continue
		}
		conds, ok := items["conditions"].(*hclsyntax.TupleConsExpr)
		if !ok || len(conds.Exprs) == 0 {
			t.Errorf("%s: IAM-02 lost: statement %s has no conditions", tr.name, sid)
		}
	}
	seen["IAM-01"] = true
	seen["IAM-02"] = true
}

// checkRoots asserts the environment roots: each environment composes the service module,
// and the state backend is encrypted, versioned and locked (ENC-01, ENC-06).
func checkRoots(t *testing.T, tr *tree, seen map[string]bool) {
	t.Helper()
	if tr.terragrunt() {
		root := "infra/terraform/live/terragrunt.hcl"
		if !tr.has(root) {
			t.Errorf("%s: %s is missing", tr.name, root)
			return
		}
		b, err := selectBlock(tr.body(t, root), []string{"remote_state"})
		if err != nil {
			t.Errorf("%s: ENC-01 lost in %s: %v", tr.name, root, err)
			return
		}
		for key, text := range map[string]string{
			"backend":                                   `"s3"`,
			"config.encrypt":                            "true",
			"config.use_lockfile":                       "true",
			"config.bucket_sse_algorithm":               `"aws:kms"`,
			"config.skip_bucket_versioning":             "false",
			"config.skip_bucket_ssl_requests_only":      "false",
			"config.skip_bucket_public_access_blocking": "false",
			// The state bucket and its objects use the customer-managed state key, and
			// access to it is logged.
			"config.kms_key_id":                  `"arn:aws:kms:${local.aws_region}:${local.aws_account_id}:alias/${local.name}-tfstate"`,
			"config.bucket_sse_kms_key_id":       `"arn:aws:kms:${local.aws_region}:${local.aws_account_id}:alias/${local.name}-tfstate"`,
			"config.accesslogging_bucket_name":   `"${local.name}-logs-${local.aws_account_id}"`,
			"config.accesslogging_target_prefix": `"s3/${local.name}-tfstate-${local.aws_account_id}/"`,
		} {
			if got, err := resolve(tr.src[root], b, key); err != nil || got != text {
				t.Errorf("%s: ENC-01 lost in %s: remote_state %s = %q, want %s (%v)", tr.name, root, key, got, text, err)
			}
		}
		if versions, err := selectBlock(tr.body(t, root), []string{"generate", "versions"}); err != nil {
			t.Errorf("%s: ENC-06 lost in %s: %v", tr.name, root, err)
		} else if got, err := resolve(tr.src[root], versions, "contents"); err != nil || !strings.Contains(got, `required_version = ">= 1.`) || !strings.Contains(got, `version = "~> `) {
			t.Errorf("%s: ENC-06 lost in %s: the generated versions file does not pin Terraform and the AWS provider (%v)", tr.name, root, err)
		}
		for _, env := range tr.environments() {
			check(t, tr, "infra/terraform/live/"+env, want{"ENC-01", "terragrunt.hcl", []string{"terraform"}, "source", `"${get_repo_root()}/infra/terraform/modules//service"`}, seen)
		}
		check(t, tr, "infra/terraform/live/account", want{"ENC-03", "terragrunt.hcl", []string{"terraform"}, "source", `"${get_repo_root()}/infra/terraform/modules//account-baseline"`}, seen)
		if got, err := resolve(tr.src["infra/terraform/live/account/terragrunt.hcl"], &hclsyntax.Block{Body: tr.body(t, "infra/terraform/live/account/terragrunt.hcl")}, "inputs.state_key_alias"); err != nil || !strings.HasSuffix(got, `-tfstate"`) {
			t.Errorf("%s: ENC-01 lost in live/account: it does not create the state key (%q, %v)", tr.name, got, err)
		}
		return
	}
	roots := []string{"infra/terraform/account"}
	for _, env := range tr.environments() {
		dir := "infra/terraform/envs/" + env
		roots = append(roots, dir)
		check(t, tr, dir, want{"ENC-01", "main.tf", []string{"module", "service"}, "source", `"../../modules/service"`}, seen)
	}
	check(t, tr, "infra/terraform/account", want{"ENC-03", "main.tf", []string{"module", "baseline"}, "source", `"../modules/account-baseline"`}, seen)
	for _, dir := range roots {
		rel := dir + "/main.tf"
		if !tr.has(rel) {
			t.Errorf("%s: %s is missing", tr.name, rel)
			continue
		}
		checkPins(t, tr, rel)
		tf, err := selectBlock(tr.body(t, rel), []string{"terraform"})
		if err != nil {
			t.Errorf("%s: %s: %v", tr.name, rel, err)
			continue
		}
		for key, text := range map[string]string{"encrypt": "true", "use_lockfile": "true"} {
			if got, err := resolve(tr.src[rel], tf, "backend[s3]."+key); err != nil || got != text {
				t.Errorf("%s: ENC-01 lost in %s: backend %s = %q, want %s (%v)", tr.name, rel, key, got, text, err)
			}
		}
		if _, err := resolve(tr.src[rel], tf, "backend[s3].kms_key_id"); err != nil {
			t.Errorf("%s: ENC-01 lost in %s: the state is not encrypted with the state key: %v", tr.name, rel, err)
		}
	}
}

var passwordName = regexp.MustCompile(`(?i)passw(or)?d|secret_string`)

// checkNoPasswords asserts that no variable, attribute or object key names a password:
// database credentials are generated and kept by AWS (SEC-01, ENC-02).
func checkNoPasswords(t *testing.T, tr *tree) {
	t.Helper()
	for _, rel := range tr.files {
		body := tr.body(t, rel)
		_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
			switch n := n.(type) {
			case *hclsyntax.Block:
				for _, l := range n.Labels {
					if passwordName.MatchString(l) {
						t.Errorf("%s: %s:%d: block %s %q names a password", tr.name, rel, n.DefRange().Start.Line, n.Type, l)
					}
				}
			case *hclsyntax.Attribute:
				if passwordName.MatchString(n.Name) && n.Name != "manage_master_user_password" {
					t.Errorf("%s: %s:%d: attribute %s names a password", tr.name, rel, n.SrcRange.Start.Line, n.Name)
				}
			}
			return nil
		})
	}
}

// readTreeFile reads a file of the tree that is not HCL.
func readTreeFile(tr *tree, rel string) (string, error) {
	b, err := os.ReadFile(filepath.Join(tr.dir, filepath.FromSlash(rel)))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", rel, err)
	}
	return string(b), nil
}
