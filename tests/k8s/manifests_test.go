package k8s

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// TestRenderedFilesDecodeStrictly decodes every YAML file under deploy/k8s of every golden
// tree into its API type (kustomization.yaml into Kustomize's own type); an unknown field,
// a duplicated field or an unexpected kind fails.
func TestRenderedFilesDecodeStrictly(t *testing.T) {
	for _, tree := range k8sTrees(t) {
		t.Run(tree.Case, func(t *testing.T) {
			for _, want := range overlaysWanted {
				if _, err := os.Stat(filepath.Join(tree.Dir(), "overlays", want, "kustomization.yaml")); err != nil {
					t.Errorf("overlay %s is missing: %v", want, err)
				}
			}
			for _, path := range yamlFiles(t, tree.Dir()) {
				if filepath.Base(path) == "kustomization.yaml" {
					k, err := decodeKustomization(path)
					if err != nil {
						t.Error(err)
						continue
					}
					// K8S-09: Kustomize must not generate Secrets from literals or files either.
					if len(k.SecretGenerator) > 0 {
						t.Errorf("K8S-09: %s has a secretGenerator", path)
					}
					continue
				}
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				m, err := decodeStrict(path, data)
				if err != nil {
					t.Error(err)
					continue
				}
				if len(m.Objects) == 0 {
					t.Errorf("%s holds no object", path)
				}
			}
		})
	}
}

// TestBuildsHoldEveryControl builds the base and every overlay with Kustomize and asserts the
// fields behind K8S-01..14 in each output.
func TestBuildsHoldEveryControl(t *testing.T) {
	for _, tree := range k8sTrees(t) {
		t.Run(tree.Case, func(t *testing.T) {
			for _, b := range builds(t, tree) {
				for _, finding := range checkControls(b.Manifests, tree.Answers) {
					t.Errorf("%s: %s", b.Name, finding)
				}
			}
		})
	}
}

// TestDescriptionStaysOneAnnotation proves that the free-text description, whatever it holds,
// lands as exactly one annotation value and changes nothing else (the adversarial golden holds
// YAML, document separators and template syntax in it).
func TestDescriptionStaysOneAnnotation(t *testing.T) {
	for _, tree := range k8sTrees(t) {
		t.Run(tree.Case, func(t *testing.T) {
			if tree.Answers.Description == "" {
				t.Fatal("the case has no description answer")
			}
			for _, b := range builds(t, tree) {
				for _, d := range of[*appsv1.Deployment](b.Manifests) {
					if got := d.Annotations["description"]; got != tree.Answers.Description {
						t.Errorf("%s: Deployment description annotation = %q, want %q", b.Name, got, tree.Answers.Description)
					}
				}
				for _, n := range of[*corev1.Namespace](b.Manifests) {
					if got := n.Annotations["description"]; got != tree.Answers.Description {
						t.Errorf("%s: Namespace description annotation = %q, want %q", b.Name, got, tree.Answers.Description)
					}
				}
			}
		})
	}
}

// TestGoldensCoverEveryOption fails when no golden exercises one of the component's optional
// branches, so that a control that exists only behind an answer is still verified.
func TestGoldensCoverEveryOption(t *testing.T) {
	covered := map[string]bool{}
	for _, tree := range k8sTrees(t) {
		a := tree.Answers
		covered["mesh=istio"] = covered["mesh=istio"] || a.Mesh == "istio"
		covered["mesh=none"] = covered["mesh=none"] || a.Mesh == "none"
		covered["irsa"] = covered["irsa"] || a.IRSARoleARN != ""
		covered["no irsa"] = covered["no irsa"] || a.IRSARoleARN == ""
		covered["database"] = covered["database"] || a.DatabaseNamespace != ""
		covered["no database"] = covered["no database"] || a.DatabaseNamespace == ""
		covered["aws endpoints"] = covered["aws endpoints"] || len(a.AWSEndpointCIDRs) > 0
		covered["secret keys"] = covered["secret keys"] || len(a.SecretKeys) > 0
		covered["no secret keys"] = covered["no secret keys"] || len(a.SecretKeys) == 0
		covered["multi-line description"] = covered["multi-line description"] || strings.Contains(a.Description, "\n")
		// The deployment variants of the flow matrix: mesh x load balancer, and RDS with and
		// without a mesh.
		for _, mesh := range []string{"none", "istio"} {
			covered["mesh="+mesh+", alb"] = covered["mesh="+mesh+", alb"] || a.Mesh == mesh && a.IncludeALB
			covered["mesh="+mesh+", no alb"] = covered["mesh="+mesh+", no alb"] || a.Mesh == mesh && !a.IncludeALB
			covered["mesh="+mesh+", rds"] = covered["mesh="+mesh+", rds"] || a.Mesh == mesh && a.IncludeRDS
		}
		covered["no rds"] = covered["no rds"] || !a.IncludeRDS
		covered["SecretStore"] = covered["SecretStore"] || a.SecretStoreKind == "SecretStore"
		covered["ClusterSecretStore"] = covered["ClusterSecretStore"] || a.SecretStoreKind == "ClusterSecretStore"
		port, err := a.IssuerPort()
		if err != nil {
			t.Fatalf("%s: %v", tree.Case, err)
		}
		covered["issuer on its own port"] = covered["issuer on its own port"] || port != 443
	}
	for _, opt := range []string{"mesh=istio", "mesh=none", "irsa", "no irsa", "database", "no database",
		"aws endpoints", "secret keys", "no secret keys", "multi-line description",
		"mesh=none, alb", "mesh=none, no alb", "mesh=istio, alb", "mesh=istio, no alb",
		"mesh=none, rds", "mesh=istio, rds", "no rds", "SecretStore", "ClusterSecretStore",
		"issuer on its own port"} {
		if !covered[opt] {
			t.Errorf("no golden case covers %q", opt)
		}
	}
}

// pssViolations evaluates every pod template of m against the Pod Security Standards
// "restricted" profile at the given version.
func pssViolations(m Manifests, version api.Version) ([]string, error) {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return nil, fmt.Errorf("creating the PSS evaluator: %w", err)
	}
	var out []string
	pods := 0
	for _, d := range of[*appsv1.Deployment](m) {
		pods++
		tmpl := d.Spec.Template
		results := evaluator.EvaluatePod(api.LevelVersion{Level: api.LevelRestricted, Version: version}, &tmpl.ObjectMeta, &tmpl.Spec)
		agg := policy.AggregateCheckResults(results)
		if !agg.Allowed {
			for i, reason := range agg.ForbiddenReasons {
				out = append(out, fmt.Sprintf("Deployment %s: %s (%s)", d.Name, reason, agg.ForbiddenDetails[i]))
			}
		}
	}
	if pods == 0 {
		return nil, fmt.Errorf("no pod template to evaluate")
	}
	return out, nil
}

// TestPodSecurityStandardsRestricted evaluates every pod template of the base and of every
// overlay with k8s.io/pod-security-admission, level restricted, at version latest and at the
// version the namespace pins.
func TestPodSecurityStandardsRestricted(t *testing.T) {
	for _, tree := range k8sTrees(t) {
		t.Run(tree.Case, func(t *testing.T) {
			pinned, err := api.ParseVersion(tree.Answers.KubernetesVersion)
			if err != nil {
				t.Fatalf("pinned version %q: %v", tree.Answers.KubernetesVersion, err)
			}
			for _, b := range builds(t, tree) {
				for _, v := range []api.Version{api.LatestVersion(), pinned} {
					violations, err := pssViolations(b.Manifests, v)
					if err != nil {
						t.Fatalf("%s: %v", b.Name, err)
					}
					for _, violation := range violations {
						t.Errorf("%s: restricted@%s: %s", b.Name, v.String(), violation)
					}
				}
			}
		})
	}
}

// kubeScoreVersion is the Kubernetes version kube-score checks against.
const kubeScoreVersion = "v1.33"

// kubeScoreArgs are the flags of every kube-score run. Two optional checks that apply to the
// manifests are switched on; no check is ignored.
var kubeScoreArgs = []string{
	"score",
	"--kubernetes-version", kubeScoreVersion,
	"--output-format", "ci",
	"--enable-optional-test", "container-seccomp-profile",
	"--enable-optional-test", "container-ports-check",
}

// kubeScorePath finds kube-score: on PATH (make puts .tools/bin there) or in .tools/bin.
func kubeScorePath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("kube-score"); err == nil {
		return p
	}
	p, err := filepath.Abs("../../.tools/bin/kube-score")
	if err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("kube-score is not installed: run make tools")
	return ""
}

var kubeScoreLine = regexp.MustCompile(`^\[([A-Z]+)\] `)

// kubeScore runs kube-score on a YAML stream and returns its CRITICAL and WARNING lines and
// the number of OK lines.
func kubeScore(t *testing.T, yamlStream []byte) (problems []string, ok int) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "manifests.yaml")
	if err := os.WriteFile(file, yamlStream, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(kubeScorePath(t), append(slices.Clone(kubeScoreArgs), file)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	for _, line := range strings.Split(string(out), "\n") {
		m := kubeScoreLine.FindStringSubmatch(line)
		switch {
		case m == nil:
		case m[1] == "CRITICAL" || m[1] == "WARNING":
			problems = append(problems, line)
		case m[1] == "OK":
			ok++
		}
	}
	if err != nil && len(problems) == 0 {
		t.Fatalf("kube-score failed without findings: %v\n%s", err, stderr.String())
	}
	return problems, ok
}

// TestKubeScore runs kube-score on the base and on every overlay: no CRITICAL, no WARNING.
func TestKubeScore(t *testing.T) {
	for _, tree := range k8sTrees(t) {
		t.Run(tree.Case, func(t *testing.T) {
			for _, b := range builds(t, tree) {
				problems, ok := kubeScore(t, b.YAML)
				for _, p := range problems {
					t.Errorf("%s: %s", b.Name, p)
				}
				if ok < 20 {
					t.Errorf("%s: kube-score reported only %d passing checks; did it read the manifests?", b.Name, ok)
				}
			}
		})
	}
}
