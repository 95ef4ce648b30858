package k8s

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// All control IDs this package guards; every one must be checked by checkControls.
var controlIDs = []string{
	"K8S-01", "K8S-02", "K8S-03", "K8S-04", "K8S-05", "K8S-06", "K8S-07",
	"K8S-08", "K8S-09", "K8S-10", "K8S-11", "K8S-12", "K8S-13", "K8S-14",
}

var (
	digestRef  = regexp.MustCompile(`@sha256:[a-f0-9]{64}$`)
	psaVersion = regexp.MustCompile(`^v1\.[0-9]{1,2}$`)
)

// nsNameLabel is set by the API server on every namespace and cannot be forged.
const nsNameLabel = "kubernetes.io/metadata.name"

// findings collects the violations of one manifest set, each prefixed by its control ID.
type findings []string

func (f *findings) add(id, format string, args ...any) {
	*f = append(*f, id+": "+fmt.Sprintf(format, args...))
}

// of returns every object of type T in m.
func of[T any](m Manifests) []T {
	var out []T
	for _, o := range m.Objects {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// checkControls asserts the concrete fields behind K8S-01..14 in one decoded manifest set
// (the base or an overlay, after Kustomize). It returns nothing when every control holds.
func checkControls(m Manifests, a Answers) findings {
	var f findings
	deployments := of[*appsv1.Deployment](m)
	if len(deployments) != 1 {
		f.add("K8S-14", "want exactly one Deployment, found %d", len(deployments))
		return f
	}
	d := deployments[0]
	ns := d.Namespace
	pod := d.Spec.Template
	podLabels := labels.Set(pod.Labels)

	// Every namespaced object lives in the app's namespace.
	for _, o := range m.Objects {
		if meta, ok := objectMeta(o); ok {
			if _, isNS := o.(*corev1.Namespace); !isNS && meta.Namespace != ns {
				f.add("K8S-12", "%s %q is in namespace %q, not %q", kindOf(o), meta.Name, meta.Namespace, ns)
			}
		}
	}

	checkPodSecurity(&f, pod)
	checkServiceAccount(&f, m, pod, a)
	checkImagesAndResources(&f, pod, a)
	checkScratch(&f, pod)
	checkNetworkPolicies(&f, m, podLabels, a)
	checkSecrets(&f, m, pod, a)
	checkMesh(&f, m, ns, podLabels, a)
	checkNamespace(&f, m, ns, a)
	checkRBAC(&f, m)
	checkAvailability(&f, m, d, a)
	return f
}

func kindOf(o any) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", o), "*")
}

// objectMeta returns the name and namespace of any decoded object (the API types and the
// CRD mirrors all embed metav1.ObjectMeta).
func objectMeta(o any) (metav1.ObjectMeta, bool) {
	v, ok := o.(interface{ GetObjectMeta() metav1.Object })
	if !ok {
		return metav1.ObjectMeta{}, false
	}
	om := v.GetObjectMeta()
	return metav1.ObjectMeta{Name: om.GetName(), Namespace: om.GetNamespace()}, true
}

func allContainers(spec corev1.PodSpec) []corev1.Container {
	return append(slices.Clone(spec.InitContainers), spec.Containers...)
}

// K8S-01, K8S-02 and the host namespaces.
func checkPodSecurity(f *findings, pod corev1.PodTemplateSpec) {
	sc := pod.Spec.SecurityContext
	switch {
	case sc == nil:
		f.add("K8S-01", "pod has no securityContext")
	default:
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			f.add("K8S-01", "pod securityContext.runAsNonRoot is not true")
		}
		for name, id := range map[string]*int64{"runAsUser": sc.RunAsUser, "runAsGroup": sc.RunAsGroup, "fsGroup": sc.FSGroup} {
			if id == nil || *id <= 0 {
				f.add("K8S-01", "pod securityContext.%s is not a non-zero ID", name)
			}
		}
		if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			f.add("K8S-01", "pod securityContext.seccompProfile is not RuntimeDefault")
		}
	}
	if pod.Spec.HostNetwork || pod.Spec.HostPID || pod.Spec.HostIPC {
		f.add("K8S-01", "pod shares a host namespace")
	}
	if len(pod.Spec.Containers) == 0 {
		f.add("K8S-02", "pod has no containers")
	}
	for _, c := range allContainers(pod.Spec) {
		csc := c.SecurityContext
		if csc == nil {
			f.add("K8S-02", "container %s has no securityContext", c.Name)
			continue
		}
		if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
			f.add("K8S-02", "container %s: allowPrivilegeEscalation is not false", c.Name)
		}
		if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
			f.add("K8S-02", "container %s: readOnlyRootFilesystem is not true", c.Name)
		}
		if csc.Privileged != nil && *csc.Privileged {
			f.add("K8S-02", "container %s is privileged", c.Name)
		}
		if csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL") {
			f.add("K8S-02", "container %s does not drop ALL capabilities", c.Name)
		} else if len(csc.Capabilities.Add) > 0 {
			f.add("K8S-02", "container %s adds capabilities %v", c.Name, csc.Capabilities.Add)
		}
		if csc.RunAsUser != nil && *csc.RunAsUser == 0 {
			f.add("K8S-01", "container %s runs as user 0", c.Name)
		}
	}
}

// K8S-03 and K8S-11.
func checkServiceAccount(f *findings, m Manifests, pod corev1.PodTemplateSpec, a Answers) {
	name := pod.Spec.ServiceAccountName
	if name == "" || name == "default" {
		f.add("K8S-03", "pod does not use a dedicated ServiceAccount (%q)", name)
	}
	if pod.Spec.AutomountServiceAccountToken == nil || *pod.Spec.AutomountServiceAccountToken {
		f.add("K8S-03", "pod automountServiceAccountToken is not false")
	}
	var sa *corev1.ServiceAccount
	for _, s := range of[*corev1.ServiceAccount](m) {
		if s.Name == name {
			sa = s
		}
	}
	if sa == nil {
		f.add("K8S-03", "ServiceAccount %q is not rendered", name)
		return
	}
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		f.add("K8S-03", "ServiceAccount %s: automountServiceAccountToken is not false", sa.Name)
	}
	// One role per environment: an overlay annotates its environment's role (the answer is
	// the roles' common prefix); the base, which is no environment, annotates none.
	want := ""
	if env := pod.Labels[envLabel]; env != "" && a.IRSARoleARN != "" {
		want = a.IRSARoleARN + "-" + env
	}
	got := sa.Annotations["eks.amazonaws.com/role-arn"]
	if got != want {
		f.add("K8S-11", "ServiceAccount %s: IRSA role annotation is %q, want %q", sa.Name, got, want)
	}
}

// envLabel names the environment of an overlay's objects.
const envLabel = "app.kubernetes.io/environment"

// K8S-04 and K8S-05.
func checkImagesAndResources(f *findings, pod corev1.PodTemplateSpec, a Answers) {
	for _, c := range allContainers(pod.Spec) {
		if !digestRef.MatchString(c.Image) {
			f.add("K8S-04", "container %s: image %q is not pinned by sha256 digest", c.Name, c.Image)
		}
		if a.Image != "" && c.Image != a.Image { // empty: the default, a template over the name
			f.add("K8S-04", "container %s: image %q, want the answer %q", c.Name, c.Image, a.Image)
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
			req, okReq := c.Resources.Requests[r]
			lim, okLim := c.Resources.Limits[r]
			if !okReq || req.IsZero() {
				f.add("K8S-05", "container %s has no %s request", c.Name, r)
			}
			if !okLim || lim.IsZero() {
				f.add("K8S-05", "container %s has no %s limit", c.Name, r)
			}
			if okReq && okLim && req.Cmp(lim) > 0 {
				f.add("K8S-05", "container %s: %s request %s exceeds limit %s", c.Name, r, req.String(), lim.String())
			}
		}
	}
}

// K8S-06: writable scratch only through size-limited emptyDirs; /tmp is one; no hostPath.
func checkScratch(f *findings, pod corev1.PodTemplateSpec) {
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Spec.Volumes {
		volumes[v.Name] = v
		switch {
		case v.HostPath != nil:
			f.add("K8S-06", "volume %s is a hostPath", v.Name)
		case v.EmptyDir != nil:
			if v.EmptyDir.SizeLimit == nil || v.EmptyDir.SizeLimit.IsZero() {
				f.add("K8S-06", "emptyDir %s has no sizeLimit", v.Name)
			}
		case v.Secret != nil, v.ConfigMap != nil, v.Projected != nil:
		default:
			f.add("K8S-06", "volume %s is neither a size-limited emptyDir nor read-only configuration", v.Name)
		}
	}
	for _, c := range pod.Spec.Containers {
		tmp := false
		for _, vm := range c.VolumeMounts {
			v := volumes[vm.Name]
			if v.EmptyDir == nil && !vm.ReadOnly && v.Projected == nil && v.Secret == nil && v.ConfigMap == nil {
				f.add("K8S-06", "container %s mounts %s writable from a volume that is not an emptyDir", c.Name, vm.MountPath)
			}
			if vm.MountPath == "/tmp" && v.EmptyDir != nil && v.EmptyDir.SizeLimit != nil && !v.EmptyDir.SizeLimit.IsZero() {
				tmp = true
			}
		}
		if !tmp {
			f.add("K8S-06", "container %s has no size-limited emptyDir on /tmp", c.Name)
		}
	}
}

// namespaceOnly returns the namespace a peer selects when it is exactly "namespace with
// kubernetes.io/metadata.name = X" (optionally narrowed by a pod selector), else "".
func namespaceOnly(p networkingv1.NetworkPolicyPeer) string {
	if p.IPBlock != nil || p.NamespaceSelector == nil || len(p.NamespaceSelector.MatchExpressions) > 0 ||
		len(p.NamespaceSelector.MatchLabels) != 1 {
		return ""
	}
	return p.NamespaceSelector.MatchLabels[nsNameLabel]
}

// portSet renders the ports of a rule as "TCP/8080" strings, sorted; an empty list (all
// ports) is "*".
func portSet(ports []networkingv1.NetworkPolicyPort) []string {
	if len(ports) == 0 {
		return []string{"*"}
	}
	var out []string
	for _, p := range ports {
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		port := "*"
		if p.Port != nil {
			port = p.Port.String()
		}
		if p.EndPort != nil {
			port += fmt.Sprintf("-%d", *p.EndPort)
		}
		out = append(out, string(proto)+"/"+port)
	}
	sort.Strings(out)
	return out
}

// K8S-07 and K8S-08.
func checkNetworkPolicies(f *findings, m Manifests, podLabels labels.Set, a Answers) {
	nps := of[*networkingv1.NetworkPolicy](m)
	defaultDeny := false
	for _, np := range nps {
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil {
			f.add("K8S-08", "NetworkPolicy %s: %v", np.Name, err)
			continue
		}
		if sel.Empty() && slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) &&
			slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) &&
			len(np.Spec.Ingress) == 0 && len(np.Spec.Egress) == 0 {
			defaultDeny = true
		}
	}
	if !defaultDeny {
		f.add("K8S-07", "no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)")
	}

	appPort := fmt.Sprintf("TCP/%d", a.Port)
	issuerPort, err := a.IssuerPort()
	if err != nil {
		f.add("K8S-08", "%v", err)
	}
	var ingressOK, albOK, dnsOK, dbOK, rdsOK, issuerOK, awsOK, istiodOK, endpointsOK bool
	// The issuer's JWKS and token endpoints on other hosts: their addresses on their ports.
	endpoints, err := a.oidcEndpoints()
	if err != nil {
		f.add("K8S-08", "%v", err)
	}
	// An endpoint on the issuer's host (another port) is reached on the issuer's addresses.
	issuerPorts := []string{fmt.Sprintf("TCP/%d", issuerPort)}
	var endpointPorts []string
	otherHosts := false
	for _, ep := range endpoints {
		p := fmt.Sprintf("TCP/%d", ep.Port)
		switch {
		case ep.IssuerHost && !slices.Contains(issuerPorts, p):
			issuerPorts = append(issuerPorts, p)
		case !ep.IssuerHost:
			otherHosts = true
			if !slices.Contains(endpointPorts, p) {
				endpointPorts = append(endpointPorts, p)
			}
		}
	}
	slices.Sort(issuerPorts)
	slices.Sort(endpointPorts)
	// The environment's own database ranges: the overlays' namespaces end in the environment.
	var ownDB []string
	for _, np := range nps {
		ownDB, _ = a.DatabaseCIDRsOf(np.Namespace)
	}
	for _, np := range nps {
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || !sel.Matches(podLabels) {
			if len(np.Spec.Ingress)+len(np.Spec.Egress) > 0 {
				f.add("K8S-08", "NetworkPolicy %s allows traffic for pods other than the app's", np.Name)
			}
			continue
		}
		for _, r := range np.Spec.Ingress {
			ports := portSet(r.Ports)
			if len(r.From) == 0 {
				f.add("K8S-08", "NetworkPolicy %s admits ingress from anywhere", np.Name)
			}
			// The ingress controller reaches the service's port; the load balancer its target
			// port (with Istio the sidecar's own port for it, else the service's).
			want := appPort
			for _, p := range r.From {
				switch {
				case namespaceOnly(p) == a.IngressNamespace && p.PodSelector == nil:
					ingressOK = true
				case a.IncludeALB && p.IPBlock != nil && slices.Contains(a.ALBCIDRs, p.IPBlock.CIDR) && len(p.IPBlock.Except) == 0:
					albOK = true
					want = fmt.Sprintf("TCP/%d", a.ALBTargetPort())
				default:
					f.add("K8S-08", "NetworkPolicy %s admits ingress from %+v, want only namespace %s or the load balancer's subnets", np.Name, p, a.IngressNamespace)
				}
			}
			if !slices.Equal(ports, []string{want}) {
				f.add("K8S-08", "NetworkPolicy %s admits ingress on %v, want only %s", np.Name, ports, want)
			}
		}
		for _, r := range np.Spec.Egress {
			ports := portSet(r.Ports)
			if len(r.To) == 0 {
				f.add("K8S-08", "NetworkPolicy %s allows egress to anywhere on %v", np.Name, ports)
				continue
			}
			for _, p := range r.To {
				switch {
				case namespaceOnly(p) == "kube-system" && p.PodSelector != nil &&
					p.PodSelector.MatchLabels["k8s-app"] == "kube-dns" &&
					slices.Equal(ports, []string{"TCP/53", "UDP/53"}):
					dnsOK = true
				case a.DatabaseNamespace != "" && namespaceOnly(p) == a.DatabaseNamespace && p.PodSelector == nil &&
					slices.Equal(ports, []string{fmt.Sprintf("TCP/%d", a.DatabasePort)}):
					dbOK = true
				case p.IPBlock != nil && slices.Contains(a.AWSEndpointCIDRs, p.IPBlock.CIDR) &&
					len(p.IPBlock.Except) == 0 && slices.Equal(ports, []string{"TCP/443"}):
					awsOK = true
				case p.IPBlock != nil && slices.Contains(a.OIDCIssuerCIDRs, p.IPBlock.CIDR) &&
					len(p.IPBlock.Except) == 0 && slices.Equal(ports, issuerPorts):
					issuerOK = true
				case p.IPBlock != nil && slices.Contains(a.OIDCEndpointCIDRs, p.IPBlock.CIDR) &&
					len(p.IPBlock.Except) == 0 && slices.Equal(ports, endpointPorts):
					endpointsOK = true
				case p.IPBlock != nil && slices.Contains(ownDB, p.IPBlock.CIDR) &&
					len(p.IPBlock.Except) == 0 && slices.Equal(ports, []string{fmt.Sprintf("TCP/%d", a.DatabasePort)}):
					rdsOK = true
				case a.Mesh == "istio" && namespaceOnly(p) == "istio-system" && p.PodSelector != nil &&
					p.PodSelector.MatchLabels["app"] == "istiod" && slices.Equal(ports, []string{"TCP/15012"}):
					istiodOK = true
				default:
					f.add("K8S-08", "NetworkPolicy %s allows egress to %+v on %v, which is none of DNS, the issuer and its endpoints, the database, the AWS endpoints or istiod", np.Name, p, ports)
				}
			}
		}
	}
	if !ingressOK {
		f.add("K8S-08", "no NetworkPolicy admits the ingress controller's namespace %s on %s", a.IngressNamespace, appPort)
	}
	if a.IncludeALB && !albOK {
		f.add("K8S-08", "no NetworkPolicy admits the load balancer's subnets %v on %s", a.ALBCIDRs, appPort)
	}
	if !issuerOK {
		f.add("K8S-08", "no NetworkPolicy allows egress to the OIDC issuer %v on TCP/%d", a.OIDCIssuerCIDRs, issuerPort)
	}
	if len(ownDB) > 0 && !rdsOK {
		f.add("K8S-08", "no NetworkPolicy allows egress to this environment's RDS subnets %v on TCP/%d", ownDB, a.DatabasePort)
	}
	if otherHosts && !endpointsOK {
		f.add("K8S-08", "no NetworkPolicy allows egress to the OIDC endpoints' hosts %v on %v", a.OIDCEndpointCIDRs, endpointPorts)
	}
	if !dnsOK {
		f.add("K8S-08", "no NetworkPolicy allows egress to cluster DNS")
	}
	if a.DatabaseNamespace != "" && !dbOK {
		f.add("K8S-08", "no NetworkPolicy allows egress to the database %s:%d", a.DatabaseNamespace, a.DatabasePort)
	}
	if len(a.AWSEndpointCIDRs) > 0 && !awsOK {
		f.add("K8S-08", "no NetworkPolicy allows egress to the AWS endpoints %v", a.AWSEndpointCIDRs)
	}
	if a.Mesh == "istio" && !istiodOK {
		f.add("K8S-08", "no NetworkPolicy allows the sidecar to reach istiod")
	}
}

// K8S-09: no Secret objects; the secret keys come from an ExternalSecret.
func checkSecrets(f *findings, m Manifests, pod corev1.PodTemplateSpec, a Answers) {
	for _, s := range of[*corev1.Secret](m) {
		f.add("K8S-09", "Secret %s is in the manifests", s.Name)
	}
	ess := of[*ExternalSecret](m)
	var envSecrets []string
	for _, c := range allContainers(pod.Spec) {
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				envSecrets = append(envSecrets, e.SecretRef.Name)
			}
		}
		for _, e := range c.Env {
			if slices.Contains(a.SecretKeys, e.Name) {
				f.add("K8S-09", "container %s sets secret %s in env directly", c.Name, e.Name)
			}
		}
	}
	if len(a.SecretKeys) == 0 {
		if len(ess) != 0 || len(envSecrets) != 0 {
			f.add("K8S-09", "no secret keys were asked for, yet secrets are wired (%d ExternalSecrets, envFrom %v)", len(ess), envSecrets)
		}
		return
	}
	if len(ess) != 1 {
		f.add("K8S-09", "want one ExternalSecret, found %d", len(ess))
		return
	}
	es := ess[0]
	if es.APIVersion != "external-secrets.io/v1" {
		f.add("K8S-09", "ExternalSecret apiVersion %s, want external-secrets.io/v1", es.APIVersion)
	}
	if es.Spec.SecretStoreRef.Kind != a.SecretStoreKind || es.Spec.SecretStoreRef.Name != a.SecretStore {
		f.add("K8S-09", "ExternalSecret reads from %+v, want %s %s", es.Spec.SecretStoreRef, a.SecretStoreKind, a.SecretStore)
	}
	if es.Spec.RefreshInterval == "" || es.Spec.Target.Name == "" {
		f.add("K8S-09", "ExternalSecret has no refreshInterval or target name")
	}
	var keys []string
	for _, d := range es.Spec.Data {
		keys = append(keys, d.SecretKey)
		if d.RemoteRef.Key == "" {
			f.add("K8S-09", "ExternalSecret key %s has no remoteRef.key", d.SecretKey)
		}
	}
	if !slices.Equal(keys, a.SecretKeys) {
		f.add("K8S-09", "ExternalSecret syncs %v, want %v", keys, a.SecretKeys)
	}
	if !slices.Equal(envSecrets, []string{es.Spec.Target.Name}) {
		f.add("K8S-09", "containers read secrets %v, want only the ExternalSecret's target %s", envSecrets, es.Spec.Target.Name)
	}
}

// K8S-10.
func checkMesh(f *findings, m Manifests, ns string, podLabels labels.Set, a Answers) {
	pas := of[*PeerAuthentication](m)
	if a.Mesh != "istio" {
		if len(pas) != 0 {
			f.add("K8S-10", "mesh %q, yet %d PeerAuthentication rendered", a.Mesh, len(pas))
		}
		return
	}
	strict := false
	for _, pa := range pas {
		if pa.APIVersion != "security.istio.io/v1" {
			f.add("K8S-10", "PeerAuthentication apiVersion %s, want security.istio.io/v1", pa.APIVersion)
		}
		if pa.Spec.Mtls == nil || pa.Spec.Mtls.Mode != "STRICT" {
			f.add("K8S-10", "PeerAuthentication %s does not require STRICT mutual TLS", pa.Name)
		}
		for port, pl := range pa.Spec.PortLevelMtls {
			// The one exception: the load balancer's own port of the app's pods (never the
			// service's port) accepts its plaintext when there is a load balancer.
			exception := a.IncludeALB && a.ALBTargetPort() != a.Port && port == fmt.Sprint(a.ALBTargetPort()) && pl.Mode == "PERMISSIVE" &&
				pa.Spec.Selector != nil && labels.SelectorFromSet(pa.Spec.Selector.MatchLabels).Matches(podLabels) &&
				len(pa.Spec.Selector.MatchExpressions) == 0
			if pl.Mode != "STRICT" && !exception {
				f.add("K8S-10", "PeerAuthentication %s weakens port %s to %s", pa.Name, port, pl.Mode)
			}
		}
		if pa.Namespace == ns && pa.Spec.Selector == nil && pa.Spec.Mtls != nil && pa.Spec.Mtls.Mode == "STRICT" {
			strict = true
		}
	}
	if !strict {
		f.add("K8S-10", "no namespace-wide PeerAuthentication with mtls.mode STRICT in %s", ns)
	}
	for _, n := range of[*corev1.Namespace](m) {
		if n.Name == ns && n.Labels["istio-injection"] != "enabled" {
			f.add("K8S-10", "namespace %s does not enable sidecar injection", ns)
		}
	}
}

// K8S-12.
func checkNamespace(f *findings, m Manifests, ns string, a Answers) {
	var found *corev1.Namespace
	for _, n := range of[*corev1.Namespace](m) {
		if n.Name == ns {
			found = n
		}
	}
	if found == nil {
		f.add("K8S-12", "namespace %s is not rendered", ns)
		return
	}
	for _, mode := range []string{"enforce", "audit", "warn"} {
		key := "pod-security.kubernetes.io/" + mode
		if found.Labels[key] != "restricted" {
			f.add("K8S-12", "namespace %s: %s=%q, want restricted", ns, key, found.Labels[key])
		}
		v := found.Labels[key+"-version"]
		if !psaVersion.MatchString(v) || v != a.KubernetesVersion {
			f.add("K8S-12", "namespace %s: %s-version=%q, want the pinned %q", ns, key, v, a.KubernetesVersion)
		}
	}
}

// K8S-13: nothing cluster-wide; any Role is namespaced, explicit and without wildcards.
func checkRBAC(f *findings, m Manifests) {
	for _, o := range of[*rbacv1.ClusterRole](m) {
		f.add("K8S-13", "ClusterRole %s rendered", o.Name)
	}
	for _, o := range of[*rbacv1.ClusterRoleBinding](m) {
		f.add("K8S-13", "ClusterRoleBinding %s rendered", o.Name)
	}
	for _, r := range of[*rbacv1.Role](m) {
		if r.Namespace == "" {
			f.add("K8S-13", "Role %s has no namespace", r.Name)
		}
		for _, rule := range r.Rules {
			if len(rule.Verbs) == 0 || len(rule.Resources) == 0 ||
				slices.Contains(rule.Verbs, "*") || slices.Contains(rule.Resources, "*") || slices.Contains(rule.APIGroups, "*") {
				f.add("K8S-13", "Role %s has a rule without explicit verbs and resources: %+v", r.Name, rule)
			}
		}
	}
	for _, b := range of[*rbacv1.RoleBinding](m) {
		if b.RoleRef.Kind != "Role" {
			f.add("K8S-13", "RoleBinding %s binds a %s", b.Name, b.RoleRef.Kind)
		}
	}
}

// K8S-14: probes, PodDisruptionBudget, at least two replicas (through the autoscaler), spread.
func checkAvailability(f *findings, m Manifests, d *appsv1.Deployment, a Answers) {
	podLabels := labels.Set(d.Spec.Template.Labels)
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.ReadinessProbe == nil || c.LivenessProbe == nil {
			f.add("K8S-14", "container %s lacks a readiness or liveness probe", c.Name)
			continue
		}
		if c.ReadinessProbe.HTTPGet != nil && c.LivenessProbe.HTTPGet != nil &&
			c.ReadinessProbe.HTTPGet.Path == c.LivenessProbe.HTTPGet.Path {
			f.add("K8S-14", "container %s uses the same endpoint for readiness and liveness", c.Name)
		}
		// Readiness asks the service whether it can serve (its store included): /readyz.
		if c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
			f.add("K8S-14", "container %s: the readiness probe does not ask GET /readyz", c.Name)
		}
		// Shutdown: the pod leaves the endpoints before the server stops, with the kubelet's
		// sleep handler (no shell in the image), and the grace period covers the delay plus
		// the service's own 20 s graceful shutdown.
		var delay int64
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
			delay = c.Lifecycle.PreStop.Sleep.Seconds
		}
		if delay < 5 {
			f.add("K8S-14", "container %s has no preStop sleep of at least 5 s before shutdown", c.Name)
		}
		if g := d.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g < delay+20 {
			f.add("K8S-14", "terminationGracePeriodSeconds %v does not cover the preStop delay %d s plus 20 s of graceful shutdown", g, delay)
		}
	}
	pdbOK := false
	for _, p := range of[*policyv1.PodDisruptionBudget](m) {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(podLabels) && (p.Spec.MaxUnavailable != nil || p.Spec.MinAvailable != nil) {
			pdbOK = true
		}
	}
	if !pdbOK {
		f.add("K8S-14", "no PodDisruptionBudget with a policy selects the pods")
	}
	var hpa *autoscalingv2.HorizontalPodAutoscaler
	for _, h := range of[*autoscalingv2.HorizontalPodAutoscaler](m) {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind == "Deployment" && ref.APIVersion == "apps/v1" && ref.Name == d.Name {
			hpa = h
		}
	}
	switch {
	case a.SingleReplica():
		// database none: the sessions and notes live in one process, which a second replica
		// would not share.
		if hpa != nil {
			f.add("K8S-14", "an autoscaler scales a service whose sessions live in one process (database none)")
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
			f.add("K8S-14", "Deployment replicas %v, want exactly 1 with database none", d.Spec.Replicas)
		}
	case hpa != nil:
		if d.Spec.Replicas != nil {
			f.add("K8S-14", "Deployment sets replicas although the autoscaler owns them")
		}
		if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 || int(*hpa.Spec.MinReplicas) != a.Replicas {
			f.add("K8S-14", "autoscaler minReplicas %v, want %d (at least 2)", hpa.Spec.MinReplicas, a.Replicas)
		} else if hpa.Spec.MaxReplicas < *hpa.Spec.MinReplicas {
			f.add("K8S-14", "autoscaler maxReplicas %d below minReplicas %d", hpa.Spec.MaxReplicas, *hpa.Spec.MinReplicas)
		}
	case d.Spec.Replicas == nil || *d.Spec.Replicas < 2:
		f.add("K8S-14", "Deployment has fewer than 2 replicas and no autoscaler")
	}
	zone := false
	for _, tsc := range d.Spec.Template.Spec.TopologySpreadConstraints {
		sel, err := metav1.LabelSelectorAsSelector(tsc.LabelSelector)
		if err == nil && sel.Matches(podLabels) && tsc.TopologyKey == "topology.kubernetes.io/zone" && tsc.MaxSkew >= 1 {
			zone = true
		}
	}
	if !zone {
		f.add("K8S-14", "pods are not spread over zones")
	}
}

// quantity parses a resource quantity or panics; for test mutations.
func quantity(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}
