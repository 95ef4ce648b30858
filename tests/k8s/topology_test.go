package k8s

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// wantTrustedProxies is what TRUSTED_PROXIES must be for the answers: the Istio sidecar's
// inbound address with the mesh, the load balancer's subnets with the ALB, and the ingress
// controller's pods when given; nothing else.
func wantTrustedProxies(a Answers) []string {
	var want []string
	if a.Mesh == "istio" {
		want = append(want, "127.0.0.6/32")
	}
	if a.IncludeALB {
		want = append(want, a.ALBCIDRs...)
	}
	return append(want, a.IngressPodCIDRs...)
}

// trustedProxiesProblems compares the Deployment's TRUSTED_PROXIES with the answers.
func trustedProxiesProblems(d *appsv1.Deployment, a Answers) []string {
	var got []string
	var found bool
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == "TRUSTED_PROXIES" {
				found = true
				if e.Value != "" {
					got = strings.Split(e.Value, ",")
				}
			}
		}
	}
	want := wantTrustedProxies(a)
	if len(want) == 0 {
		if found {
			return []string{fmt.Sprintf("TRUSTED_PROXIES=%q, but nothing in front of the service forwards for clients", got)}
		}
		return nil
	}
	var problems []string
	if !slices.Equal(got, want) {
		problems = append(problems, fmt.Sprintf("TRUSTED_PROXIES=%q, want %q", got, want))
	}
	for _, c := range got {
		p, err := netip.ParsePrefix(c)
		if err != nil || p != p.Masked() || (p.Addr().Is4() && p.Bits() < 8) || (p.Addr().Is6() && p.Bits() < 32) {
			problems = append(problems, fmt.Sprintf("TRUSTED_PROXIES holds %q, which the service refuses", c))
		}
	}
	return problems
}

// TestTrustedProxiesFollowTheAnswers proves the topology is rendered: every overlay's
// Deployment tells the service which hops forward for clients.
func TestTrustedProxiesFollowTheAnswers(t *testing.T) {
	for _, tree := range k8sTrees(t) {
		for _, b := range builds(t, tree) {
			for _, p := range trustedProxiesProblems(deployment(b.Manifests), tree.Answers) {
				t.Errorf("%s %s: %s", tree.Case, b.Name, p)
			}
		}
	}
	// The check fails when the sidecar is forgotten.
	tree := fullTree(t)
	d := deployment(builds(t, tree)[0].Manifests).DeepCopy()
	d.Spec.Template.Spec.Containers[0].Env = nil
	if len(trustedProxiesProblems(d, tree.Answers)) == 0 {
		t.Error("a Deployment without TRUSTED_PROXIES behind Istio and the ALB went unnoticed")
	}
}
