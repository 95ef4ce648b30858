package k8s

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// replicaProblems reports how the replicas of one build differ from what the store allows:
// with database none (sessions and notes in one process) exactly one replica, no autoscaler,
// and a PodDisruptionBudget that still lets a drain evict that pod; otherwise an autoscaler.
func replicaProblems(m Manifests, a Answers) []string {
	var problems []string
	hpas := of[*autoscalingv2.HorizontalPodAutoscaler](m)
	d := of[*appsv1.Deployment](m)[0]
	if !a.SingleReplica() {
		if len(hpas) != 1 || d.Spec.Replicas != nil {
			problems = append(problems, "with a shared store the autoscaler owns the replicas")
		}
		return problems
	}
	if len(hpas) != 0 {
		problems = append(problems, "an autoscaler scales a service whose sessions live in one process")
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		problems = append(problems, "the Deployment does not run exactly one replica")
	}
	for _, pdb := range of[*policyv1.PodDisruptionBudget](m) {
		// One pod: a drain proceeds only if the budget allows one disruption.
		allowed := false
		if mu := pdb.Spec.MaxUnavailable; mu != nil {
			v, err := intstr.GetScaledValueFromIntOrPercent(mu, 1, true)
			allowed = err == nil && v >= 1
		}
		if ma := pdb.Spec.MinAvailable; ma != nil {
			v, err := intstr.GetScaledValueFromIntOrPercent(ma, 1, true)
			allowed = err == nil && v == 0
		}
		if !allowed {
			problems = append(problems, "the PodDisruptionBudget "+pdb.Name+" blocks every drain of the single pod")
		}
	}
	return problems
}

// TestReplicasFollowTheStore: with database none every build of the manifests runs exactly
// one replica with no autoscaler (and says why, in the Deployment and the README), with a
// PodDisruptionBudget that lets a drain proceed; with PostgreSQL (or no go-service) the
// autoscaler owns the replicas. At least one golden renders the single-replica case.
func TestReplicasFollowTheStore(t *testing.T) {
	single := 0
	for _, tree := range k8sTrees(t) {
		t.Run(tree.Case, func(t *testing.T) {
			if tree.Answers.SingleReplica() {
				single++
				for _, f := range []string{"base/deployment.yaml", "README.md"} {
					data, err := os.ReadFile(filepath.Join(tree.Dir(), f))
					if err != nil {
						t.Fatal(err)
					}
					if !strings.Contains(string(data), "memory") || !strings.Contains(string(data), "second replica") && !strings.Contains(string(data), "no second replica") {
						t.Errorf("%s does not say why the service runs one replica (its store is in memory)", f)
					}
				}
			}
			for _, b := range builds(t, tree) {
				for _, p := range replicaProblems(b.Manifests, tree.Answers) {
					t.Errorf("%s: %s", b.Name, p)
				}
			}
		})
	}
	if single == 0 {
		t.Error("no golden renders Kubernetes manifests for a service with database none")
	}
}

// TestReplicaChecksCatchRegressions proves replicaProblems can fail on the single-replica
// golden: two replicas, an autoscaler, or a budget that blocks every drain are reported.
func TestReplicaChecksCatchRegressions(t *testing.T) {
	var tree Tree
	for _, tr := range k8sTrees(t) {
		if tr.Answers.SingleReplica() {
			tree = tr
		}
	}
	if tree.Root == "" {
		t.Fatal("no golden renders Kubernetes manifests for a service with database none")
	}
	b := builds(t, tree)[0]
	cases := map[string]func(m *Manifests){
		"two replicas": func(m *Manifests) { two := int32(2); of[*appsv1.Deployment](*m)[0].Spec.Replicas = &two },
		"an autoscaler": func(m *Manifests) {
			m.Objects = append(m.Objects, &autoscalingv2.HorizontalPodAutoscaler{})
		},
		"a budget that blocks drains": func(m *Manifests) {
			zero := intstr.FromInt32(0)
			of[*policyv1.PodDisruptionBudget](*m)[0].Spec.MaxUnavailable = &zero
		},
	}
	for name, mutate := range cases {
		m, err := decodeStrict(b.Name, b.YAML)
		if err != nil {
			t.Fatal(err)
		}
		if p := replicaProblems(m, tree.Answers); len(p) != 0 {
			t.Fatalf("the unmodified build already fails: %v", p)
		}
		mutate(&m)
		if len(replicaProblems(m, tree.Answers)) == 0 {
			t.Errorf("%s: not reported", name)
		}
		if len(checkControls(m, tree.Answers)) == 0 && name != "a budget that blocks drains" {
			t.Errorf("%s: the K8S-14 control check reports nothing", name)
		}
	}
}
