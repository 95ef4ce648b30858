package terraform

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestALBHealthCheckIsReadiness proves the load balancer judges targets as the kubelet
// does: the target group's health check defaults to the readiness path, and where the tree
// also renders the Kubernetes manifests, that is the Deployment's readinessProbe path.
func TestALBHealthCheckIsReadiness(t *testing.T) {
	found := false
	for _, tr := range loadTrees(t) {
		const rel = "infra/terraform/modules/alb-https/variables.tf"
		if !tr.has(rel) {
			continue
		}
		found = true
		var def string
		for _, b := range blocksOf(tr.body(t, rel), "variable", "health_check_path") {
			if a, ok := b.Body.Attributes["default"]; ok {
				def, _ = literalString(a.Expr)
			}
		}
		if def != "/readyz" {
			t.Errorf("%s: health_check_path defaults to %q, want /readyz", tr.name, def)
		}
		deployment, err := os.ReadFile(filepath.Join(tr.dir, "deploy", "k8s", "base", "deployment.yaml"))
		if err != nil {
			continue // terraform-aws on its own
		}
		m := regexp.MustCompile(`(?s)readinessProbe:\s*httpGet:\s*path:\s*"?([^"\s]+)`).FindSubmatch(deployment)
		if m == nil || string(m[1]) != def {
			t.Errorf("%s: the ALB checks %q but the readinessProbe is %q", tr.name, def, m)
		}
	}
	if !found {
		t.Fatal("no golden tree renders the alb-https module")
	}
}
