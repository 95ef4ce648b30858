package audit_test

import (
	"regexp"
	"strings"
)

var goDirective = regexp.MustCompile(`(?m)^go [0-9.]+$`)

// edit changes one file of a copied golden tree: it gets the file's content
// and returns the new one, or remove to delete the file.
type edit struct {
	file     string
	change   func(string) string
	remove   bool
	renameTo string
}

// breakage is a deliberate regression of one control, the equivalent of
// those the verification modules apply (tests/k8s/regressions_test.go has
// the Kubernetes ones), made on a copy of a golden tree.
type breakage struct {
	name    string
	control string
	golden  string
	edits   []edit
}

func replace(file, old, new string) edit {
	return edit{file: file, change: func(s string) string {
		if !strings.Contains(s, old) {
			return "\x00missing: " + old
		}
		return strings.Replace(s, old, new, 1)
	}}
}

func appendTo(file, text string) edit {
	return edit{file: file, change: func(s string) string { return s + text }}
}

// rename turns a test function into an ordinary one, so go test no longer runs it.
func rename(file, test string) edit {
	return replace(file, "func "+test+"(", "func un"+test+"(")
}

func remove(file string) edit { return edit{file: file, remove: true} }

// move renames a file (a manifest saved as .yml must still be audited).
func move(file, to string) edit { return edit{file: file, renameTo: to} }

const (
	k8sFull = "k8s/full"
	svc     = "go-service/defaults"
	tfFull  = "terraform-aws/full"
	dep     = "deploy/k8s/base/deployment.yaml"
	ns      = "deploy/k8s/base/namespace.yaml"
	sa      = "deploy/k8s/base/serviceaccount.yaml"
	npAllow = "deploy/k8s/base/networkpolicy-allow.yaml"
	npDeny  = "deploy/k8s/base/networkpolicy-default-deny.yaml"
	es      = "deploy/k8s/base/externalsecret.yaml"
	pa      = "deploy/k8s/base/peerauthentication.yaml"
	hpa     = "deploy/k8s/base/horizontalpodautoscaler.yaml"
	pdb     = "deploy/k8s/base/poddisruptionbudget.yaml"
	// prodOverlay annotates the production ServiceAccount with its IRSA role.
	prodOverlay = "deploy/k8s/overlays/production/kustomization.yaml"
	ci          = ".github/workflows/ci.yml"
	release     = ".github/workflows/release.yml"
	tfModules   = "infra/terraform/modules/"
)

var breakages = []breakage{
	// Kubernetes: the 51 regressions of tests/k8s/regressions_test.go, as edits of files.
	{"pod may run as root", "K8S-01", k8sFull, []edit{replace(dep, "      securityContext:\n        runAsNonRoot: true", "      securityContext:\n        runAsNonRoot: false")}},
	{"pod runs as uid 0", "K8S-01", k8sFull, []edit{replace(dep, "        runAsUser: 65532\n        runAsGroup: 65532\n        fsGroup", "        runAsUser: 0\n        runAsGroup: 65532\n        fsGroup")}},
	{"fsGroup removed", "K8S-01", k8sFull, []edit{replace(dep, "        fsGroup: 65532\n", "")}},
	{"seccomp unconfined", "K8S-01", k8sFull, []edit{replace(dep, "        fsGroupChangePolicy: OnRootMismatch\n        seccompProfile:\n          type: RuntimeDefault", "        fsGroupChangePolicy: OnRootMismatch\n        seccompProfile:\n          type: Unconfined")}},
	{"host network", "K8S-01", k8sFull, []edit{replace(dep, "hostNetwork: false", "hostNetwork: true")}},
	{"privilege escalation", "K8S-02", k8sFull, []edit{replace(dep, "            allowPrivilegeEscalation: false\n", "")}},
	{"writable root", "K8S-02", k8sFull, []edit{replace(dep, "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false")}},
	{"capabilities kept", "K8S-02", k8sFull, []edit{replace(dep, "              drop:\n                - ALL\n", "              drop: []\n")}},
	{"capability added", "K8S-02", k8sFull, []edit{replace(dep, "              drop:\n", "              add: [NET_ADMIN]\n              drop:\n")}},
	{"privileged", "K8S-02", k8sFull, []edit{replace(dep, "privileged: false", "privileged: true")}},
	{"default ServiceAccount", "K8S-03", k8sFull, []edit{replace(dep, `      serviceAccountName: "payments-api"`+"\n", "")}},
	{"token mounted in pod", "K8S-03", k8sFull, []edit{replace(dep, "      automountServiceAccountToken: false\n", "")}},
	{"token mounted by ServiceAccount", "K8S-03", k8sFull, []edit{replace(sa, "automountServiceAccountToken: false", "automountServiceAccountToken: true")}},
	{"image by tag", "K8S-04", k8sFull, []edit{replace(dep, `image: "registry.example.com/shop/payments:1.4.2@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`, `image: "example.com/app:1.0.0"`)}},
	{"no memory limit", "K8S-05", k8sFull, []edit{replace(dep, `              memory: "512Mi"`+"\n", "")}},
	{"no ephemeral-storage request", "K8S-05", k8sFull, []edit{replace(dep, `              ephemeral-storage: "128Mi"`+"\n", "")}},
	{"request above limit", "K8S-05", k8sFull, []edit{replace(dep, `cpu: "250m"`, `cpu: "64"`)}},
	{"unbounded emptyDir", "K8S-06", k8sFull, []edit{replace(dep, "          emptyDir:\n            sizeLimit: \"256Mi\"", "          emptyDir: {}")}},
	{"hostPath scratch", "K8S-06", k8sFull, []edit{replace(dep, "          emptyDir:\n            sizeLimit: \"256Mi\"", "          hostPath:\n            path: /tmp")}},
	{"no /tmp volume", "K8S-06", k8sFull, []edit{replace(dep, "          volumeMounts:\n            - name: tmp\n              mountPath: /tmp\n", "")}},
	{"default deny dropped", "K8S-07", k8sFull, []edit{remove(npDeny)}},
	{"default deny only ingress", "K8S-07", k8sFull, []edit{replace(npDeny, "    - Ingress\n    - Egress", "    - Ingress")}},
	{"ingress from every namespace", "K8S-08", k8sFull, []edit{replace(npAllow, "        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: \"istio-ingress\"", "        - namespaceSelector: {}")}},
	{"ingress on every port", "K8S-08", k8sFull, []edit{replace(npAllow, "      ports:\n        - protocol: TCP\n          port: 9090\n", "")}},
	{"egress anywhere", "K8S-08", k8sFull, []edit{appendTo(npAllow, "    - {}\n")}},
	{"database egress on any port", "K8S-08", k8sFull, []edit{replace(npAllow, "port: 5432", "port: 1")}},
	{"DNS egress dropped", "K8S-08", k8sFull, []edit{replace(npAllow, "        - protocol: UDP\n          port: 53\n        - protocol: TCP\n          port: 53", "        - protocol: TCP\n          port: 443")}},
	{"Secret with data", "K8S-09", k8sFull, []edit{appendTo(es, "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: leak\n  namespace: payments-prod\nstringData:\n  k: v\n")}},
	{"ExternalSecret dropped", "K8S-09", k8sFull, []edit{remove(es)}},
	{"cluster-wide store instead of the chosen SecretStore", "K8S-09", k8sFull, []edit{replace(es, `kind: "SecretStore"`, `kind: "ClusterSecretStore"`)}},
	{"deprecated ESO API", "K8S-09", k8sFull, []edit{replace(es, "apiVersion: external-secrets.io/v1", "apiVersion: external-secrets.io/v1beta1")}},
	{"secret value inline", "K8S-09", k8sFull, []edit{replace(dep, "          envFrom:\n", "          env:\n            - name: OIDC_CLIENT_SECRET\n              value: x\n          envFrom:\n")}},
	{"PeerAuthentication dropped", "K8S-10", k8sFull, []edit{remove(pa)}},
	{"mTLS permissive", "K8S-10", k8sFull, []edit{replace(pa, "mode: STRICT", "mode: PERMISSIVE")}},
	{"no sidecar injection", "K8S-10", k8sFull, []edit{replace(ns, "    istio-injection: enabled\n", "")}},
	{"IRSA role of another environment", "K8S-11", k8sFull, []edit{replace(prodOverlay, `eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/payments-api-production"`, `eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/payments-api-staging"`)}},
	{"ingress from the whole internet", "K8S-08", k8sFull, []edit{replace(npAllow, `cidr: "203.0.113.0/24"`, `cidr: "0.0.0.0/0"`)}},
	{"issuer egress on another port", "K8S-08", k8sFull, []edit{replace(npAllow, "            cidr: \"192.0.2.0/24\"\n      ports:\n        - protocol: TCP\n          port: 443", "            cidr: \"192.0.2.0/24\"\n      ports:\n        - protocol: TCP\n          port: 8080")}},
	{"PSA enforce baseline", "K8S-12", k8sFull, []edit{replace(ns, "pod-security.kubernetes.io/enforce: restricted", "pod-security.kubernetes.io/enforce: baseline")}},
	{"PSA warn dropped", "K8S-12", k8sFull, []edit{replace(ns, "    pod-security.kubernetes.io/warn: restricted\n", "")}},
	{"PSA version latest", "K8S-12", k8sFull, []edit{replace(ns, `pod-security.kubernetes.io/audit-version: "v1.33"`, `pod-security.kubernetes.io/audit-version: latest`)}},
	{"Namespace dropped", "K8S-12", k8sFull, []edit{remove(ns)}},
	{"ClusterRoleBinding", "K8S-13", k8sFull, []edit{appendTo(sa, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: x\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n")}},
	{"ClusterRole", "K8S-13", k8sFull, []edit{appendTo(sa, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: x\n")}},
	{"wildcard Role", "K8S-13", k8sFull, []edit{appendTo(sa, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: x\n  namespace: payments-prod\nrules:\n  - apiGroups: [\"\"]\n    resources: [\"*\"]\n    verbs: [get]\n")}},
	{"RoleBinding to a ClusterRole", "K8S-13", k8sFull, []edit{appendTo(sa, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: x\n  namespace: payments-prod\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\n")}},
	{"no readiness probe", "K8S-14", k8sFull, []edit{replace(dep, "          readinessProbe:\n            httpGet:\n              path: /readyz\n              port: http\n            periodSeconds: 5\n            timeoutSeconds: 2\n            failureThreshold: 3\n", "")}},
	{"same probe twice", "K8S-14", k8sFull, []edit{replace(dep, "          livenessProbe:\n            tcpSocket:\n              port: http\n            initialDelaySeconds: 5\n            periodSeconds: 10\n", "          livenessProbe:\n            httpGet:\n              path: /readyz\n              port: http\n            periodSeconds: 5\n")}},
	{"PDB dropped", "K8S-14", k8sFull, []edit{remove(pdb)}},
	{"one replica", "K8S-14", k8sFull, []edit{replace(hpa, "minReplicas: 3", "minReplicas: 1")}},
	{"autoscaler dropped, one replica", "K8S-14", k8sFull, []edit{remove(hpa), replace(dep, "  revisionHistoryLimit: 5\n", "  replicas: 1\n  revisionHistoryLimit: 5\n")}},
	{"static replicas fight the autoscaler", "K8S-14", k8sFull, []edit{replace(dep, "  revisionHistoryLimit: 5\n", "  replicas: 3\n  revisionHistoryLimit: 5\n")}},
	{"no zone spread", "K8S-14", k8sFull, []edit{replace(dep, "topologyKey: topology.kubernetes.io/zone", "topologyKey: kubernetes.io/hostname")}},

	// GitHub Actions workflows.
	{"govulncheck and trivy fs dropped", "SC-01", svc, []edit{replace(ci, "run: go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 ./...", "run: go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 ./... || true"), replace(ci, "          scan-type: fs\n", "          scan-type: rootfs\n")}},
	{"image pushed unscanned", "SC-02", svc, []edit{replace(release, "          scan-type: image\n", "          scan-type: config\n")}},
	{"image pushed before the scan", "SC-02", svc, []edit{replace(release, "          push: false\n", "          push: true\n")}},
	{"no SBOM", "SC-03", svc, []edit{replace(release, "format: spdx-json", "format: table")}},
	{"signature not verified", "SC-04", svc, []edit{replace(release, "cosign verify ", "echo skipped ")}},
	{"no provenance", "SC-04", svc, []edit{replace(release, "uses: actions/attest-build-provenance@", "uses: actions/upload-artifact@")}},
	{"action by tag", "SC-05", svc, []edit{replace(ci, "actions/setup-go@b7ad1dad31e06c5925ef5d2fc7ad053ef454303e # v7.0.0", "actions/setup-go@v7")}},
	{"pin without tag comment", "SC-05", svc, []edit{replace(ci, "actions/setup-go@b7ad1dad31e06c5925ef5d2fc7ad053ef454303e # v7.0.0", "actions/setup-go@b7ad1dad31e06c5925ef5d2fc7ad053ef454303e")}},
	{"write-all token", "SC-06", svc, []edit{replace(ci, "permissions: {}", "permissions: write-all")}},
	{"job without permissions", "SC-06", svc, []edit{replace(ci, "    timeout-minutes: 20\n    permissions:\n      contents: read\n", "    timeout-minutes: 20\n")}},
	{"contents write on tests", "SC-06", svc, []edit{replace(ci, "    timeout-minutes: 20\n    permissions:\n      contents: read\n", "    timeout-minutes: 20\n    permissions:\n      contents: write\n")}},
	{"persisted credentials", "SC-07", svc, []edit{replace(ci, "persist-credentials: false # SC-07", "persist-credentials: true")}},
	{"pull_request_target", "SC-07", svc, []edit{replace(ci, "  pull_request:\n", "  pull_request_target:\n")}},
	{"expression in run", "SC-07", svc, []edit{replace(ci, "run: go vet ./...", "run: go vet ./... ${{ github.event.pull_request.title }}")}},
	{"dependabot without docker", "SC-08", svc, []edit{replace(".github/dependabot.yml", "package-ecosystem: docker", "package-ecosystem: npm")}},
	{"dependabot dropped", "SC-08", svc, []edit{remove(".github/dependabot.yml")}},
	{"race detector off", "SC-09", svc, []edit{replace(ci, "go test -race -count=1 ./...", "go test -count=1 ./...")}},
	{"token in a workflow", "SEC-01", svc, []edit{replace(ci, "name: ci\n", "name: ci\nenv:\n  TOKEN: ghp_0123456789abcdefghijABCDEFGHIJ012345\n")}},

	// Terraform.
	{"wildcard action", "IAM-01", tfFull, []edit{replace(tfModules+"kms-key/main.tf", `"kms:CancelKeyDeletion",`, `"kms:*",`)}},
	{"wildcard resource in a role statement", "IAM-01", tfFull, []edit{replace(tfModules+"service/main.tf", `actions   = ["s3:ListBucket"]`, `actions   = ["s3:*"]`)}},
	{"statement without condition", "IAM-02", tfFull, []edit{replace(tfModules+"service/main.tf", `      conditions = [
        { test = "StringEquals", variable = "kms:ViaService"`, `      no_conditions = [
        { test = "StringEquals", variable = "kms:ViaService"`)}},
	{"trust without aud", "IAM-03", tfFull, []edit{replace(tfModules+"irsa-role/main.tf", `variable = "${var.oidc_provider}:aud"`, `variable = "${var.oidc_provider}:amr"`)}},
	{"trust by StringLike", "IAM-03", tfFull, []edit{replace(tfModules+"irsa-role/main.tf", "      test     = \"StringEquals\"\n      variable = \"${var.oidc_provider}:sub\"", "      test     = \"StringLike\"\n      variable = \"${var.oidc_provider}:sub\"")}},
	{"public ACLs allowed", "ENC-01", tfFull, []edit{replace(tfModules+"s3-bucket/main.tf", "  block_public_acls       = true", "  block_public_acls       = false")}},
	{"versioning suspended", "ENC-01", tfFull, []edit{replace(tfModules+"s3-bucket/main.tf", `status = "Enabled"`, `status = "Suspended"`)}},
	{"SSE-S3 instead of KMS", "ENC-01", tfFull, []edit{replace(tfModules+"s3-bucket/main.tf", `sse_algorithm     = "aws:kms"`, `sse_algorithm     = "AES256"`)}},
	{"TLS-only statement dropped", "ENC-01", tfFull, []edit{replace(tfModules+"s3-bucket/main.tf", `variable = "aws:SecureTransport"`, `variable = "aws:SourceIp"`)}},
	{"RDS public", "ENC-02", tfFull, []edit{replace(tfModules+"rds-postgres/main.tf", "publicly_accessible    = false", "publicly_accessible    = true")}},
	{"RDS unencrypted", "ENC-02", tfFull, []edit{replace(tfModules+"rds-postgres/main.tf", "storage_encrypted     = true", "storage_encrypted     = false")}},
	{"EBS default encryption off", "ENC-03", tfFull, []edit{replace(tfModules+"account-baseline/main.tf", "enabled = true", "enabled = false")}},
	{"key rotation off", "ENC-04", tfFull, []edit{replace(tfModules+"kms-key/main.tf", "enable_key_rotation     = true", "enable_key_rotation     = false")}},
	{"plain HTTP listener", "ENC-05", tfFull, []edit{replace(tfModules+"alb-https/main.tf", `type = "redirect"`, `type = "forward"`)}},
	{"invalid headers forwarded", "ENC-05", tfFull, []edit{replace(tfModules+"alb-https/main.tf", "drop_invalid_header_fields = true", "drop_invalid_header_fields = false")}},
	{"provider unpinned", "ENC-06", tfFull, []edit{replace(tfModules+"kms-key/versions.tf", `      version = "~> 6.0"`+"\n", "")}},
	{"terraform version unbounded", "ENC-06", tfFull, []edit{replace(tfModules+"kms-key/versions.tf", `">= 1.9.0, < 2.0.0"`, `">= 1.9.0"`)}},

	// Dockerfile.
	{"base image by tag", "CTR-01", svc, []edit{replace("Dockerfile", "golang:1.26.8-bookworm@sha256:dc9ad6c05acc7a88e5b71bde60a5fe3bd4b9f0db209011711b464107438a8107", "golang:1.26.8-bookworm")}},
	{"full OS runtime", "CTR-01", svc, []edit{replace("Dockerfile", "FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab", "FROM debian:bookworm@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab")}},
	{"runs as root", "CTR-02", svc, []edit{replace("Dockerfile", "USER 65532:65532", "USER root")}},
	{"shell in the runtime stage", "CTR-02", svc, []edit{replace("Dockerfile", "USER 65532:65532", "RUN chmod 0755 /demo-service\nUSER 65532:65532")}},
	{"git history in the context", "CTR-03", svc, []edit{replace(".dockerignore", "\n.git\n", "\n")}},

	// go.mod.
	{"x/crypto replaced", "APP-18", svc, []edit{appendTo("go.mod", "\nreplace golang.org/x/crypto => example.com/fork/crypto v0.0.1\n")}},
	{"old Go", "APP-20", svc, []edit{{file: "go.mod", change: func(s string) string { return goDirective.ReplaceAllString(s, "go 1.21") }}}},

	// Go source.
	{"shell command", "APP-03", svc, []edit{appendTo("internal/command/command.go", "\nfunc shell(s string) *exec.Cmd { return exec.Command(\"sh\", \"-c\", s) }\n")}},
	{"SQL by Sprintf", "APP-04", svc, []edit{appendTo("internal/store/store.go", "\nvar q = fmt.Sprintf(\"SELECT * FROM notes WHERE id = '%s'\", \"x\")\n")}},
	{"text/template", "APP-05", svc, []edit{replace("internal/server/index.go", `"html/template"`, `"text/template"`)}},
	{"headers middleware unwired", "APP-07", svc, []edit{replace("internal/server/server.go", "\th = securityHeaders(h)\n", "")}},
	{"headers test removed", "APP-07", svc, []edit{replace("internal/server/server_test.go", "func TestSecurityHeadersOnEveryResponse(", "func testSecurityHeadersOnEveryResponse(")}},
	{"forwarded header trusted", "APP-15", svc, []edit{appendTo("internal/server/local.go", "\nfunc peer(r *http.Request) string { return r.Header.Get(\"X-Forwarded-For\") }\n")}},
	{"default http server", "APP-20", svc, []edit{appendTo("cmd/demo-service/main.go", "\nfunc serve() error { return http.ListenAndServe(\":8080\", nil) }\n")}},
	{"private key committed", "SEC-01", svc, []edit{appendTo("README.md", "\n-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n")}},
	{".env no longer ignored", "SEC-01", svc, []edit{replace(".gitignore", "\n.env\n", "\n")}},
	{"validation test removed", "APP-01", svc, []edit{rename("internal/validate/validate_test.go", "TestTextBounds")}},
	{"files opened outside a root", "APP-02", svc, []edit{replace("internal/safefile/safefile.go", "os.OpenRoot(dir)", "openDir(dir)")}},
	{"unknown JSON fields accepted", "APP-06", svc, []edit{replace("internal/server/json.go", "\tdec.DisallowUnknownFields()\n", "")}},
	{"cookie readable by scripts", "APP-08", svc, []edit{replace("internal/session/cookie.go", "HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode", "HttpOnly: false, Secure: true, SameSite: http.SameSiteLaxMode")}},
	{"constant-time test removed", "APP-09", svc, []edit{rename("internal/crypto/crypto_test.go", "TestEqual")}},
	{"print bypasses the logger", "APP-10", svc, []edit{appendTo("internal/logging/logging.go", "\nfunc dump(s string) { fmt.Println(s) }\n")}},
	{"login without PKCE", "APP-11", svc, []edit{replace("internal/auth/login.go", "oauth2.S256ChallengeOption(codeVerifier)", "oauth2.SetAuthURLParam(\"x\", codeVerifier)")}},
	{"key rotation test removed", "APP-12", svc, []edit{rename("internal/auth/jwt_test.go", "TestKeyRotation")}},
	{"refresh reuse test removed", "APP-13", svc, []edit{rename("internal/session/session_test.go", "TestRefreshReuseRevokesFamily")}},
	{"authorization test removed", "APP-14", svc, []edit{rename("internal/authz/authz_test.go", "TestAuthorize")}},
	{"startup check test removed", "APP-16", svc, []edit{rename("internal/config/config_test.go", "TestMissingVariablesAreNamed")}},
	{"CTR mode instead of GCM", "APP-17", svc, []edit{replace("internal/crypto/aead.go", "cipher.NewGCM(block)", "newStream(block)")}},
	{"panic test removed", "APP-19", svc, []edit{rename("internal/server/server_test.go", "TestPanicIsGeneric500")}},
	{"token in the Backstage entry", "SEC-01", "backstage/defaults", []edit{replace("catalog-info.yaml", "    secgen/catalog: \"builtin\"\n", "    secgen/catalog: \"builtin\"\n    ci/token: \"xoxb-1234567890-abcdef\"\n")}},
	// Bypass and mis-placed-check classes found on code secgen did not write (issue 19).
	{"privileged manifest saved as .yml", "K8S-02", k8sFull, []edit{move(dep, "deploy/k8s/base/deployment.yml"), replace("deploy/k8s/base/deployment.yml", "privileged: false", "privileged: true")}},
	{"container runs as root over a correct pod", "K8S-01", k8sFull, []edit{replace(dep, "            runAsUser: 65532\n            runAsGroup: 65532\n            capabilities:", "            runAsUser: 0\n            runAsGroup: 65532\n            capabilities:")}},
	{"container seccomp unconfined over the pod's", "K8S-01", k8sFull, []edit{replace(dep, "                - ALL\n            seccompProfile:\n              type: RuntimeDefault", "                - ALL\n            seccompProfile:\n              type: Unconfined")}},
	{"privileged CronJob beside the Deployment", "K8S-02", k8sFull, []edit{appendTo(dep, "---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: backup\nspec:\n  schedule: \"0 1 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - name: backup\n              image: example.com/backup@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n              securityContext:\n                privileged: true\n")}},
	{"hostPID pod next to an unparsable document", "K8S-01", k8sFull, []edit{appendTo(sa, "---\nkind: {{ .Values.kind }}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\nspec:\n  hostPID: true\n  containers:\n    - name: sh\n      image: busybox\n")}},
	{"ingress port range", "K8S-08", k8sFull, []edit{replace(npAllow, "          port: 9090\n", "          port: 1\n          endPort: 65535\n")}},
	{"password in a ConfigMap", "K8S-09", k8sFull, []edit{appendTo(sa, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  DB_PASSWORD: hunter2hunter2\n")}},
	{"module replaced by a fork", "APP-18", svc, []edit{appendTo("go.mod", "\nreplace github.com/coreos/go-oidc/v3 => github.com/someone/go-oidc/v3 v3.0.0\n")}},
	{"cross-origin protection out of the chain", "APP-20", svc, []edit{replace("internal/server/server.go", "\th = cop.Handler(h)\n", "\t_ = cop\n")}},
	{"secret in a Dockerfile ENV", "SEC-01", svc, []edit{replace("Dockerfile", "USER 65532:65532", "ENV API_TOKEN=s3cr3t-value\nUSER 65532:65532")}},
	{"password in a URL", "SEC-01", svc, []edit{appendTo("README.md", "\nConnect with postgres://app:s3cretpw@db.internal:5432/app\n")}},
	{"AWS secret access key", "SEC-01", svc, []edit{appendTo("README.md", "\naws_secret_access_key = wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12\n")}},
	{"wildcard policy in jsonencode", "IAM-01", tfFull, []edit{appendTo(tfModules+"kms-key/main.tf", "\nresource \"aws_iam_policy\" \"ci\" {\n  name = \"ci\"\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [{ Effect = \"Allow\", Action = \"s3:*\", Resource = \"*\" }]\n  })\n}\n")}},
	{"wildcard policy in a heredoc", "IAM-01", tfFull, []edit{appendTo(tfModules+"kms-key/main.tf", "\nresource \"aws_iam_role_policy\" \"ci\" {\n  role = \"ci\"\n  policy = <<EOF\n{\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"${var.arn}\"}}\nEOF\n}\n")}},
	{"literal TLS 1.0 listener policy", "ENC-05", tfFull, []edit{replace(tfModules+"alb-https/main.tf", "ssl_policy        = var.ssl_policy", `ssl_policy        = "ELBSecurityPolicy-2016-08"`)}},
	{"signed commits undocumented", "SC-10", svc, []edit{replace("SECURITY.md", "commit.gpgsign true", "commit.gpgsign false")}},
}
