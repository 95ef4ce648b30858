package k8s

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// This file checks the mesh's half of the flows: with Istio the rendered Sidecar sets
// outboundTrafficPolicy REGISTRY_ONLY, so an outside destination is reachable only when a
// ServiceEntry registers it (and the NetworkPolicy admits its address). Every outside
// destination the service needs must be registered, and nothing else may be.

// meshDest is an outside destination as the mesh matches it: a TLS host by its SNI, or, for
// protocols without SNI (PostgreSQL), the destination's addresses.
type meshDest struct {
	Name  string
	Host  string   // TLS: the host name the service connects to
	CIDRs []string // TCP without SNI: the addresses
	Port  int32
}

// neededMeshDests derives from the answers the outside destinations the service of a
// namespace calls: the OIDC issuer, its JWKS and token endpoints where they are on other
// hosts, STS with an IAM role and reachable AWS endpoints, and its own environment's database.
func neededMeshDests(t *testing.T, ns string, a Answers) []meshDest {
	t.Helper()
	issuerPort, err := a.IssuerPort()
	if err != nil {
		t.Fatal(err)
	}
	dests := []meshDest{{Name: "OIDC issuer", Host: hostOf(t, a.OIDCIssuer), Port: issuerPort}}
	for _, ep := range a.OIDCEndpoints(t) {
		dests = append(dests, meshDest{Name: "OIDC " + ep.Role, Host: ep.Host, Port: ep.Port})
	}
	if a.IRSARoleARN != "" && len(a.AWSEndpointCIDRs) > 0 {
		dests = append(dests, meshDest{Name: "STS", Host: "sts." + a.AWSAPIRegion + ".amazonaws.com", Port: 443})
	}
	if own, _ := a.DatabaseCIDRsOf(ns); len(own) > 0 {
		dests = append(dests, meshDest{Name: "the environment's database", CIDRs: own, Port: int32(a.DatabasePort)})
	}
	return dests
}

// hostMatches applies a ServiceEntry host (exact, or "*.suffix") to a host name.
func hostMatches(pattern, host string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	}
	return pattern == host
}

// registered reports whether a ServiceEntry visible in ns registers a connection to host (or,
// for an entry with addresses, to ip) on port: entries with addresses match addresses only,
// the others their hosts.
func registered(entries []*ServiceEntry, ns, host string, ip netip.Addr, port int32) bool {
	for _, se := range entries {
		if se.Namespace != ns && !slices.Contains(se.Spec.ExportTo, "*") {
			continue
		}
		if !slices.ContainsFunc(se.Spec.Ports, func(p ServiceEntryPort) bool { return p.Number == port }) {
			continue
		}
		if len(se.Spec.Addresses) > 0 {
			for _, c := range se.Spec.Addresses {
				if p, err := netip.ParsePrefix(c); err == nil && ip.IsValid() && p.Contains(ip) {
					return true
				}
			}
			continue
		}
		for _, h := range se.Spec.Hosts {
			if host != "" && hostMatches(h, host) {
				return true
			}
		}
	}
	return false
}

// registryProblems lists how the mesh's registry of a build fails the service: the sidecar
// forwards to unregistered destinations (no REGISTRY_ONLY), a destination the service needs
// is not registered, or a ServiceEntry registers more than the service needs (another
// environment's database, another host or port, or visibility beyond the namespace).
func registryProblems(t *testing.T, b Build, d *appsv1.Deployment, a Answers) []string {
	t.Helper()
	var problems []string
	podLabels := labels.Set(d.Spec.Template.Labels)
	restricted := false
	for _, sc := range of[*Sidecar](b.Manifests) {
		if sc.Namespace == d.Namespace && labels.SelectorFromSet(sc.Spec.WorkloadSelector.Labels).Matches(podLabels) &&
			sc.Spec.OutboundTrafficPolicy != nil && sc.Spec.OutboundTrafficPolicy.Mode == "REGISTRY_ONLY" {
			restricted = true
		}
	}
	if !restricted {
		problems = append(problems, "no Sidecar of the service sets outboundTrafficPolicy REGISTRY_ONLY: its sidecar forwards to any destination")
	}
	entries := of[*ServiceEntry](b.Manifests)
	needed := neededMeshDests(t, d.Namespace, a)
	for _, dest := range needed {
		if dest.Host != "" && !registered(entries, d.Namespace, dest.Host, netip.Addr{}, dest.Port) {
			problems = append(problems, fmt.Sprintf("%s %s:%d is not registered with the mesh", dest.Name, dest.Host, dest.Port))
		}
		for _, c := range dest.CIDRs {
			if !registered(entries, d.Namespace, "", hostIn(t, c), dest.Port) {
				problems = append(problems, fmt.Sprintf("%s %s on %d is not registered with the mesh", dest.Name, c, dest.Port))
			}
		}
	}
	_, otherDB := a.DatabaseCIDRsOf(d.Namespace)
	// S3 is registered beside STS for the service's bucket when terraform-aws made its role.
	extraAWS := []string{"s3." + a.AWSAPIRegion + ".amazonaws.com", "*.s3." + a.AWSAPIRegion + ".amazonaws.com"}
	for _, se := range entries {
		if !slices.Equal(se.Spec.ExportTo, []string{"."}) || se.Spec.Location != "MESH_EXTERNAL" {
			problems = append(problems, fmt.Sprintf("ServiceEntry %s is exported to %v (%s), want this namespace only, outside the mesh", se.Name, se.Spec.ExportTo, se.Spec.Location))
		}
		for _, p := range se.Spec.Ports {
			if len(se.Spec.Addresses) > 0 {
				for _, c := range se.Spec.Addresses {
					ok := slices.ContainsFunc(needed, func(n meshDest) bool { return n.Port == p.Number && slices.Contains(n.CIDRs, c) })
					for _, o := range otherDB {
						if cidrsOverlap(c, o) {
							problems = append(problems, fmt.Sprintf("ServiceEntry %s registers %s, the other environment's database range %s", se.Name, c, o))
							ok = true // reported above
						}
					}
					if !ok {
						problems = append(problems, fmt.Sprintf("ServiceEntry %s registers %s on %d, which the service does not need", se.Name, c, p.Number))
					}
				}
				continue
			}
			if p.Protocol != "TLS" {
				problems = append(problems, fmt.Sprintf("ServiceEntry %s port %d is %s, want TLS passed through", se.Name, p.Number, p.Protocol))
			}
			for _, h := range se.Spec.Hosts {
				ok := slices.ContainsFunc(needed, func(n meshDest) bool { return n.Host == h && n.Port == p.Number }) ||
					(a.IRSARoleARN != "" && len(a.AWSEndpointCIDRs) > 0 && p.Number == 443 && slices.Contains(extraAWS, h))
				if !ok {
					problems = append(problems, fmt.Sprintf("ServiceEntry %s registers %s:%d, which the service does not need", se.Name, h, p.Number))
				}
			}
		}
	}
	return problems
}

// TestMeshRegistryCatchesRegressions proves the registry checks can fail, on a golden with
// Istio, the database in RDS and an OIDC endpoint on another host: a sidecar that forwards
// anywhere, an endpoint or the database left unregistered, the other environment's database
// registered, a host the service does not call, and an entry exported to every namespace.
func TestMeshRegistryCatchesRegressions(t *testing.T) {
	tree := treeWhere(t, "Istio with RDS and an OIDC endpoint on another host", func(a Answers) bool {
		return a.Mesh == "istio" && a.IncludeRDS && (a.OIDCJWKSURI != "" || a.OIDCExchangeEndpoint != "")
	})
	var b Build
	for _, bb := range builds(t, tree) {
		if bb.Name == "overlays/staging" {
			b = bb
		}
	}
	if b.Name == "" {
		t.Fatal("no staging overlay")
	}
	d := of[*appsv1.Deployment](b.Manifests)[0]
	if p := append(registryProblems(t, b, d, tree.Answers), meshFlowProblems(t, b.Manifests, d, tree.Answers)...); len(p) > 0 {
		t.Fatalf("the unmodified build already fails: %v", p)
	}
	endpointHost := tree.Answers.OIDCEndpoints(t)[0].Host
	cases := map[string]func(m Manifests){
		"outbound ALLOW_ANY": func(m Manifests) {
			for _, sc := range of[*Sidecar](m) {
				sc.Spec.OutboundTrafficPolicy.Mode = "ALLOW_ANY"
			}
		},
		"no Sidecar": func(m Manifests) {
			for _, sc := range of[*Sidecar](m) {
				sc.Namespace = "elsewhere"
			}
		},
		"the OIDC endpoint unregistered": func(m Manifests) {
			for _, se := range of[*ServiceEntry](m) {
				if slices.Contains(se.Spec.Hosts, endpointHost) {
					se.Namespace = "elsewhere"
				}
			}
		},
		"the database unregistered": func(m Manifests) {
			for _, se := range of[*ServiceEntry](m) {
				if len(se.Spec.Addresses) > 0 {
					se.Spec.Ports[0].Number++
				}
			}
		},
		"production's database registered in staging": func(m Manifests) {
			for _, se := range of[*ServiceEntry](m) {
				if len(se.Spec.Addresses) > 0 {
					se.Spec.Addresses = append(se.Spec.Addresses, tree.Answers.DatabaseCIDRs...)
				}
			}
		},
		"a host the service does not call": func(m Manifests) {
			se := of[*ServiceEntry](m)[0]
			se.Spec.Hosts = append(se.Spec.Hosts, "*.example.org")
		},
		"an entry exported to every namespace": func(m Manifests) {
			of[*ServiceEntry](m)[0].Spec.ExportTo = []string{"*"}
		},
	}
	for name, mutate := range cases {
		m, err := decodeStrict(b.Name, b.YAML)
		if err != nil {
			t.Fatal(err)
		}
		mutate(m)
		mb := Build{Name: b.Name, Manifests: m, YAML: b.YAML}
		md := of[*appsv1.Deployment](m)[0]
		if len(registryProblems(t, mb, md, tree.Answers))+len(meshFlowProblems(t, m, md, tree.Answers)) == 0 {
			t.Errorf("%s: the registry checks report nothing", name)
		}
	}
}

// TestOIDCEndpointsFollowTheIssuer: the JWKS and token endpoints' hosts are derived from an
// issuer known to publish them elsewhere (Google), opened in the NetworkPolicy on
// oidc_endpoint_cidrs and registered with the mesh; an endpoint on another host without
// oidc_endpoint_cidrs is refused.
func TestOIDCEndpointsFollowTheIssuer(t *testing.T) {
	tree := treeWhere(t, "Istio", func(a Answers) bool { return a.Mesh == "istio" })
	google := renderTree(t, tree, "oidc_issuer=https://accounts.google.com", "-oidc_jwks_uri", "-oidc_exchange_endpoint", "oidc_endpoint_cidrs=198.51.100.64/26")
	if google.Answers.OIDCJWKSURI != "https://www.googleapis.com/oauth2/v3/certs" || google.Answers.OIDCExchangeEndpoint != "https://oauth2.googleapis.com/token" {
		t.Errorf("Google's endpoints were not derived: %q, %q", google.Answers.OIDCJWKSURI, google.Answers.OIDCExchangeEndpoint)
	}
	for _, b := range builds(t, google) {
		d := of[*appsv1.Deployment](b.Manifests)[0]
		problems := append(flowProblems(t, b.Manifests, d, google.Answers), registryProblems(t, b, d, google.Answers)...)
		for _, p := range append(problems, meshFlowProblems(t, b.Manifests, d, google.Answers)...) {
			t.Errorf("Google issuer: %s: %s", b.Name, p)
		}
	}
	if _, err := renderLike(t, tree, "oidc_jwks_uri=https://keys.example.net/certs", "oidc_endpoint_cidrs="); err == nil {
		t.Error("a JWKS endpoint on another host without oidc_endpoint_cidrs rendered")
	}
}
