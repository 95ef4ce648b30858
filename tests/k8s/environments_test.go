package k8s

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// envIdentity is what makes one environment's deployment its own.
type envIdentity struct {
	namespace, serviceAccount, role, store string
	remoteKeys                             []string
	// storeRole is the IAM role of the environment's own SecretStore (its ServiceAccount's
	// IRSA annotation), when the overlay renders one.
	storeRole string
	// ownStore is the SecretStore the overlay renders (namespace/SecretStore/name), if any.
	ownStore string
	// databaseCIDRs are the ranges the environment's pods may reach on the database port.
	databaseCIDRs []string
}

// identityOf reads an overlay's identity from its Kustomize build.
func identityOf(t *testing.T, b Build, databasePort int) envIdentity {
	t.Helper()
	var id envIdentity
	for _, ns := range of[*corev1.Namespace](b.Manifests) {
		id.namespace = ns.Name
	}
	stores := of[*SecretStore](b.Manifests)
	storeSA := map[string]bool{}
	for _, s := range stores {
		storeSA[s.Spec.Provider.AWS.Auth.JWT.ServiceAccountRef.Name] = true
		id.ownStore = s.Namespace + "/SecretStore/" + s.Name
	}
	for _, sa := range of[*corev1.ServiceAccount](b.Manifests) {
		if storeSA[sa.Name] {
			id.storeRole = sa.Annotations["eks.amazonaws.com/role-arn"]
			continue
		}
		id.serviceAccount = sa.Namespace + "/" + sa.Name
		id.role = sa.Annotations["eks.amazonaws.com/role-arn"]
	}
	for _, np := range of[*networkingv1.NetworkPolicy](b.Manifests) {
		for _, r := range np.Spec.Egress {
			if !slices.Contains(portSet(r.Ports), fmt.Sprintf("TCP/%d", databasePort)) {
				continue
			}
			for _, p := range r.To {
				if p.IPBlock != nil {
					id.databaseCIDRs = append(id.databaseCIDRs, p.IPBlock.CIDR)
				}
			}
		}
	}
	for _, es := range of[*ExternalSecret](b.Manifests) {
		id.store = es.Spec.SecretStoreRef.Kind + "/" + es.Spec.SecretStoreRef.Name
		if es.Spec.SecretStoreRef.Kind == "SecretStore" {
			id.store = es.Namespace + "/" + id.store // a namespaced store is the namespace's own
		}
		for _, d := range es.Spec.Data {
			id.remoteKeys = append(id.remoteKeys, d.RemoteRef.Key)
		}
	}
	return id
}

// TestEnvironmentsStayApart renders staging and production of every golden and asserts that
// their namespaces, ServiceAccounts, IAM roles, secret remote keys and namespaced secret
// stores differ pairwise, that each environment's remote keys live under its own prefix, and
// that no production ARN or key path appears anywhere in a staging object (and the reverse).
func TestEnvironmentsStayApart(t *testing.T) {
	for _, tree := range k8sTrees(t) {
		t.Run(tree.Case, func(t *testing.T) {
			ids := map[string]envIdentity{}
			yamls := map[string]string{}
			for _, b := range builds(t, tree) {
				env, ok := strings.CutPrefix(b.Name, "overlays/")
				if !ok {
					continue
				}
				ids[env] = identityOf(t, b, tree.Answers.DatabasePort)
				yamls[env] = string(b.YAML)
			}
			for _, problem := range apartProblems(ids, yamls, tree.Answers) {
				t.Error(problem)
			}
		})
	}
}

// apartProblems returns how the environments' identities fail to be apart.
func apartProblems(ids map[string]envIdentity, yamls map[string]string, a Answers) []string {
	var problems []string
	envs := []string{"staging", "production"}
	for _, e := range envs {
		if _, ok := ids[e]; !ok {
			return []string{"overlay " + e + " is missing"}
		}
	}
	s, p := ids["staging"], ids["production"]
	differ := func(what, x, y string) {
		if x == y && x != "" {
			problems = append(problems, fmt.Sprintf("staging and production share the %s %q", what, x))
		}
	}
	differ("namespace", s.namespace, p.namespace)
	differ("ServiceAccount", s.serviceAccount, p.serviceAccount)
	differ("IAM role", s.role, p.role)
	differ("SecretStore IAM role", s.storeRole, p.storeRole)
	for _, c := range s.databaseCIDRs {
		for _, d := range p.databaseCIDRs {
			if cidrsOverlap(c, d) {
				problems = append(problems, fmt.Sprintf("staging's database range %s overlaps production's %s: staging's pods could reach production's database", c, d))
			}
		}
	}
	if s.store != "" && !strings.HasPrefix(s.store, "ClusterSecretStore/") {
		differ("secret store", s.store, p.store)
	}
	if len(a.SecretKeys) > 0 && len(s.remoteKeys) != len(a.SecretKeys) {
		problems = append(problems, fmt.Sprintf("staging syncs %d secrets, want %d", len(s.remoteKeys), len(a.SecretKeys)))
	}
	for _, e := range envs {
		id := ids[e]
		if a.IRSARoleARN != "" && id.role != a.IRSARoleARN+"-"+e {
			problems = append(problems, fmt.Sprintf("%s: IAM role %q, want %s-%s", e, id.role, a.IRSARoleARN, e))
		}
		// An overlay with an AWS role renders its own SecretStore, read as its own role.
		if len(a.SecretKeys) > 0 && a.SecretStoreKind == "SecretStore" && a.IRSARoleARN != "" {
			if want := a.IRSARoleARN + "-" + e + "-secrets"; id.storeRole != want {
				problems = append(problems, fmt.Sprintf("%s: the SecretStore's IAM role is %q, want %s", e, id.storeRole, want))
			}
			if id.ownStore == "" || id.store != id.ownStore {
				problems = append(problems, fmt.Sprintf("%s: the ExternalSecret reads from %q, not the environment's own SecretStore %q", e, id.store, id.ownStore))
			}
		}
		for _, k := range id.remoteKeys {
			if !strings.HasPrefix(k, id.namespace+"/") {
				problems = append(problems, fmt.Sprintf("%s: remote key %q is outside the environment's prefix %s/", e, k, id.namespace))
			}
		}
	}
	// Nothing of one environment's identity appears in the other's objects.
	for _, pair := range [][2]string{{"staging", "production"}, {"production", "staging"}} {
		mine, theirs := pair[0], ids[pair[1]]
		leaks := append([]string{theirs.role, theirs.storeRole}, theirs.remoteKeys...)
		for _, v := range leaks {
			if v != "" && strings.Contains(yamls[mine], v) {
				problems = append(problems, fmt.Sprintf("%s's objects name %s's %q", mine, pair[1], v))
			}
		}
		if theirs.namespace != "" && regexp.MustCompile(`(?m)namespace: "?`+regexp.QuoteMeta(theirs.namespace)+`"?$`).MatchString(yamls[mine]) {
			problems = append(problems, fmt.Sprintf("%s's objects live in %s's namespace %s", mine, pair[1], theirs.namespace))
		}
	}
	return problems
}

// TestEnvironmentsApartCatchesRegressions proves the check fails when the overlays share
// what must be their own: the remote keys of the base, or a role.
func TestEnvironmentsApartCatchesRegressions(t *testing.T) {
	tree := fullTree(t)
	ids := map[string]envIdentity{}
	yamls := map[string]string{}
	for _, b := range builds(t, tree) {
		if env, ok := strings.CutPrefix(b.Name, "overlays/"); ok {
			ids[env] = identityOf(t, b, tree.Answers.DatabasePort)
			yamls[env] = string(b.YAML)
		}
	}
	if p := apartProblems(ids, yamls, tree.Answers); len(p) > 0 {
		t.Fatalf("the full tree is not apart: %v", p)
	}
	shared := ids["staging"]
	shared.remoteKeys = ids["production"].remoteKeys
	if p := apartProblems(map[string]envIdentity{"staging": shared, "production": ids["production"]}, yamls, tree.Answers); len(p) == 0 {
		t.Error("staging reading production's remote keys went unnoticed")
	}
	if ids["staging"].storeRole == "" {
		t.Fatal("the full tree renders no SecretStore role: the regressions below would prove nothing")
	}
	sharedStore := ids["staging"]
	sharedStore.storeRole = ids["production"].storeRole
	if p := apartProblems(map[string]envIdentity{"staging": sharedStore, "production": ids["production"]}, yamls, tree.Answers); len(p) == 0 {
		t.Error("staging's SecretStore reading as production's role went unnoticed")
	}
	clusterStore := ids["staging"]
	clusterStore.store = "ClusterSecretStore/shared"
	if p := apartProblems(map[string]envIdentity{"staging": clusterStore, "production": ids["production"]}, yamls, tree.Answers); len(p) == 0 {
		t.Error("staging's ExternalSecret reading from a shared store instead of its own went unnoticed")
	}
	stagingDB, productionDB := ids["staging"], ids["production"]
	stagingDB.databaseCIDRs, productionDB.databaseCIDRs = []string{"10.0.0.0/16"}, []string{"10.0.32.0/20"}
	if p := apartProblems(map[string]envIdentity{"staging": stagingDB, "production": productionDB}, yamls, tree.Answers); len(p) == 0 {
		t.Error("staging's database range covering production's went unnoticed")
	}
	leaky := map[string]string{"staging": yamls["staging"] + "\n# " + ids["production"].role, "production": yamls["production"]}
	if p := apartProblems(ids, leaky, tree.Answers); len(p) == 0 {
		t.Error("production's role in a staging object went unnoticed")
	}
}

// TestAdmissionPolicyNamesTheReleaseWorkflow asserts that the cluster's ClusterImagePolicy
// covers the image the overlays run and the one the release pushes, requires a keyless
// signature through GitHub's OIDC issuer, and that its identity matches the release
// workflow of the repository on a version tag and nothing else; both overlays' namespaces
// opt in to the policy-controller.
func TestAdmissionPolicyNamesTheReleaseWorkflow(t *testing.T) {
	for _, tree := range k8sTrees(t) {
		t.Run(tree.Case, func(t *testing.T) {
			m, _, err := build(filepath.Join(tree.Dir(), "cluster"))
			if err != nil {
				t.Fatal(err)
			}
			cips := of[*ClusterImagePolicy](m)
			if len(cips) != 1 {
				t.Fatalf("%d ClusterImagePolicies, want 1", len(cips))
			}
			for _, p := range policyProblems(cips[0], tree.Answers) {
				t.Error(p)
			}
			for _, b := range builds(t, tree) {
				for _, ns := range of[*corev1.Namespace](b.Manifests) {
					if ns.Labels["policy.sigstore.dev/include"] != "true" {
						t.Errorf("%s: namespace %s does not opt in to the policy-controller", b.Name, ns.Name)
					}
				}
			}
		})
	}
}

// policyProblems returns how cip fails to admit only the release workflow's signatures.
func policyProblems(cip *ClusterImagePolicy, a Answers) []string {
	var problems []string
	repo := regexp.MustCompile(`(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[a-f0-9]{64}$`).ReplaceAllString(a.Image, "")
	owner := strings.ToLower(strings.Split(a.ReleaseRepository, "/")[0])
	globs := map[string]bool{}
	for _, i := range cip.Spec.Images {
		globs[i.Glob] = true
	}
	for _, want := range []string{repo + "*", "ghcr.io/" + owner + "/" + a.Name + "*"} {
		if !globs[want] {
			problems = append(problems, fmt.Sprintf("no image glob %q (globs %v)", want, globs))
		}
	}
	if len(cip.Spec.Authorities) != 1 || len(cip.Spec.Authorities[0].Keyless.Identities) != 1 {
		return append(problems, "want exactly one keyless authority with one identity")
	}
	auth := cip.Spec.Authorities[0]
	id := auth.Keyless.Identities[0]
	if id.Issuer != "https://token.actions.githubusercontent.com" || auth.Keyless.URL == "" || auth.CTLog.URL == "" {
		problems = append(problems, fmt.Sprintf("authority %+v is not GitHub's keyless Fulcio identity with a transparency log", auth))
	}
	re, err := regexp.Compile(id.SubjectRegExp)
	if err != nil {
		return append(problems, fmt.Sprintf("subjectRegExp %q: %v", id.SubjectRegExp, err))
	}
	base := "https://github.com/" + a.ReleaseRepository + "/.github/workflows/"
	if !re.MatchString(base + "release.yml@refs/tags/v1.2.3") {
		problems = append(problems, fmt.Sprintf("subjectRegExp %q refuses the release workflow on tag v1.2.3", id.SubjectRegExp))
	}
	for _, other := range []string{
		base + "ci.yml@refs/tags/v1.2.3",
		base + "release.yml@refs/heads/main",
		"https://github.com/attacker/" + strings.Split(a.ReleaseRepository, "/")[1] + "/.github/workflows/release.yml@refs/tags/v1.2.3",
		"https://github.com/" + a.ReleaseRepository + "x/.github/workflows/release.yml@refs/tags/v1",
		"https://github.com/" + strings.ReplaceAll(a.ReleaseRepository, ".", "X") + "/.github/workflows/releaseXyml@refs/tags/v1",
	} {
		if re.MatchString(other) && other != base+"release.yml@refs/tags/v1.2.3" {
			problems = append(problems, fmt.Sprintf("subjectRegExp %q admits %s", id.SubjectRegExp, other))
		}
	}
	return problems
}

// TestAdmissionPolicyCatchesRegressions proves policyProblems fails on a policy that admits
// any workflow of the repository.
func TestAdmissionPolicyCatchesRegressions(t *testing.T) {
	tree := fullTree(t)
	m, _, err := build(filepath.Join(tree.Dir(), "cluster"))
	if err != nil {
		t.Fatal(err)
	}
	cip := of[*ClusterImagePolicy](m)[0]
	js, _ := yaml.Marshal(cip)
	var loose ClusterImagePolicy
	if err := yaml.Unmarshal(js, &loose); err != nil {
		t.Fatal(err)
	}
	loose.Spec.Authorities[0].Keyless.Identities[0].SubjectRegExp = "^https://github.com/" + tree.Answers.ReleaseRepository + "/.*$"
	if len(policyProblems(&loose, tree.Answers)) == 0 {
		t.Error("a policy admitting every workflow of the repository went unnoticed")
	}
}

// cidrsOverlap reports whether two CIDRs share an address (an unparsable one counts as
// overlapping, so that a typo cannot pass).
func cidrsOverlap(a, b string) bool {
	p, errA := netip.ParsePrefix(a)
	q, errB := netip.ParsePrefix(b)
	return errA != nil || errB != nil || p.Overlaps(q)
}
