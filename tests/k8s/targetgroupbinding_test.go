package k8s

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// terraformTargetGroupName is the name terraform-aws's service module gives the load
// balancer's target group in an environment (local.short_prefix): the service name cut so
// that, with "-" and the environment, it fits AWS's 32 characters, without a trailing "-".
func terraformTargetGroupName(name, env string) string {
	n := name
	if max := 31 - len(env); len(n) > max {
		n = n[:max]
	}
	return strings.TrimSuffix(n, "-") + "-" + env
}

// The expressions of terraform-aws that terraformTargetGroupName follows.
const (
	terraformShortPrefix = `short_prefix = "${trimsuffix(substr(var.name, 0, 31 - length(var.environment)), "-")}-${var.environment}"`
	terraformALBName     = `name                     = local.short_prefix`
)

// tgbProblems checks the TargetGroupBindings of one build: none in the base or without a load
// balancer; with one, exactly one per environment, naming that environment's target group,
// target type ip, and a port of the build's Service whose target is the pods' container port.
func tgbProblems(b Build, a Answers) []string {
	var problems []string
	tgbs := of[*TargetGroupBinding](b.Manifests)
	env, isOverlay := strings.CutPrefix(b.Name, "overlays/")
	if !a.IncludeALB || !isOverlay {
		if len(tgbs) != 0 {
			problems = append(problems, "a TargetGroupBinding outside an environment with a load balancer")
		}
		return problems
	}
	if len(tgbs) != 1 {
		return append(problems, "want one TargetGroupBinding")
	}
	tgb := tgbs[0]
	if want := terraformTargetGroupName(a.Name, env); tgb.Spec.TargetGroupName != want || tgb.Spec.TargetGroupARN != "" {
		problems = append(problems, "targetGroupName "+tgb.Spec.TargetGroupName+", want "+want+" (terraform-aws's name in "+env+")")
	}
	if len(tgb.Spec.TargetGroupName) > 32 {
		problems = append(problems, "the target group name is longer than AWS's 32 characters")
	}
	if tgb.Spec.TargetType != "ip" || tgb.Spec.IPAddressType != "ipv4" {
		problems = append(problems, "target type "+tgb.Spec.TargetType+"/"+tgb.Spec.IPAddressType+", want ip/ipv4 (the target group's)")
	}
	var svc *corev1.Service
	for _, s := range of[*corev1.Service](b.Manifests) {
		if s.Name == tgb.Spec.ServiceRef.Name && s.Namespace == tgb.Namespace {
			svc = s
		}
	}
	if svc == nil {
		return append(problems, "the TargetGroupBinding names no Service of its namespace")
	}
	d := of[*appsv1.Deployment](b.Manifests)[0]
	target := int32(0)
	for _, p := range svc.Spec.Ports {
		if (tgb.Spec.ServiceRef.Port.Type == intstr.String && p.Name == tgb.Spec.ServiceRef.Port.StrVal) ||
			(tgb.Spec.ServiceRef.Port.Type == intstr.Int && p.Port == tgb.Spec.ServiceRef.Port.IntVal) {
			target = p.TargetPort.IntVal
			for _, c := range d.Spec.Template.Spec.Containers {
				for _, cp := range c.Ports {
					if p.TargetPort.Type == intstr.String && cp.Name == p.TargetPort.StrVal {
						target = cp.ContainerPort
					}
				}
			}
		}
	}
	if target != int32(a.ALBTargetPort()) {
		problems = append(problems, fmt.Sprintf("the bound Service port targets the pods' port %d, not the load balancer's target port %d", target, a.ALBTargetPort()))
	}
	return problems
}

// TestTargetGroupBinding: with a load balancer each environment's overlay binds the Service to
// that environment's target group, named exactly as terraform-aws names it (and, in trees that
// hold terraform-aws, its module still uses that expression), with target type ip on the port
// the target group sends to.
func TestTargetGroupBinding(t *testing.T) {
	bound := 0
	for _, tree := range k8sTrees(t) {
		t.Run(tree.Case, func(t *testing.T) {
			for _, b := range builds(t, tree) {
				for _, p := range tgbProblems(b, tree.Answers) {
					t.Errorf("%s: %s", b.Name, p)
				}
				bound += len(of[*TargetGroupBinding](b.Manifests))
			}
			mainTF := filepath.Join(tree.Root, "infra", "terraform", "modules", "service", "main.tf")
			data, err := os.ReadFile(mainTF)
			if err != nil || !tree.Answers.IncludeALB {
				return
			}
			for _, want := range []string{terraformShortPrefix, terraformALBName} {
				if !strings.Contains(string(data), want) {
					t.Errorf("%s no longer holds %s: the TargetGroupBinding's target group name follows it", mainTF, want)
				}
			}
		})
	}
	if bound == 0 {
		t.Error("no golden renders a TargetGroupBinding")
	}
	// The cut, as Terraform's substr and trimsuffix make it.
	for _, c := range [][3]string{
		{"payments", "staging", "payments-staging"},
		{"a-very-long-service-name-of-many-words", "production", "a-very-long-service-n-production"},
		{"a-very-long-service-name-of-many-words", "staging", "a-very-long-service-name-staging"},
		{"abcdefghijklmnopqrstu-wxyz", "production", "abcdefghijklmnopqrstu-production"},
		{"abcdefghijklmnopqrst-vwxyz", "production", "abcdefghijklmnopqrst-production"},
	} {
		if got := terraformTargetGroupName(c[0], c[1]); got != c[2] {
			t.Errorf("terraformTargetGroupName(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

// TestTargetGroupBindingCatchesRegressions: a binding to another environment's target group, to
// another port, or left in the base is reported.
func TestTargetGroupBindingCatchesRegressions(t *testing.T) {
	var tree Tree
	for _, tr := range k8sTrees(t) {
		if tr.Answers.IncludeALB {
			tree = tr
		}
	}
	if tree.Root == "" {
		t.Fatal("no golden renders the load balancer")
	}
	var staging Build
	for _, b := range builds(t, tree) {
		if b.Name == "overlays/staging" {
			staging = b
		}
	}
	cases := map[string]func(b *Build){
		"production's target group": func(b *Build) {
			of[*TargetGroupBinding](b.Manifests)[0].Spec.TargetGroupName = terraformTargetGroupName(tree.Answers.Name, "production")
		},
		"another Service port": func(b *Build) {
			of[*TargetGroupBinding](b.Manifests)[0].Spec.ServiceRef.Port = intstr.FromInt32(1)
		},
		"instance targets": func(b *Build) { of[*TargetGroupBinding](b.Manifests)[0].Spec.TargetType = "instance" },
		"in the base":      func(b *Build) { b.Name = "base" },
	}
	for name, mutate := range cases {
		m, err := decodeStrict(staging.Name, staging.YAML)
		if err != nil {
			t.Fatal(err)
		}
		b := Build{Name: staging.Name, Manifests: m}
		if p := tgbProblems(b, tree.Answers); len(p) != 0 {
			t.Fatalf("the unmodified staging overlay already fails: %v", p)
		}
		mutate(&b)
		if len(tgbProblems(b, tree.Answers)) == 0 {
			t.Errorf("%s: not reported", name)
		}
	}
}
