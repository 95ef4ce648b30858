package k8s

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestStrictDecodingRejects proves the decoders refuse what the API server would drop or
// reject: unknown fields (in API types and in the CRD mirrors), duplicated keys and kinds
// secgen does not render.
func TestStrictDecodingRejects(t *testing.T) {
	cases := map[string]string{
		"unknown Deployment field": `apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  replica: 2
`,
		"unknown container field": `apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  template:
    spec:
      containers:
        - name: x
          image: x
          securityContext: {readOnlyRootFilesystem: true, runAsNonroot: true}
`,
		"duplicated key": `apiVersion: v1
kind: ServiceAccount
metadata: {name: x}
automountServiceAccountToken: false
automountServiceAccountToken: true
`,
		"unknown ExternalSecret field": `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: x}
spec:
  secretStoreRef: {name: s, kind: ClusterSecretStore}
  target: {name: t}
  data: [{secretKey: A, remoteRef: {key: k, value: plaintext}}]
`,
		"unknown PeerAuthentication field": `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default}
spec:
  mtls: {mode: STRICT, strict: true}
`,
		"unexpected kind": `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: x}
`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeStrict(name, []byte("# leading comment\n---\n"+doc)); err == nil {
				t.Errorf("decoded without error:\n%s", doc)
			}
		})
	}
	t.Run("unknown kustomization field", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kustomization.yaml")
		doc := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresource: [a.yaml]\n"
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := decodeKustomization(path); err == nil || !strings.Contains(err.Error(), "resource") {
			t.Errorf("err = %v, want an error naming the unknown field", err)
		}
	})
}

// TestComponentDeclaresAndCitesControls fails when the k8s component stops declaring one of
// K8S-01..14 (so `secgen show` would hide it) or when no template cites it next to the block
// that implements it.
func TestComponentDeclaresAndCitesControls(t *testing.T) {
	data, err := os.ReadFile(componentFile)
	if err != nil {
		t.Fatal(err)
	}
	// Each item is an ID, or a mapping of id and the condition (when) it depends on.
	var c struct {
		Controls []any `json:"controls"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("parsing %s: %v", componentFile, err)
	}
	var declared []string
	when := map[string]string{}
	for _, item := range c.Controls {
		switch v := item.(type) {
		case string:
			declared = append(declared, v)
		case map[string]any:
			id, _ := v["id"].(string)
			declared = append(declared, id)
			when[id], _ = v["when"].(string)
		default:
			t.Fatalf("%s: control %v is neither an ID nor a mapping", componentFile, item)
		}
	}
	if !slices.Equal(declared, controlIDs) {
		t.Errorf("%s declares %v, want %v", componentFile, declared, controlIDs)
	}
	// Controls whose objects exist only with some answers are applied only with them.
	wantWhen := map[string]string{
		"K8S-09": `{{ gt (len .secret_keys) 0 }}`,
		"K8S-10": `{{ eq .mesh "istio" }}`,
		"K8S-11": `{{ ne .irsa_role_arn "" }}`,
	}
	if !maps.Equal(when, wantWhen) {
		t.Errorf("%s: control conditions %v, want %v", componentFile, when, wantWhen)
	}
	var templates strings.Builder
	err = filepath.WalkDir("../../templates/k8s/files", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".md.tmpl") {
			return err
		}
		b, err := os.ReadFile(p)
		templates.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range controlIDs {
		if !strings.Contains(templates.String(), "# "+id+":") {
			t.Errorf("no manifest template cites %s in a comment", id)
		}
	}
}
