package k8s

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// flow is one row of the flow matrix: a connection and whether the service needs it.
type flow struct {
	Name string
	Conn connection
	Want bool
}

// hostIn returns an address inside a CIDR (the first host address).
func hostIn(t *testing.T, cidr string) netip.Addr {
	t.Helper()
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		t.Fatalf("CIDR %q: %v", cidr, err)
	}
	a := p.Masked().Addr()
	if p.Bits() < 31 {
		a = a.Next()
	}
	return a
}

// outside returns the first candidate address that no CIDR contains, so that "denied" rows
// never test an address the answers deliberately opened.
func outside(t *testing.T, cidrs []string, candidates ...string) netip.Addr {
	t.Helper()
	for _, c := range candidates {
		ip := netip.MustParseAddr(c)
		inside := false
		for _, cidr := range cidrs {
			p, err := netip.ParsePrefix(cidr)
			if err != nil {
				t.Fatalf("CIDR %q: %v", cidr, err)
			}
			inside = inside || p.Contains(ip)
		}
		if !inside {
			return ip
		}
	}
	t.Fatalf("every candidate address %v is inside %v", candidates, cidrs)
	return netip.Addr{}
}

// flowMatrix lists, for one built variant, every connection the service needs (Want true)
// and representative ones it must not get (Want false).
func flowMatrix(t *testing.T, d *appsv1.Deployment, a Answers) []flow {
	t.Helper()
	issuerPort, err := a.IssuerPort()
	if err != nil {
		t.Fatal(err)
	}
	ns := d.Namespace
	app := pod("app", ns, d.Spec.Template.Labels, "10.244.1.10")
	app.Ports = map[string]int32{}
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			app.Ports[p.Name] = p.ContainerPort
		}
	}
	dns := pod("kube-dns", "kube-system", map[string]string{"k8s-app": "kube-dns"}, "10.244.0.5")
	otherSystem := pod("kube-system pod", "kube-system", map[string]string{"k8s-app": "metrics-server"}, "10.244.0.6")
	ingress := pod("ingress controller", a.IngressNamespace, map[string]string{"app.kubernetes.io/name": "ingress-controller"}, "10.244.2.10")
	stranger := pod("pod of another namespace", "other-team", map[string]string{"app.kubernetes.io/name": "ingress-controller"}, "10.244.3.10")
	neighbour := pod("other pod of the namespace", ns, map[string]string{"app.kubernetes.io/name": "neighbour"}, "10.244.1.11")
	istiod := pod("istiod", "istio-system", map[string]string{"app": "istiod"}, "10.244.0.20")
	dbPod := pod("pod in another namespace on the database port", "other-team", map[string]string{"app": "postgres"}, "10.244.3.20")
	// The same service in the other environment: its pods carry the app's own labels.
	otherEnvNS := ns + "-other-environment"
	for _, pair := range [][2]string{{"-staging", "-production"}, {"-production", "-staging"}} {
		if base, ok := strings.CutSuffix(ns, pair[0]); ok {
			otherEnvNS = base + pair[1]
		}
	}
	otherEnv := pod("the same service in the other environment", otherEnvNS, d.Spec.Template.Labels, "10.244.4.10")
	otherEnv.Ports = app.Ports

	var opened []string // every CIDR the answers open, so "outside" addresses avoid them
	for _, l := range [][]string{a.OIDCIssuerCIDRs, a.OIDCEndpointCIDRs, a.DatabaseCIDRs, a.StagingDBCIDRs, a.ALBCIDRs, a.AWSEndpointCIDRs} {
		opened = append(opened, l...)
	}
	internet := external("internet", outside(t, opened, "1.1.1.1", "8.8.8.8", "9.9.9.9").String())
	metadata := external("instance metadata", "169.254.169.254")
	apiServer := external("Kubernetes API", outside(t, opened, "10.96.0.1", "172.20.0.1").String())

	tcp := func(from, to endpoint, port int32) connection {
		return connection{From: from, To: to, Protocol: corev1.ProtocolTCP, Port: port}
	}
	port := int32(a.Port)
	db := int32(a.DatabasePort)
	flows := []flow{
		{"DNS over UDP", connection{From: app, To: dns, Protocol: corev1.ProtocolUDP, Port: 53}, true},
		{"DNS over TCP", tcp(app, dns, 53), true},
		{"ingress controller to the service", tcp(ingress, app, port), true},

		{"other ports of kube-dns", tcp(app, dns, 443), false},
		{"DNS to another kube-system pod", connection{From: app, To: otherSystem, Protocol: corev1.ProtocolUDP, Port: 53}, false},
		{"internet on 443", tcp(app, internet, 443), false},
		{"internet on the issuer's port", tcp(app, internet, issuerPort), false},
		{"instance metadata", tcp(app, metadata, 80), false},
		{"Kubernetes API", tcp(app, apiServer, 443), false},
		{"another namespace's pods on the database port", tcp(app, dbPod, db), false},
		{"ingress controller on another port", tcp(ingress, app, port+1), false},
		{"another namespace's pods to the service", tcp(stranger, app, port), false},
		{"another pod of the namespace to the service", tcp(neighbour, app, port), false},
		{"the other environment's pods to the service", tcp(otherEnv, app, port), false},
		{"the service to the other environment's pods", tcp(app, otherEnv, port), false},
		{"internet to the service", tcp(internet, app, port), false},
	}
	for _, cidr := range a.OIDCIssuerCIDRs {
		issuer := external("OIDC issuer "+cidr, hostIn(t, cidr).String())
		issuer.Host = hostOf(t, a.OIDCIssuer)
		flows = append(flows, flow{"OIDC issuer " + cidr, tcp(app, issuer, issuerPort), true})
		if issuerPort != 80 {
			flows = append(flows, flow{"OIDC issuer " + cidr + " on port 80", tcp(app, issuer, 80), false})
		}
	}
	// The issuer's JWKS and token endpoints where they live on other hosts: the keys at
	// startup, login codes and refresh tokens later, on their own ports.
	for _, ep := range a.OIDCEndpoints(t) {
		cidrs := a.OIDCEndpointCIDRs // another host: its own addresses
		if ep.IssuerHost {
			cidrs = a.OIDCIssuerCIDRs // another port of the issuer's host
		}
		if len(cidrs) == 0 {
			t.Fatalf("the OIDC %s %s is on another host than the issuer, but oidc_endpoint_cidrs is empty", ep.Role, ep.Host)
		}
		for _, cidr := range cidrs {
			e := external("OIDC "+ep.Role+" "+cidr, hostIn(t, cidr).String())
			e.Host = ep.Host
			flows = append(flows, flow{"OIDC " + ep.Role + " " + ep.Host + " in " + cidr, tcp(app, e, ep.Port), true})
			if ep.Port != 80 {
				flows = append(flows, flow{"OIDC " + ep.Role + " " + cidr + " on port 80", tcp(app, e, 80), false})
			}
		}
	}
	ownDB, otherDB := a.DatabaseCIDRsOf(ns)
	for _, cidr := range ownDB {
		rds := external("RDS subnet "+cidr, hostIn(t, cidr).String())
		flows = append(flows,
			flow{"RDS subnet " + cidr, tcp(app, rds, db), true},
			flow{"RDS subnet " + cidr + " on 443", tcp(app, rds, 443), false})
	}
	// Staging's pods never reach production's database, nor the reverse (and the base,
	// which is no environment, reaches neither).
	for _, cidr := range otherDB {
		rds := external("another environment's RDS subnet "+cidr, hostIn(t, cidr).String())
		flows = append(flows, flow{"another environment's RDS subnet " + cidr, tcp(app, rds, db), false})
	}
	if a.DatabaseNamespace != "" {
		inCluster := pod("in-cluster database", a.DatabaseNamespace, map[string]string{"app": "postgres"}, "10.244.4.10")
		flows = append(flows,
			flow{"in-cluster database", tcp(app, inCluster, db), true},
			flow{"in-cluster database on another port", tcp(app, inCluster, 22), false})
	}
	albPort := int32(a.ALBTargetPort())
	for _, cidr := range a.ALBCIDRs {
		alb := external("load balancer subnet "+cidr, hostIn(t, cidr).String())
		flows = append(flows,
			flow{"load balancer " + cidr + " to its target port", tcp(alb, app, albPort), a.IncludeALB},
			flow{"load balancer " + cidr + " on another port", tcp(alb, app, 22), false})
		if albPort != port {
			// With Istio the load balancer enters on the sidecar's port only, never on the
			// service's (STRICT) port.
			flows = append(flows, flow{"load balancer " + cidr + " to the service's port", tcp(alb, app, port), false})
		}
	}
	if albPort != port {
		flows = append(flows,
			flow{"another namespace's pods to the load balancer's port", tcp(stranger, app, albPort), false},
			flow{"the other environment's pods to the load balancer's port", tcp(otherEnv, app, albPort), false})
	}
	for _, cidr := range a.IngressPodCIDRs {
		// A pod of another namespace with an address in the pod range (the VPC CNI gives pods
		// VPC addresses): no ipBlock of the answers may admit it.
		p := pod("pod of another namespace in "+cidr, "other-team", map[string]string{"app": "x"}, hostIn(t, cidr).Next().String())
		flows = append(flows,
			flow{"pod in the pod range " + cidr + " to the service", tcp(p, app, port), false},
			flow{"pod in the pod range " + cidr + " to the load balancer's port", tcp(p, app, albPort), false})
	}
	for _, cidr := range a.AWSEndpointCIDRs {
		ep := external("AWS endpoint "+cidr, hostIn(t, cidr).String())
		ep.Host = "sts." + a.AWSAPIRegion + ".amazonaws.com" // IRSA's first call
		flows = append(flows, flow{"AWS endpoint " + cidr, tcp(app, ep, 443), true})
	}
	flows = append(flows,
		flow{"istiod (xDS over TLS)", tcp(app, istiod, 15012), a.Mesh == "istio"},
		flow{"istiod plaintext xDS", tcp(app, istiod, 15010), false})
	return flows
}

// TestFlowMatrix evaluates the rendered NetworkPolicies of every golden variant, base and
// overlays after Kustomize: every flow the service needs is allowed (DNS, the OIDC issuer,
// the database in the cluster or in RDS, the ingress controller or the load balancer to the
// pod, istiod with a mesh) and the representative others are denied.
func TestFlowMatrix(t *testing.T) {
	for _, tree := range k8sTrees(t) {
		t.Run(tree.Case, func(t *testing.T) {
			for _, b := range builds(t, tree) {
				deployments := of[*appsv1.Deployment](b.Manifests)
				if len(deployments) != 1 {
					t.Fatalf("%s: want one Deployment, found %d", b.Name, len(deployments))
				}
				for _, p := range flowProblems(t, b.Manifests, deployments[0], tree.Answers) {
					t.Errorf("%s: %s", b.Name, p)
				}
				if tree.Answers.Mesh == "istio" {
					checkMeshFlows(t, b, deployments[0], tree.Answers)
					for _, p := range registryProblems(t, b, deployments[0], tree.Answers) {
						t.Errorf("%s: %s", b.Name, p)
					}
					for _, p := range meshFlowProblems(t, b.Manifests, deployments[0], tree.Answers) {
						t.Errorf("%s: %s", b.Name, p)
					}
				}
			}
		})
	}
}

// flowProblems evaluates the flow matrix against the NetworkPolicies of m.
func flowProblems(t *testing.T, m Manifests, d *appsv1.Deployment, a Answers) []string {
	t.Helper()
	policies := policySet(of[*networkingv1.NetworkPolicy](m))
	var problems []string
	for _, f := range flowMatrix(t, d, a) {
		got, why, err := policies.allowed(f.Conn)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		switch {
		case f.Want && !got:
			problems = append(problems, fmt.Sprintf("needed flow %q (%s) is %s", f.Name, f.Conn, why))
		case !f.Want && got:
			problems = append(problems, fmt.Sprintf("flow %q (%s) is allowed, want denied", f.Name, f.Conn))
		}
	}
	return problems
}

// meshFlowProblems: with Istio, every outside flow the service needs (the flow matrix's
// allowed flows from the pod to an address outside the cluster) is registered with the mesh,
// by its host name or, without one, by its address; the sidecar refuses the others.
func meshFlowProblems(t *testing.T, m Manifests, d *appsv1.Deployment, a Answers) []string {
	t.Helper()
	entries := of[*ServiceEntry](m)
	var problems []string
	for _, f := range flowMatrix(t, d, a) {
		if f.Conn.From.Namespace != d.Namespace || f.Conn.To.Namespace != "" || f.Conn.Protocol != corev1.ProtocolTCP {
			continue
		}
		got := registered(entries, d.Namespace, f.Conn.To.Host, f.Conn.To.IP, f.Conn.Port)
		if f.Want && !got {
			problems = append(problems, fmt.Sprintf("needed flow %q (%s) is not registered with the mesh: the sidecar refuses it (REGISTRY_ONLY)", f.Name, f.Conn))
		}
	}
	return problems
}

// TestFlowMatrixCatchesRegressions proves the matrix can fail: the policies of the issue
// (no issuer rule) and over-broad ones are reported.
func TestFlowMatrixCatchesRegressions(t *testing.T) {
	tree := fullTree(t)
	b := builds(t, tree)[0]
	cases := map[string]func(m Manifests){
		"no issuer rule (every pod crash-loops)": func(m Manifests) {
			for _, np := range of[*networkingv1.NetworkPolicy](m) {
				var kept []networkingv1.NetworkPolicyEgressRule
				for _, r := range np.Spec.Egress {
					if len(r.To) == 0 || r.To[0].IPBlock == nil || !slices.Contains(tree.Answers.OIDCIssuerCIDRs, r.To[0].IPBlock.CIDR) {
						kept = append(kept, r)
					}
				}
				np.Spec.Egress = kept
			}
		},
		"egress to anywhere on 443": func(m Manifests) {
			np := of[*networkingv1.NetworkPolicy](m)[0]
			p := intstr.FromInt32(443)
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{
				To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: &p}},
			})
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		},
		"ingress from every pod": func(m Manifests) {
			for _, np := range of[*networkingv1.NetworkPolicy](m) {
				for i := range np.Spec.Ingress {
					np.Spec.Ingress[i].From = append(np.Spec.Ingress[i].From, networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{}})
				}
			}
		},
		"no default deny and no allow policies": func(m Manifests) {
			for _, np := range of[*networkingv1.NetworkPolicy](m) {
				np.Namespace = "elsewhere"
			}
		},
	}
	for name, mutate := range cases {
		m, err := decodeStrict(b.Name, b.YAML)
		if err != nil {
			t.Fatal(err)
		}
		mutate(m)
		if len(flowProblems(t, m, of[*appsv1.Deployment](m)[0], tree.Answers)) == 0 {
			t.Errorf("%s: the flow matrix reports nothing", name)
		}
	}
}

// TestMeshFlowsCatchRegressions proves the mesh checks can fail, on a golden with Istio and
// the load balancer: the PERMISSIVE service port, an AuthorizationPolicy that admits
// every namespace or none at all, and the load balancer admitted from everywhere are reported.
func TestMeshFlowsCatchRegressions(t *testing.T) {
	var tree Tree
	for _, tr := range k8sTrees(t) {
		if tr.Answers.Mesh == "istio" && tr.Answers.IncludeALB {
			tree = tr
		}
	}
	if tree.Root == "" {
		t.Fatal("no golden renders Istio with the load balancer")
	}
	b := builds(t, tree)[0]
	cases := map[string]func(m Manifests){
		"PERMISSIVE on the service's port": func(m Manifests) {
			for _, pa := range of[*PeerAuthentication](m) {
				if pa.Spec.Selector != nil {
					pa.Spec.PortLevelMtls[strconv.Itoa(tree.Answers.Port)] = struct {
						Mode string `json:"mode"`
					}{"PERMISSIVE"}
				}
			}
		},
		"every namespace admitted": func(m Manifests) {
			for _, ap := range of[*AuthorizationPolicy](m) {
				ap.Spec.Rules = append(ap.Spec.Rules, AuthorizationRule{})
			}
		},
		"no AuthorizationPolicy": func(m Manifests) {
			for _, ap := range of[*AuthorizationPolicy](m) {
				ap.Namespace = "elsewhere"
			}
		},
		"the load balancer's port open to any address": func(m Manifests) {
			for _, ap := range of[*AuthorizationPolicy](m) {
				for i := range ap.Spec.Rules {
					for j := range ap.Spec.Rules[i].From {
						if len(ap.Spec.Rules[i].From[j].Source.IPBlocks) > 0 {
							ap.Spec.Rules[i].From[j].Source.IPBlocks = []string{"0.0.0.0/0"}
						}
					}
				}
			}
		},
	}
	d := of[*appsv1.Deployment](b.Manifests)[0]
	if p := meshProblems(t, b, d, tree.Answers); len(p) != 0 {
		t.Fatalf("the unmodified build already fails: %v", p)
	}
	for name, mutate := range cases {
		m, err := decodeStrict(b.Name, b.YAML)
		if err != nil {
			t.Fatal(err)
		}
		mutate(m)
		mb := Build{Name: b.Name, Manifests: m, YAML: b.YAML}
		if len(meshProblems(t, mb, of[*appsv1.Deployment](m)[0], tree.Answers)) == 0 {
			t.Errorf("%s: the mesh checks report nothing", name)
		}
	}
}

// mtlsMode is the mutual TLS mode Istio applies to a port of a pod: the most specific
// PeerAuthentication wins (a workload selector over the namespace-wide one), and a
// port-level mode over the workload's own mode.
func mtlsMode(pas []*PeerAuthentication, ns string, podLabels labels.Set, port int32) string {
	mode := "PERMISSIVE" // Istio's default without any PeerAuthentication
	for _, pa := range pas {
		if pa.Namespace == ns && pa.Spec.Selector == nil && pa.Spec.Mtls != nil {
			mode = pa.Spec.Mtls.Mode
		}
	}
	for _, pa := range pas {
		if pa.Namespace != ns || pa.Spec.Selector == nil {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(pa.Spec.Selector)
		if err != nil || !sel.Matches(podLabels) {
			continue
		}
		if pa.Spec.Mtls != nil && pa.Spec.Mtls.Mode != "" && pa.Spec.Mtls.Mode != "UNSET" {
			mode = pa.Spec.Mtls.Mode
		}
		if pl, ok := pa.Spec.PortLevelMtls[strconv.Itoa(int(port))]; ok {
			mode = pl.Mode
		}
	}
	return mode
}

// meshCaller is who opens a connection to the service's pod inside Istio: its namespace when
// it is a workload of the mesh (it then presents that identity over mutual TLS), its address.
type meshCaller struct {
	Name      string
	Namespace string // "" outside the mesh: plaintext, no identity
	IP        netip.Addr
}

// authzAllows evaluates the ALLOW AuthorizationPolicies that select the pod (Istio's rules:
// with none, everything is allowed; with some, a request must match a rule of one of them:
// one of its sources and one of its operations).
func authzAllows(aps []*AuthorizationPolicy, ns string, podLabels labels.Set, c meshCaller, port int32) bool {
	var selecting []*AuthorizationPolicy
	for _, ap := range aps {
		if ap.Namespace != ns || (ap.Spec.Action != "" && ap.Spec.Action != "ALLOW") {
			continue
		}
		if ap.Spec.Selector != nil {
			sel, err := metav1.LabelSelectorAsSelector(ap.Spec.Selector)
			if err != nil || !sel.Matches(podLabels) {
				continue
			}
		}
		selecting = append(selecting, ap)
	}
	if len(selecting) == 0 {
		return true
	}
	for _, ap := range selecting {
		for _, r := range ap.Spec.Rules {
			from := len(r.From) == 0
			for _, f := range r.From {
				src := f.Source
				ok := true
				if len(src.Namespaces) > 0 {
					ok = ok && c.Namespace != "" && slices.Contains(src.Namespaces, c.Namespace)
				}
				if len(src.Principals) > 0 {
					ok = false // secgen names namespaces, never principals
				}
				if len(src.IPBlocks) > 0 {
					in := false
					for _, b := range src.IPBlocks {
						if p, err := netip.ParsePrefix(b); err == nil && p.Contains(c.IP) {
							in = true
						}
					}
					ok = ok && in
				}
				from = from || ok
			}
			to := len(r.To) == 0
			for _, op := range r.To {
				to = to || len(op.Operation.Ports) == 0 || slices.Contains(op.Operation.Ports, strconv.Itoa(int(port)))
			}
			if from && to {
				return true
			}
		}
	}
	return false
}

// checkMeshFlows: with Istio, mutual TLS is STRICT on the service's port and on every port but
// the load balancer's own (PERMISSIVE there, and only with a load balancer); the
// AuthorizationPolicy admits the ingress controller's namespace to the service's port and the
// load balancer's subnets to its own port, and refuses every other caller, the service's other
// environment included.
func checkMeshFlows(t *testing.T, b Build, d *appsv1.Deployment, a Answers) {
	t.Helper()
	for _, p := range meshProblems(t, b, d, a) {
		t.Errorf("%s: %s", b.Name, p)
	}
}

// meshProblems lists what checkMeshFlows reports.
func meshProblems(t *testing.T, b Build, d *appsv1.Deployment, a Answers) []string {
	t.Helper()
	var problems []string
	pas := of[*PeerAuthentication](b.Manifests)
	podLabels := labels.Set(d.Spec.Template.Labels)
	port, albPort := int32(a.Port), int32(a.ALBTargetPort())
	if got := mtlsMode(pas, d.Namespace, podLabels, port); got != "STRICT" {
		problems = append(problems, fmt.Sprintf("mutual TLS on the service's port %d is %s, want STRICT", a.Port, got))
	}
	if a.IncludeALB {
		if albPort == port {
			problems = append(problems, fmt.Sprintf("the load balancer's port is the service's port %d, which must stay STRICT", port))
		}
		if got := mtlsMode(pas, d.Namespace, podLabels, albPort); got != "PERMISSIVE" {
			problems = append(problems, fmt.Sprintf("mutual TLS on the load balancer's port %d is %s, want PERMISSIVE (it speaks plain HTTP)", albPort, got))
		}
	}
	for _, other := range []int32{albPort + 1, port + 2, 15000, 15090} {
		if other == albPort && a.IncludeALB {
			continue
		}
		if got := mtlsMode(pas, d.Namespace, podLabels, other); got != "STRICT" {
			problems = append(problems, fmt.Sprintf("mutual TLS on port %d is %s, want STRICT", other, got))
		}
	}
	aps := of[*AuthorizationPolicy](b.Manifests)
	if len(aps) == 0 {
		problems = append(problems, "no AuthorizationPolicy limits the service's callers")
	}
	otherEnvNS := d.Namespace + "-other-environment"
	for _, pair := range [][2]string{{"-staging", "-production"}, {"-production", "-staging"}} {
		if base, ok := strings.CutSuffix(d.Namespace, pair[0]); ok {
			otherEnvNS = base + pair[1]
		}
	}
	podIP := netip.MustParseAddr("10.244.3.10")
	type call struct {
		c    meshCaller
		port int32
		want bool
	}
	calls := []call{
		{meshCaller{"ingress controller", a.IngressNamespace, netip.MustParseAddr("10.244.2.10")}, port, true},
		{meshCaller{"ingress controller on the load balancer's port", a.IngressNamespace, netip.MustParseAddr("10.244.2.10")}, albPort, albPort == port},
		{meshCaller{"a workload of another namespace", "other-team", podIP}, port, false},
		{meshCaller{"another workload of the namespace", d.Namespace, podIP}, port, false},
		{meshCaller{"the service in its other environment", otherEnvNS, podIP}, port, false},
		{meshCaller{"plaintext from outside the mesh", "", podIP}, port, false},
	}
	for _, cidr := range a.ALBCIDRs {
		alb := hostIn(t, cidr)
		calls = append(calls,
			call{meshCaller{"load balancer " + cidr, "", alb}, albPort, a.IncludeALB},
			call{meshCaller{"load balancer " + cidr + " on the service's port", "", alb}, port, albPort == port && a.IncludeALB})
	}
	if a.IncludeALB {
		calls = append(calls, call{meshCaller{"a pod outside alb_cidrs on the load balancer's port", "", podIP}, albPort, false})
	}
	for _, c := range calls {
		// Plaintext reaches a port only where mutual TLS is not STRICT.
		got := authzAllows(aps, d.Namespace, podLabels, c.c, c.port)
		if c.c.Namespace == "" && mtlsMode(pas, d.Namespace, podLabels, c.port) == "STRICT" {
			got = false
		}
		if got != c.want {
			problems = append(problems, fmt.Sprintf("%s to port %d: allowed %v, want %v", c.c.Name, c.port, got, c.want))
		}
	}
	if a.IncludeALB {
		sidecars := of[*Sidecar](b.Manifests)
		listens := map[int32]string{}
		for _, sc := range sidecars {
			for _, in := range sc.Spec.Ingress {
				listens[in.Port.Number] = in.DefaultEndpoint
			}
		}
		want := fmt.Sprintf("127.0.0.1:%d", a.Port)
		if listens[port] != want || listens[albPort] != want {
			problems = append(problems, fmt.Sprintf("the sidecar's listeners %v, want ports %d and %d forwarding to %s", listens, port, albPort, want))
		}
	}
	return problems
}

// TestEvaluatorSemantics pins the evaluator to the NetworkPolicy API on small cases, so that
// the flow matrix cannot pass by an evaluator that allows or denies everything.
func TestEvaluatorSemantics(t *testing.T) {
	tcp := corev1.ProtocolTCP
	app := pod("app", "a", map[string]string{"app": "x"}, "10.0.0.1")
	peerPod := pod("peer", "b", map[string]string{"role": "db"}, "10.0.1.1")
	samePod := pod("same-ns", "a", map[string]string{"role": "db"}, "10.0.0.2")
	port := func(n int32) []networkingv1.NetworkPolicyPort {
		p := intstr.FromInt32(n)
		return []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &p}}
	}
	np := func(types []networkingv1.PolicyType, egress ...networkingv1.NetworkPolicyEgressRule) *networkingv1.NetworkPolicy {
		return &networkingv1.NetworkPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "a"},
			Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: types, Egress: egress},
		}
	}
	egress := []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	nsSel := &metav1.LabelSelector{MatchLabels: map[string]string{nsNameLabel: "b"}}
	podSel := &metav1.LabelSelector{MatchLabels: map[string]string{"role": "db"}}
	cases := []struct {
		name string
		ps   policySet
		conn connection
		want bool
	}{
		{"no policy: not isolated", nil, connection{app, peerPod, tcp, 5432}, true},
		{"default deny", policySet{np(egress)}, connection{app, peerPod, tcp, 5432}, false},
		{"ingress-only policy leaves egress open", policySet{np([]networkingv1.PolicyType{networkingv1.PolicyTypeIngress})}, connection{app, peerPod, tcp, 5432}, true},
		{"namespace and pod selector in one peer: both must match", policySet{np(egress, networkingv1.NetworkPolicyEgressRule{
			To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSel, PodSelector: podSel}}, Ports: port(5432)})},
			connection{app, samePod, tcp, 5432}, false},
		{"pod selector alone: own namespace only", policySet{np(egress, networkingv1.NetworkPolicyEgressRule{
			To: []networkingv1.NetworkPolicyPeer{{PodSelector: podSel}}})},
			connection{app, peerPod, tcp, 5432}, false},
		{"pod selector alone matches in the own namespace", policySet{np(egress, networkingv1.NetworkPolicyEgressRule{
			To: []networkingv1.NetworkPolicyPeer{{PodSelector: podSel}}})},
			connection{app, samePod, tcp, 5432}, true},
		{"wrong port", policySet{np(egress, networkingv1.NetworkPolicyEgressRule{
			To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSel}}, Ports: port(5432)})},
			connection{app, peerPod, tcp, 5433}, false},
		{"wrong protocol", policySet{np(egress, networkingv1.NetworkPolicyEgressRule{
			To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSel}}, Ports: port(53)})},
			connection{app, peerPod, corev1.ProtocolUDP, 53}, false},
		{"ipBlock except", policySet{np(egress, networkingv1.NetworkPolicyEgressRule{
			To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "192.0.2.0/24", Except: []string{"192.0.2.0/25"}}}}})},
			connection{app, external("x", "192.0.2.1"), tcp, 443}, false},
		{"ipBlock outside the except", policySet{np(egress, networkingv1.NetworkPolicyEgressRule{
			To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "192.0.2.0/24", Except: []string{"192.0.2.0/25"}}}}})},
			connection{app, external("x", "192.0.2.200"), tcp, 443}, true},
		{"selectors never match outside addresses", policySet{np(egress, networkingv1.NetworkPolicyEgressRule{
			To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}})},
			connection{app, external("x", "192.0.2.1"), tcp, 443}, false},
	}
	for _, tc := range cases {
		got, _, err := tc.ps.allowed(tc.conn)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("%s: allowed = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// hostOf returns the host name of an https URL.
func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		t.Fatalf("issuer %q is not a URL: %v", raw, err)
	}
	return u.Hostname()
}
