package k8s

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/pod-security-admission/api"
	"sigs.k8s.io/yaml"
)

// fullTree returns a golden tree where every optional feature is on, so that each control
// has something to lose.
func fullTree(t *testing.T) Tree {
	t.Helper()
	for _, tree := range k8sTrees(t) {
		a := tree.Answers
		if a.Mesh == "istio" && a.IRSARoleARN != "" && a.DatabaseNamespace != "" &&
			len(a.SecretKeys) > 0 && len(a.AWSEndpointCIDRs) > 0 && a.IncludeALB {
			return tree
		}
	}
	t.Fatal("no golden case turns every option on (istio, IRSA, database, AWS endpoints, secret keys, load balancer)")
	return Tree{}
}

func deployment(m Manifests) *appsv1.Deployment { return of[*appsv1.Deployment](m)[0] }

func container(m Manifests) *corev1.Container {
	return &deployment(m).Spec.Template.Spec.Containers[0]
}

// without returns m minus the objects for which drop is true.
func without(m *Manifests, drop func(any) bool) {
	var kept []any
	for _, o := range m.Objects {
		if !drop(o) {
			kept = append(kept, o)
		}
	}
	m.Objects = kept
}

func ptrTo[T any](v T) *T { return &v }

// regressions are the ways the manifests could lose a control; each must be reported under
// the control's ID by checkControls.
var regressions = []struct {
	name    string
	control string
	mutate  func(m *Manifests, a Answers)
}{
	{"pod may run as root", "K8S-01", func(m *Manifests, a Answers) {
		deployment(*m).Spec.Template.Spec.SecurityContext.RunAsNonRoot = ptrTo(false)
	}},
	{"pod runs as uid 0", "K8S-01", func(m *Manifests, a Answers) {
		deployment(*m).Spec.Template.Spec.SecurityContext.RunAsUser = ptrTo[int64](0)
	}},
	{"fsGroup removed", "K8S-01", func(m *Manifests, a Answers) { deployment(*m).Spec.Template.Spec.SecurityContext.FSGroup = nil }},
	{"seccomp unconfined", "K8S-01", func(m *Manifests, a Answers) {
		deployment(*m).Spec.Template.Spec.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
	}},
	{"host network", "K8S-01", func(m *Manifests, a Answers) { deployment(*m).Spec.Template.Spec.HostNetwork = true }},
	{"privilege escalation", "K8S-02", func(m *Manifests, a Answers) { container(*m).SecurityContext.AllowPrivilegeEscalation = nil }},
	{"writable root", "K8S-02", func(m *Manifests, a Answers) { container(*m).SecurityContext.ReadOnlyRootFilesystem = ptrTo(false) }},
	{"capabilities kept", "K8S-02", func(m *Manifests, a Answers) { container(*m).SecurityContext.Capabilities.Drop = nil }},
	{"capability added", "K8S-02", func(m *Manifests, a Answers) {
		container(*m).SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
	}},
	{"privileged", "K8S-02", func(m *Manifests, a Answers) { container(*m).SecurityContext.Privileged = ptrTo(true) }},
	{"default ServiceAccount", "K8S-03", func(m *Manifests, a Answers) { deployment(*m).Spec.Template.Spec.ServiceAccountName = "" }},
	{"token mounted in pod", "K8S-03", func(m *Manifests, a Answers) {
		deployment(*m).Spec.Template.Spec.AutomountServiceAccountToken = nil
	}},
	{"token mounted by ServiceAccount", "K8S-03", func(m *Manifests, a Answers) {
		of[*corev1.ServiceAccount](*m)[0].AutomountServiceAccountToken = ptrTo(true)
	}},
	{"image by tag", "K8S-04", func(m *Manifests, a Answers) { container(*m).Image = "example.com/app:1.0.0" }},
	{"no memory limit", "K8S-05", func(m *Manifests, a Answers) { delete(container(*m).Resources.Limits, corev1.ResourceMemory) }},
	{"no ephemeral-storage request", "K8S-05", func(m *Manifests, a Answers) {
		delete(container(*m).Resources.Requests, corev1.ResourceEphemeralStorage)
	}},
	{"request above limit", "K8S-05", func(m *Manifests, a Answers) { container(*m).Resources.Requests[corev1.ResourceCPU] = *quantity("64") }},
	{"unbounded emptyDir", "K8S-06", func(m *Manifests, a Answers) { deployment(*m).Spec.Template.Spec.Volumes[0].EmptyDir.SizeLimit = nil }},
	{"hostPath scratch", "K8S-06", func(m *Manifests, a Answers) {
		deployment(*m).Spec.Template.Spec.Volumes[0].VolumeSource = corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/tmp"}}
	}},
	{"no /tmp volume", "K8S-06", func(m *Manifests, a Answers) { container(*m).VolumeMounts = nil }},
	{"default deny dropped", "K8S-07", func(m *Manifests, a Answers) {
		without(m, func(o any) bool {
			np, ok := o.(*networkingv1.NetworkPolicy)
			return ok && len(np.Spec.PodSelector.MatchLabels) == 0
		})
	}},
	{"default deny only ingress", "K8S-07", func(m *Manifests, a Answers) {
		for _, np := range of[*networkingv1.NetworkPolicy](*m) {
			if len(np.Spec.PodSelector.MatchLabels) == 0 {
				np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
			}
		}
	}},
	{"ingress from every namespace", "K8S-08", func(m *Manifests, a Answers) {
		for _, np := range of[*networkingv1.NetworkPolicy](*m) {
			for i := range np.Spec.Ingress {
				np.Spec.Ingress[i].From = []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}
			}
		}
	}},
	{"ingress on every port", "K8S-08", func(m *Manifests, a Answers) {
		for _, np := range of[*networkingv1.NetworkPolicy](*m) {
			for i := range np.Spec.Ingress {
				np.Spec.Ingress[i].Ports = nil
			}
		}
	}},
	{"egress anywhere", "K8S-08", func(m *Manifests, a Answers) {
		for _, np := range of[*networkingv1.NetworkPolicy](*m) {
			if len(np.Spec.Egress) > 0 {
				np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{})
			}
		}
	}},
	{"database egress on any port", "K8S-08", func(m *Manifests, a Answers) {
		for _, np := range of[*networkingv1.NetworkPolicy](*m) {
			for i := range np.Spec.Egress {
				if np.Spec.Egress[i].Ports[0].Port.IntValue() != 53 {
					np.Spec.Egress[i].Ports = []networkingv1.NetworkPolicyPort{{Port: ptrTo(intstr.FromInt32(1))}}
				}
			}
		}
	}},
	{"DNS egress dropped", "K8S-08", func(m *Manifests, a Answers) {
		for _, np := range of[*networkingv1.NetworkPolicy](*m) {
			if len(np.Spec.Egress) > 0 {
				np.Spec.Egress = np.Spec.Egress[1:]
			}
		}
	}},
	{"Secret with data", "K8S-09", func(m *Manifests, a Answers) {
		m.Objects = append(m.Objects, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "leak", Namespace: deployment(*m).Namespace},
			StringData: map[string]string{"k": "v"}})
	}},
	{"ExternalSecret dropped", "K8S-09", func(m *Manifests, a Answers) {
		without(m, func(o any) bool { _, ok := o.(*ExternalSecret); return ok })
	}},
	{"other kind of secret store", "K8S-09", func(m *Manifests, a Answers) {
		other := map[string]string{"SecretStore": "ClusterSecretStore", "ClusterSecretStore": "SecretStore"}
		of[*ExternalSecret](*m)[0].Spec.SecretStoreRef.Kind = other[a.SecretStoreKind]
	}},
	{"deprecated ESO API", "K8S-09", func(m *Manifests, a Answers) { of[*ExternalSecret](*m)[0].APIVersion = "external-secrets.io/v1beta1" }},
	{"secret value inline", "K8S-09", func(m *Manifests, a Answers) {
		c := container(*m)
		c.Env = append(c.Env, corev1.EnvVar{Name: a.SecretKeys[0], Value: "x"})
	}},
	{"PeerAuthentication dropped", "K8S-10", func(m *Manifests, a Answers) {
		without(m, func(o any) bool { _, ok := o.(*PeerAuthentication); return ok })
	}},
	{"mTLS permissive", "K8S-10", func(m *Manifests, a Answers) { of[*PeerAuthentication](*m)[0].Spec.Mtls.Mode = "PERMISSIVE" }},
	{"no sidecar injection", "K8S-10", func(m *Manifests, a Answers) { delete(of[*corev1.Namespace](*m)[0].Labels, "istio-injection") }},
	{"IRSA annotation dropped", "K8S-11", func(m *Manifests, a Answers) { of[*corev1.ServiceAccount](*m)[0].Annotations = nil }},
	{"IRSA role of the base prefix, shared by every environment", "K8S-11", func(m *Manifests, a Answers) {
		of[*corev1.ServiceAccount](*m)[0].Annotations["eks.amazonaws.com/role-arn"] = a.IRSARoleARN
	}},
	{"issuer egress dropped", "K8S-08", func(m *Manifests, a Answers) {
		for _, np := range of[*networkingv1.NetworkPolicy](*m) {
			var kept []networkingv1.NetworkPolicyEgressRule
			for _, r := range np.Spec.Egress {
				if len(r.To) == 0 || r.To[0].IPBlock == nil || !slices.Contains(a.OIDCIssuerCIDRs, r.To[0].IPBlock.CIDR) {
					kept = append(kept, r)
				}
			}
			np.Spec.Egress = kept
		}
	}},
	{"issuer opened to the internet", "K8S-08", func(m *Manifests, a Answers) {
		for _, np := range of[*networkingv1.NetworkPolicy](*m) {
			for _, r := range np.Spec.Egress {
				if len(r.To) > 0 && r.To[0].IPBlock != nil && slices.Contains(a.OIDCIssuerCIDRs, r.To[0].IPBlock.CIDR) {
					r.To[0].IPBlock.CIDR = "0.0.0.0/0"
				}
			}
		}
	}},
	{"load balancer ingress dropped", "K8S-08", func(m *Manifests, a Answers) {
		for _, np := range of[*networkingv1.NetworkPolicy](*m) {
			var kept []networkingv1.NetworkPolicyIngressRule
			for _, r := range np.Spec.Ingress {
				if len(r.From) == 0 || r.From[0].IPBlock == nil {
					kept = append(kept, r)
				}
			}
			np.Spec.Ingress = kept
		}
	}},
	{"plaintext admitted on another port", "K8S-10", func(m *Manifests, a Answers) {
		for _, pa := range of[*PeerAuthentication](*m) {
			for port, pl := range pa.Spec.PortLevelMtls {
				delete(pa.Spec.PortLevelMtls, port)
				pa.Spec.PortLevelMtls["15000"] = pl
			}
		}
	}},
	{"plaintext admitted namespace-wide", "K8S-10", func(m *Manifests, a Answers) {
		for _, pa := range of[*PeerAuthentication](*m) {
			pa.Spec.Mtls.Mode = "PERMISSIVE"
		}
	}},
	{"readiness on the liveness endpoint", "K8S-14", func(m *Manifests, a Answers) { container(*m).ReadinessProbe.HTTPGet.Path = "/healthz" }},
	{"no preStop delay", "K8S-14", func(m *Manifests, a Answers) { container(*m).Lifecycle = nil }},
	{"grace period shorter than the delay", "K8S-14", func(m *Manifests, a Answers) {
		deployment(*m).Spec.Template.Spec.TerminationGracePeriodSeconds = ptrTo(int64(10))
	}},
	{"PSA enforce baseline", "K8S-12", func(m *Manifests, a Answers) {
		of[*corev1.Namespace](*m)[0].Labels["pod-security.kubernetes.io/enforce"] = "baseline"
	}},
	{"PSA warn dropped", "K8S-12", func(m *Manifests, a Answers) {
		delete(of[*corev1.Namespace](*m)[0].Labels, "pod-security.kubernetes.io/warn")
	}},
	{"PSA version latest", "K8S-12", func(m *Manifests, a Answers) {
		of[*corev1.Namespace](*m)[0].Labels["pod-security.kubernetes.io/audit-version"] = "latest"
	}},
	{"Namespace dropped", "K8S-12", func(m *Manifests, a Answers) {
		without(m, func(o any) bool { _, ok := o.(*corev1.Namespace); return ok })
	}},
	{"ClusterRoleBinding", "K8S-13", func(m *Manifests, a Answers) {
		m.Objects = append(m.Objects, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "x"}})
	}},
	{"ClusterRole", "K8S-13", func(m *Manifests, a Answers) {
		m.Objects = append(m.Objects, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "x"}})
	}},
	{"wildcard Role", "K8S-13", func(m *Manifests, a Answers) {
		m.Objects = append(m.Objects, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: deployment(*m).Namespace},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"*"}, Verbs: []string{"get"}}}})
	}},
	{"RoleBinding to a ClusterRole", "K8S-13", func(m *Manifests, a Answers) {
		m.Objects = append(m.Objects, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: deployment(*m).Namespace},
			RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "admin"}})
	}},
	{"no readiness probe", "K8S-14", func(m *Manifests, a Answers) { container(*m).ReadinessProbe = nil }},
	{"same probe twice", "K8S-14", func(m *Manifests, a Answers) { container(*m).LivenessProbe = container(*m).ReadinessProbe }},
	{"PDB dropped", "K8S-14", func(m *Manifests, a Answers) {
		without(m, func(o any) bool { _, ok := o.(*policyv1.PodDisruptionBudget); return ok })
	}},
	{"one replica", "K8S-14", func(m *Manifests, a Answers) {
		of[*autoscalingv2.HorizontalPodAutoscaler](*m)[0].Spec.MinReplicas = ptrTo[int32](1)
	}},
	{"autoscaler dropped, one replica", "K8S-14", func(m *Manifests, a Answers) {
		without(m, func(o any) bool { _, ok := o.(*autoscalingv2.HorizontalPodAutoscaler); return ok })
		deployment(*m).Spec.Replicas = ptrTo[int32](1)
	}},
	{"static replicas fight the autoscaler", "K8S-14", func(m *Manifests, a Answers) { deployment(*m).Spec.Replicas = ptrTo[int32](3) }},
	{"no zone spread", "K8S-14", func(m *Manifests, a Answers) { deployment(*m).Spec.Template.Spec.TopologySpreadConstraints = nil }},
}

// TestChecksCatchRegressions proves the control checks can fail: every regression of the
// list, applied to the fully featured golden, is reported under its control's ID, and every
// control K8S-01..14 has at least one such regression.
func TestChecksCatchRegressions(t *testing.T) {
	tree := fullTree(t)
	// The production overlay: the IRSA annotation exists only in an environment.
	var base Build
	for _, b := range builds(t, tree) {
		if b.Name == "overlays/production" {
			base = b
		}
	}
	if base.Name == "" {
		t.Fatalf("%s has no production overlay", tree.Case)
	}
	if f := checkControls(base.Manifests, tree.Answers); len(f) != 0 {
		t.Fatalf("the unmodified base already fails: %v", f)
	}
	guarded := map[string]bool{}
	for _, r := range regressions {
		t.Run(r.name, func(t *testing.T) {
			m, err := decodeStrict(base.Name, base.YAML)
			if err != nil {
				t.Fatal(err)
			}
			r.mutate(&m, tree.Answers)
			caught := false
			for _, f := range checkControls(m, tree.Answers) {
				caught = caught || strings.HasPrefix(f, r.control+": ")
			}
			if !caught {
				t.Errorf("regression %q is not reported under %s", r.name, r.control)
			}
			guarded[r.control] = true
		})
	}
	for _, id := range controlIDs {
		if !guarded[id] {
			t.Errorf("%s has no regression test", id)
		}
	}
}

// TestScannersCatchRegressions proves that the Pod Security Standards evaluation and
// kube-score, as this package runs them, do report broken manifests.
func TestScannersCatchRegressions(t *testing.T) {
	tree := fullTree(t)
	base := builds(t, tree)[0]
	fresh := func(t *testing.T) Manifests {
		m, err := decodeStrict(base.Name, base.YAML)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	pss := map[string]func(m *Manifests){
		"privileged": func(m *Manifests) { container(*m).SecurityContext.Privileged = ptrTo(true) },
		"root": func(m *Manifests) {
			deployment(*m).Spec.Template.Spec.SecurityContext.RunAsNonRoot = ptrTo(false)
			container(*m).SecurityContext.RunAsNonRoot = nil
		},
		"capabilities kept": func(m *Manifests) { container(*m).SecurityContext.Capabilities = nil },
		"hostPath": func(m *Manifests) {
			deployment(*m).Spec.Template.Spec.Volumes[0].VolumeSource = corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}
		},
		"no seccomp": func(m *Manifests) {
			deployment(*m).Spec.Template.Spec.SecurityContext.SeccompProfile = nil
			container(*m).SecurityContext.SeccompProfile = nil
		},
		"privilege escalation": func(m *Manifests) { container(*m).SecurityContext.AllowPrivilegeEscalation = ptrTo(true) },
	}
	for name, mutate := range pss {
		t.Run("pss/"+name, func(t *testing.T) {
			m := fresh(t)
			mutate(&m)
			v, err := pssViolations(m, api.LatestVersion())
			if err != nil {
				t.Fatal(err)
			}
			if len(v) == 0 {
				t.Errorf("Pod Security Standards restricted admits a pod with %s", name)
			}
		})
	}
	kube := map[string]func(m *Manifests){
		"no probes": func(m *Manifests) { container(*m).ReadinessProbe = nil; container(*m).LivenessProbe = nil },
		"no PDB": func(m *Manifests) {
			without(m, func(o any) bool { _, ok := o.(*policyv1.PodDisruptionBudget); return ok })
		},
		"no limits":   func(m *Manifests) { container(*m).Resources.Limits = nil },
		"low user id": func(m *Manifests) { container(*m).SecurityContext.RunAsUser = ptrTo[int64](1000) },
		"no netpol": func(m *Manifests) {
			without(m, func(o any) bool { _, ok := o.(*networkingv1.NetworkPolicy); return ok })
		},
	}
	for name, mutate := range kube {
		t.Run("kube-score/"+name, func(t *testing.T) {
			m := fresh(t)
			mutate(&m)
			var stream []byte
			for _, o := range m.Objects {
				y, err := yaml.Marshal(o)
				if err != nil {
					t.Fatal(err)
				}
				stream = append(append(stream, "---\n"...), y...)
			}
			if problems, _ := kubeScore(t, stream); len(problems) == 0 {
				t.Errorf("kube-score reports nothing for %s", name)
			}
		})
	}
}
