package k8s

import (
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// This file is a small NetworkPolicy evaluator over the k8s.io/api types, written for the
// flow matrix: it answers "would this connection be allowed?" the way the NetworkPolicy API
// defines it. A pod is isolated in a direction when at least one policy of its namespace
// selects it with that policy type; an isolated pod accepts (or opens) a connection only
// when one rule of one such policy admits it; policies only ever add allowances. A
// connection needs both ends to agree: the source's egress and the destination's ingress.

// endpoint is one end of a connection: a pod (Namespace set) or an address outside the
// cluster (Namespace empty).
type endpoint struct {
	Name      string
	Namespace string
	NSLabels  labels.Set
	Labels    labels.Set
	IP        netip.Addr
	// Host is the name an outside destination is called by (TLS: its SNI), if it has one.
	Host string
	// Ports are the pod's named container ports (a rule may name a port).
	Ports map[string]int32
}

// pod returns a pod endpoint in namespace ns; its namespace carries the label the API server
// sets on every namespace.
func pod(name, ns string, podLabels map[string]string, ip string) endpoint {
	return endpoint{
		Name:      name,
		Namespace: ns,
		NSLabels:  labels.Set{nsNameLabel: ns},
		Labels:    labels.Set(podLabels),
		IP:        netip.MustParseAddr(ip),
	}
}

// external returns an address outside the cluster.
func external(name, ip string) endpoint {
	return endpoint{Name: name, IP: netip.MustParseAddr(ip)}
}

// connection is one TCP or UDP connection attempt.
type connection struct {
	From, To endpoint
	Protocol corev1.Protocol
	Port     int32
}

func (c connection) String() string {
	return fmt.Sprintf("%s -> %s %s/%d", c.From.Name, c.To.Name, c.Protocol, c.Port)
}

// policySet is every NetworkPolicy of a manifest set.
type policySet []*networkingv1.NetworkPolicy

// allowed reports whether the policies let the connection through, and why not.
func (ps policySet) allowed(c connection) (bool, string, error) {
	if c.From.Namespace != "" {
		ok, err := ps.egressAllowed(c)
		if err != nil || !ok {
			return false, "denied by the source's egress policies", err
		}
	}
	if c.To.Namespace != "" {
		ok, err := ps.ingressAllowed(c)
		if err != nil || !ok {
			return false, "denied by the destination's ingress policies", err
		}
	}
	return true, "", nil
}

// policyTypes returns a policy's effective types: as written, or when none are written,
// Ingress plus Egress if it has egress rules (the API's defaulting).
func policyTypes(np *networkingv1.NetworkPolicy) []networkingv1.PolicyType {
	if len(np.Spec.PolicyTypes) > 0 {
		return np.Spec.PolicyTypes
	}
	types := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	if len(np.Spec.Egress) > 0 {
		types = append(types, networkingv1.PolicyTypeEgress)
	}
	return types
}

// selecting returns the policies of the pod's namespace that select it for a direction.
func (ps policySet) selecting(p endpoint, dir networkingv1.PolicyType) ([]*networkingv1.NetworkPolicy, error) {
	var out []*networkingv1.NetworkPolicy
	for _, np := range ps {
		if np.Namespace != p.Namespace || !slices.Contains(policyTypes(np), dir) {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil {
			return nil, fmt.Errorf("NetworkPolicy %s: %w", np.Name, err)
		}
		if sel.Matches(p.Labels) {
			out = append(out, np)
		}
	}
	return out, nil
}

func (ps policySet) egressAllowed(c connection) (bool, error) {
	nps, err := ps.selecting(c.From, networkingv1.PolicyTypeEgress)
	if err != nil || len(nps) == 0 {
		return len(nps) == 0, err // not isolated for egress: everything goes
	}
	for _, np := range nps {
		for _, r := range np.Spec.Egress {
			ok, err := ruleMatches(np.Namespace, r.To, r.Ports, c.To, c)
			if err != nil || ok {
				return ok, err
			}
		}
	}
	return false, nil
}

func (ps policySet) ingressAllowed(c connection) (bool, error) {
	nps, err := ps.selecting(c.To, networkingv1.PolicyTypeIngress)
	if err != nil || len(nps) == 0 {
		return len(nps) == 0, err
	}
	for _, np := range nps {
		for _, r := range np.Spec.Ingress {
			ok, err := ruleMatches(np.Namespace, r.From, r.Ports, c.From, c)
			if err != nil || ok {
				return ok, err
			}
		}
	}
	return false, nil
}

// ruleMatches reports whether one rule admits the connection: the peer is one of the
// rule's peers (no peers: any), and the destination port is one of its ports (no ports: any).
func ruleMatches(policyNS string, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, peer endpoint, c connection) (bool, error) {
	if !portMatches(ports, c) {
		return false, nil
	}
	if len(peers) == 0 {
		return true, nil
	}
	for _, p := range peers {
		ok, err := peerMatches(policyNS, p, peer)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// peerMatches applies one peer: an ipBlock (CIDR minus its exceptions) matches addresses;
// selectors match pods only: a namespaceSelector alone any pod of a matching namespace, a
// podSelector alone the matching pods of the policy's own namespace, both together the
// matching pods of matching namespaces.
func peerMatches(policyNS string, p networkingv1.NetworkPolicyPeer, e endpoint) (bool, error) {
	if p.IPBlock != nil {
		in, err := cidrContains(p.IPBlock.CIDR, e.IP)
		if err != nil || !in {
			return false, err
		}
		for _, ex := range p.IPBlock.Except {
			out, err := cidrContains(ex, e.IP)
			if err != nil || out {
				return false, err
			}
		}
		return true, nil
	}
	if e.Namespace == "" {
		return false, nil // selectors never match addresses outside the cluster
	}
	if p.NamespaceSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(p.NamespaceSelector)
		if err != nil {
			return false, err
		}
		if !sel.Matches(e.NSLabels) {
			return false, nil
		}
	} else if e.Namespace != policyNS {
		return false, nil
	}
	if p.PodSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(p.PodSelector)
		if err != nil {
			return false, err
		}
		return sel.Matches(e.Labels), nil
	}
	return p.NamespaceSelector != nil, nil
}

// portMatches applies a rule's ports to the destination's protocol and port; a named port is
// looked up among the destination pod's container ports.
func portMatches(ports []networkingv1.NetworkPolicyPort, c connection) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		if proto != c.Protocol {
			continue
		}
		if p.Port == nil {
			return true
		}
		first := p.Port.IntVal
		if p.Port.StrVal != "" {
			named, ok := c.To.Ports[p.Port.StrVal]
			if !ok {
				continue
			}
			first = named
		}
		last := first
		if p.EndPort != nil {
			last = *p.EndPort
		}
		if c.Port >= first && c.Port <= last {
			return true
		}
	}
	return false
}

func cidrContains(cidr string, ip netip.Addr) (bool, error) {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil {
		return false, fmt.Errorf("ipBlock %q: %w", cidr, err)
	}
	return prefix.Contains(ip), nil
}
