package k8s

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/engine"
	"sigs.k8s.io/yaml"
)

// renderLike renders, with the built-in catalog and in memory, the project a golden tree
// records (its blueprint or components and its answers) with the answers of set
// ("key=value", lists comma-separated; "-key" drops the recorded answer) changed. It returns the engine's error, so that a
// test can prove the templates refuse answers that do not fit together.
func renderLike(t *testing.T, from Tree, set ...string) (*engine.Result, error) {
	t.Helper()
	ctx := context.Background()
	cat, err := builtin.Catalog(ctx)
	if err != nil {
		t.Fatalf("built-in catalog: %v", err)
	}
	recorded, err := os.ReadFile(filepath.Join(from.Root, ".secgen.yaml"))
	if err != nil {
		t.Fatalf("%s: %v", from.Case, err)
	}
	// "-key" in set removes key from the recorded answers, so that its default applies.
	var keep []string
	for _, kv := range set {
		if key, ok := strings.CutPrefix(kv, "-"); ok {
			var err error
			if recorded, err = withoutAnswer(recorded, key); err != nil {
				t.Fatalf("%s: %v", from.Case, err)
			}
			continue
		}
		keep = append(keep, kv)
	}
	set = keep
	var m struct {
		Blueprint  string `json:"blueprint"`
		Components []struct {
			Name string `json:"name"`
		} `json:"components"`
	}
	if err := yaml.Unmarshal(recorded, &m); err != nil {
		t.Fatalf("%s: .secgen.yaml: %v", from.Case, err)
	}
	req := engine.NewRequest{
		Blueprint:   m.Blueprint,
		Target:      filepath.Join(t.TempDir(), "project"),
		Set:         set,
		AnswersFile: recorded,
		DryRun:      true,
	}
	if m.Blueprint == "" {
		for _, c := range m.Components {
			req.Components = append(req.Components, c.Name)
		}
	}
	e := &engine.Engine{Catalog: cat, Version: "0.0.0-test"}
	return e.New(ctx, req)
}

// withoutAnswer removes one answer from a recorded .secgen.yaml.
func withoutAnswer(recorded []byte, key string) ([]byte, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal(recorded, &m); err != nil {
		return nil, err
	}
	if a, ok := m["answers"].(map[string]any); ok {
		delete(a, key)
	}
	return yaml.Marshal(m)
}

// renderTree renders like renderLike, writes the project under a temporary directory and
// returns it as a Tree whose answers are the ones the engine rendered with; a refusal fails
// the test.
func renderTree(t *testing.T, from Tree, set ...string) Tree {
	t.Helper()
	res, err := renderLike(t, from, set...)
	if err != nil {
		t.Fatalf("%s with %v: %v", from.Case, set, err)
	}
	root := res.Target
	for _, f := range res.Plan.Files {
		p := filepath.Join(root, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	js, err := json.Marshal(res.Answers)
	if err != nil {
		t.Fatalf("encoding answers: %v", err)
	}
	var a Answers
	if err := json.Unmarshal(js, &a); err != nil {
		t.Fatalf("answers of %s with %v: %v", from.Case, set, err)
	}
	return Tree{Case: from.Case + " with " + strings.Join(set, " "), Root: root, Answers: a}
}

// treeWhere returns the first golden tree whose answers satisfy ok; none is a failure.
func treeWhere(t *testing.T, what string, ok func(Answers) bool) Tree {
	t.Helper()
	for _, tr := range k8sTrees(t) {
		if ok(tr.Answers) {
			return tr
		}
	}
	t.Fatalf("no golden tree renders %s", what)
	return Tree{}
}

// TestOverlappingDatabaseRangesRefused: staging's database ranges may not overlap
// production's, however they are written (the same CIDR, one inside the other), or
// staging's pods would reach production's database; disjoint ranges render.
func TestOverlappingDatabaseRangesRefused(t *testing.T) {
	tree := treeWhere(t, "RDS", func(a Answers) bool { return a.IncludeRDS })
	for _, c := range []struct {
		production, staging string
		refused             bool
	}{
		{"10.0.0.0/20", "10.0.0.0/20", true},
		{"10.0.0.0/16", "10.0.32.0/20", true},
		{"10.0.32.0/20", "10.0.0.0/16", true},
		{"10.0.0.0/20,10.0.16.0/20", "10.0.48.0/20,10.0.20.0/24", true},
		{"10.0.0.0/20", "10.0.16.0/20", false},
		{"10.0.0.0/20,10.0.16.0/20", "10.1.0.0/20", false},
	} {
		_, err := renderLike(t, tree, "database_cidrs="+c.production, "staging_database_cidrs="+c.staging)
		switch {
		case c.refused && (err == nil || !strings.Contains(err.Error(), "staging's pods would reach production's database")):
			t.Errorf("production %s, staging %s: rendered (%v), want refused", c.production, c.staging, err)
		case !c.refused && err != nil:
			t.Errorf("production %s, staging %s: %v, want rendered", c.production, c.staging, err)
		}
	}
}

// TestFlowsOfRenderedVariants renders variants no golden records and proves their flows
// from the configuration like TestFlowMatrix: every overlay builds, each needed flow is
// admitted (and, with Istio, registered with the mesh) and nothing else is.
func TestFlowsOfRenderedVariants(t *testing.T) {
	memory := treeWhere(t, "database none", func(a Answers) bool { return a.Database == "none" })
	plain := treeWhere(t, "no mesh and no RDS", func(a Answers) bool { return a.Mesh != "istio" && !a.IncludeRDS && a.Database == "" })
	variants := []Tree{
		// One replica (no autoscaler to patch) with RDS and no IAM role or secrets: the
		// overlays still add their own database ranges.
		renderTree(t, memory, "include_rds=true", "irsa_role_arn=", "secret_keys=",
			"database_cidrs=10.40.0.0/20", "staging_database_cidrs=10.41.0.0/20"),
		// Istio without the load balancer, keys on another host and the token endpoint on
		// another port of the issuer's host.
		renderTree(t, plain, "mesh=istio", "include_alb=false", "-alb_cidrs", "-ingress_pod_cidrs",
			"oidc_jwks_uri=https://keys.example.net/jwks", "oidc_exchange_endpoint=https://issuer.example.com:8443/token",
			"oidc_endpoint_cidrs=198.51.100.16/28"),
	}
	for _, tree := range variants {
		t.Run(tree.Case, func(t *testing.T) {
			for _, b := range builds(t, tree) {
				d := deployment(b.Manifests)
				problems := flowProblems(t, b.Manifests, d, tree.Answers)
				if tree.Answers.Mesh == "istio" {
					problems = append(problems, registryProblems(t, b, d, tree.Answers)...)
					problems = append(problems, meshFlowProblems(t, b.Manifests, d, tree.Answers)...)
					problems = append(problems, meshProblems(t, b, d, tree.Answers)...)
				}
				for _, p := range problems {
					t.Errorf("%s: %s", b.Name, p)
				}
			}
		})
	}
}
