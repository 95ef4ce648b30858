package k8s

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
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
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	kusttypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// k8sDir is where the k8s component renders inside a tree.
const k8sDir = "deploy/k8s"

// overlaysWanted are the overlays every tree must have.
var overlaysWanted = []string{"staging", "production"}

// ExternalSecret mirrors the fields of external-secrets.io/v1 ExternalSecret that secgen
// renders; decoding is strict, so any other field is an error.
type ExternalSecret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ExternalSecretSpec `json:"spec"`
}

// ExternalSecretSpec is the spec of an ExternalSecret.
type ExternalSecretSpec struct {
	RefreshInterval string                `json:"refreshInterval"`
	SecretStoreRef  SecretStoreRef        `json:"secretStoreRef"`
	Target          ExternalSecretTarget  `json:"target"`
	Data            []ExternalSecretDatum `json:"data"`
}

// SecretStoreRef names the (Cluster)SecretStore an ExternalSecret reads from.
type SecretStoreRef struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// ExternalSecretTarget is the Secret the operator maintains.
type ExternalSecretTarget struct {
	Name           string `json:"name"`
	CreationPolicy string `json:"creationPolicy"`
	DeletionPolicy string `json:"deletionPolicy"`
}

// ExternalSecretDatum maps one key of the secret manager to one key of the Secret.
type ExternalSecretDatum struct {
	SecretKey string `json:"secretKey"`
	RemoteRef struct {
		Key      string `json:"key"`
		Property string `json:"property,omitempty"`
	} `json:"remoteRef"`
}

// SecretStore mirrors the fields of external-secrets.io/v1 SecretStore that secgen renders:
// AWS Secrets Manager, authenticated as a ServiceAccount of the store's namespace (IRSA).
type SecretStore struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Provider struct {
			AWS struct {
				Service string `json:"service"`
				Region  string `json:"region"`
				Auth    struct {
					JWT struct {
						ServiceAccountRef struct {
							Name string `json:"name"`
						} `json:"serviceAccountRef"`
					} `json:"jwt"`
				} `json:"auth"`
			} `json:"aws"`
		} `json:"provider"`
	} `json:"spec"`
}

// PeerAuthentication mirrors security.istio.io/v1 PeerAuthentication.
type PeerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector *metav1.LabelSelector `json:"selector,omitempty"`
		Mtls     *struct {
			Mode string `json:"mode"`
		} `json:"mtls,omitempty"`
		PortLevelMtls map[string]struct {
			Mode string `json:"mode"`
		} `json:"portLevelMtls,omitempty"`
	} `json:"spec"`
}

// ServiceEntry mirrors the fields of networking.istio.io/v1 ServiceEntry that secgen renders.
type ServiceEntry struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Hosts      []string           `json:"hosts"`
		Addresses  []string           `json:"addresses,omitempty"`
		ExportTo   []string           `json:"exportTo,omitempty"`
		Location   string             `json:"location"`
		Resolution string             `json:"resolution"`
		Ports      []ServiceEntryPort `json:"ports"`
	} `json:"spec"`
}

// ServiceEntryPort is one port of a ServiceEntry.
type ServiceEntryPort struct {
	Number   int32  `json:"number"`
	Name     string `json:"name"`
	Protocol string `json:"protocol"`
}

// ClusterImagePolicy mirrors the fields of policy.sigstore.dev/v1beta1 ClusterImagePolicy
// that secgen renders.
type ClusterImagePolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Images []struct {
			Glob string `json:"glob"`
		} `json:"images"`
		Authorities []struct {
			Name    string `json:"name"`
			Keyless struct {
				URL        string `json:"url"`
				Identities []struct {
					Issuer        string `json:"issuer"`
					SubjectRegExp string `json:"subjectRegExp"`
				} `json:"identities"`
			} `json:"keyless"`
			CTLog struct {
				URL string `json:"url"`
			} `json:"ctlog"`
		} `json:"authorities"`
	} `json:"spec"`
}

// AuthorizationPolicy mirrors the fields of security.istio.io/v1 AuthorizationPolicy that
// secgen renders.
type AuthorizationPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector *metav1.LabelSelector `json:"selector,omitempty"`
		Action   string                `json:"action"`
		Rules    []AuthorizationRule   `json:"rules"`
	} `json:"spec"`
}

// AuthorizationRule is one rule of an AuthorizationPolicy: a request matches it when it
// matches one of its sources and one of its operations.
type AuthorizationRule struct {
	From []struct {
		Source struct {
			Namespaces []string `json:"namespaces,omitempty"`
			Principals []string `json:"principals,omitempty"`
			IPBlocks   []string `json:"ipBlocks,omitempty"`
		} `json:"source"`
	} `json:"from"`
	To []struct {
		Operation struct {
			Ports []string `json:"ports"`
		} `json:"operation"`
	} `json:"to"`
}

// Sidecar mirrors the fields of networking.istio.io/v1 Sidecar that secgen renders.
type Sidecar struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		WorkloadSelector struct {
			Labels map[string]string `json:"labels"`
		} `json:"workloadSelector"`
		OutboundTrafficPolicy *struct {
			Mode string `json:"mode"`
		} `json:"outboundTrafficPolicy,omitempty"`
		Ingress []struct {
			Port struct {
				Number   int32  `json:"number"`
				Protocol string `json:"protocol"`
				Name     string `json:"name"`
			} `json:"port"`
			DefaultEndpoint string `json:"defaultEndpoint"`
		} `json:"ingress,omitempty"`
	} `json:"spec"`
}

// TargetGroupBinding mirrors the fields of the AWS Load Balancer Controller's
// elbv2.k8s.aws/v1beta1 TargetGroupBinding that secgen renders (TestAPIServer validates them
// against the project's published CRD as well).
type TargetGroupBinding struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ServiceRef struct {
			Name string             `json:"name"`
			Port intstr.IntOrString `json:"port"`
		} `json:"serviceRef"`
		TargetType      string `json:"targetType"`
		IPAddressType   string `json:"ipAddressType"`
		TargetGroupName string `json:"targetGroupName,omitempty"`
		TargetGroupARN  string `json:"targetGroupARN,omitempty"`
	} `json:"spec"`
}

// newObject returns an empty typed object for apiVersion/kind, or an error for anything secgen
// is not expected to render (an unknown kind is a failure, not a pass).
func newObject(apiVersion, kind string) (any, error) {
	switch apiVersion + "/" + kind {
	case "v1/Namespace":
		return &corev1.Namespace{}, nil
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, nil
	case "v1/Service":
		return &corev1.Service{}, nil
	case "v1/Secret":
		return &corev1.Secret{}, nil
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, nil
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, nil
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, nil
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, nil
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, nil
	case "rbac.authorization.k8s.io/v1/Role":
		return &rbacv1.Role{}, nil
	case "rbac.authorization.k8s.io/v1/RoleBinding":
		return &rbacv1.RoleBinding{}, nil
	case "rbac.authorization.k8s.io/v1/ClusterRole":
		return &rbacv1.ClusterRole{}, nil
	case "rbac.authorization.k8s.io/v1/ClusterRoleBinding":
		return &rbacv1.ClusterRoleBinding{}, nil
	case "external-secrets.io/v1/ExternalSecret":
		return &ExternalSecret{}, nil
	case "external-secrets.io/v1/SecretStore":
		return &SecretStore{}, nil
	case "security.istio.io/v1/PeerAuthentication":
		return &PeerAuthentication{}, nil
	case "networking.istio.io/v1/ServiceEntry":
		return &ServiceEntry{}, nil
	case "security.istio.io/v1/AuthorizationPolicy":
		return &AuthorizationPolicy{}, nil
	case "networking.istio.io/v1/Sidecar":
		return &Sidecar{}, nil
	case "elbv2.k8s.aws/v1beta1/TargetGroupBinding":
		return &TargetGroupBinding{}, nil
	case "policy.sigstore.dev/v1beta1/ClusterImagePolicy":
		return &ClusterImagePolicy{}, nil
	}
	return nil, fmt.Errorf("unexpected kind %s %s", apiVersion, kind)
}

// Manifests is a decoded set of Kubernetes objects, in document order.
type Manifests struct {
	Name    string // where they come from, for messages
	Objects []any
}

// splitDocuments splits a YAML stream into its non-empty documents.
func splitDocuments(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("splitting YAML documents: %w", err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("parsing YAML document: %w", err)
		}
		if string(bytes.TrimSpace(js)) == "null" {
			continue // only comments
		}
		docs = append(docs, doc)
	}
}

// unmarshalStrict decodes one YAML document into obj the way the API server reads JSON:
// field names are case-sensitive (encoding/json, and so yaml.UnmarshalStrict, would accept
// "runAsNonroot" for runAsNonRoot), and unknown or duplicated fields are errors.
func unmarshalStrict(doc []byte, obj any) error {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return fmt.Errorf("strict decoding: %w", err)
	}
	strictErrs, err := sigsjson.UnmarshalStrict(js, obj, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return fmt.Errorf("strict decoding: %w", err)
	}
	if len(strictErrs) > 0 {
		return fmt.Errorf("strict decoding: %w", errors.Join(strictErrs...))
	}
	return nil
}

// decodeStrict decodes every document of a YAML stream into its API type; unknown or
// duplicated fields are errors.
func decodeStrict(name string, data []byte) (Manifests, error) {
	m := Manifests{Name: name}
	docs, err := splitDocuments(data)
	if err != nil {
		return m, fmt.Errorf("%s: %w", name, err)
	}
	for i, doc := range docs {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return m, fmt.Errorf("%s: document %d: %w", name, i+1, err)
		}
		obj, err := newObject(tm.APIVersion, tm.Kind)
		if err != nil {
			return m, fmt.Errorf("%s: document %d: %w", name, i+1, err)
		}
		if err := unmarshalStrict(doc, obj); err != nil {
			return m, fmt.Errorf("%s: document %d (%s): %w", name, i+1, tm.Kind, err)
		}
		m.Objects = append(m.Objects, obj)
	}
	return m, nil
}

// Tree is one golden tree that holds deploy/k8s.
type Tree struct {
	Case    string // goldens/<group>/<case>
	Root    string // the tree directory
	Answers Answers
}

// Dir returns the deploy/k8s directory of the tree.
func (t Tree) Dir() string { return filepath.Join(t.Root, k8sDir) }

// k8sTrees returns every golden tree with deploy/k8s; none at all is a failure.
func k8sTrees(t *testing.T) []Tree {
	t.Helper()
	roots, err := filepath.Glob(filepath.Join(goldensDir, "*", "*", "tree"))
	if err != nil {
		t.Fatalf("listing goldens: %v", err)
	}
	sort.Strings(roots)
	defaults := componentDefaults(t)
	var trees []Tree
	for _, root := range roots {
		if _, err := os.Stat(filepath.Join(root, k8sDir)); err != nil {
			continue
		}
		caseDir := filepath.Dir(root)
		answers, err := loadAnswers(caseDir, root, defaults)
		if err != nil {
			t.Fatalf("%s: %v", caseDir, err)
		}
		trees = append(trees, Tree{Case: caseName(caseDir), Root: root, Answers: answers})
	}
	if len(trees) == 0 {
		t.Fatalf("no golden tree holds %s: record the goldens with make goldens", k8sDir)
	}
	return trees
}

// yamlFiles lists the .yaml files under dir, sorted.
func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", dir, err)
	}
	sort.Strings(files)
	return files
}

// decodeKustomization decodes a kustomization.yaml strictly.
func decodeKustomization(path string) (*kusttypes.Kustomization, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading kustomization: %w", err)
	}
	var k kusttypes.Kustomization
	if err := unmarshalStrict(data, &k); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &k, nil
}

// build runs Kustomize on dir and decodes the result strictly.
func build(dir string) (Manifests, []byte, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return Manifests{}, nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	out, err := resMap.AsYaml()
	if err != nil {
		return Manifests{}, nil, fmt.Errorf("kustomize build %s: rendering YAML: %w", dir, err)
	}
	m, err := decodeStrict("kustomize build "+dir, out)
	return m, out, err
}

// Build is the output of one kustomization of a tree.
type Build struct {
	Name      string // base, overlays/staging, ...
	Manifests Manifests
	YAML      []byte
}

// builds returns the Kustomize output of the base and of every overlay of a tree.
func builds(t *testing.T, tree Tree) []Build {
	t.Helper()
	dirs := []string{"base"}
	entries, err := os.ReadDir(filepath.Join(tree.Dir(), "overlays"))
	if err != nil {
		t.Fatalf("%s: reading overlays: %v", tree.Case, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, "overlays/"+e.Name())
		}
	}
	var out []Build
	for _, d := range dirs {
		m, y, err := build(filepath.Join(tree.Dir(), d))
		if err != nil {
			t.Fatalf("%s: %v", tree.Case, err)
		}
		out = append(out, Build{Name: d, Manifests: m, YAML: y})
	}
	return out
}

// caseName names a materialized case directory as it lives in the
// repository: goldens/<group>/<case>.
func caseName(caseDir string) string {
	rel, err := filepath.Rel(goldensDir, caseDir)
	if err != nil {
		return caseDir
	}
	return "goldens/" + filepath.ToSlash(rel)
}
