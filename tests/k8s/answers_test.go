package k8s

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// componentFile is the k8s component's declaration, the source of its default answers; the
// questions it shares with other components are declared in sharedQuestionsFile.
const (
	componentFile       = "../../templates/k8s/component.yaml"
	sharedQuestionsFile = "../../templates/questions.yaml"
)

// Answers are the answers of a golden case that the checks depend on.
type Answers struct {
	Description       string   `json:"description"`
	Port              int      `json:"port"`
	Image             string   `json:"image"`
	KubernetesVersion string   `json:"kubernetes_version"`
	Replicas          int      `json:"replicas"`
	MaxReplicas       int      `json:"max_replicas"`
	IngressNamespace  string   `json:"ingress_namespace"`
	DatabaseNamespace string   `json:"database_namespace"`
	DatabasePort      int      `json:"database_port"`
	AWSEndpointCIDRs  []string `json:"aws_endpoint_cidrs"`
	Mesh              string   `json:"mesh"`
	IRSARoleARN       string   `json:"irsa_role_arn"`
	SecretStoreKind   string   `json:"secret_store_kind"`
	SecretStore       string   `json:"secret_store"`
	SecretKeys        []string `json:"secret_keys"`
	OIDCIssuer        string   `json:"oidc_issuer"`
	OIDCIssuerCIDRs   []string `json:"oidc_issuer_cidrs"`
	// OIDCJWKSURI and OIDCExchangeEndpoint are the issuer's JWKS and token endpoints, empty
	// when on the issuer's host; OIDCEndpointCIDRs their hosts' addresses where they are not.
	OIDCJWKSURI          string   `json:"oidc_jwks_uri"`
	OIDCExchangeEndpoint string   `json:"oidc_exchange_endpoint"`
	OIDCEndpointCIDRs    []string `json:"oidc_endpoint_cidrs"`
	AWSAPIRegion         string   `json:"aws_api_region"`
	IncludeRDS           bool     `json:"include_rds"`
	DatabaseCIDRs        []string `json:"database_cidrs"`
	StagingDBCIDRs       []string `json:"staging_database_cidrs"`
	IncludeALB           bool     `json:"include_alb"`
	ALBCIDRs             []string `json:"alb_cidrs"`
	ALBPort              int      `json:"alb_port"` // asked with Istio and the load balancer only
	Namespace            string   `json:"namespace"`
	ServiceAccount       string   `json:"service_account"`
	ReleaseRepository    string   `json:"release_repository"`
	IngressPodCIDRs      []string `json:"ingress_pod_cidrs"`
	Name                 string   `json:"name"`
	// Database is go-service's store (postgres or none); empty when go-service is not rendered.
	Database string `json:"database"`
}

// ALBTargetPort is the pods' port the load balancer's target group sends to.
// With Istio that is the sidecar's own port for it (alb_port): the service's port stays STRICT.
func (a Answers) ALBTargetPort() int {
	if a.Mesh == "istio" && a.IncludeALB {
		return a.ALBPort
	}
	return a.Port
}

// SingleReplica reports whether the service keeps its sessions in one process (database
// none), so that its manifests must run exactly one replica and no autoscaler.
func (a Answers) SingleReplica() bool { return a.Database == "none" }

// componentDefaults reads the literal defaults of the k8s component's questions; defaults
// that are templates over other answers are left out (the checks take those values, such as
// the namespace, from the rendered objects themselves).
func componentDefaults(t *testing.T) map[string]any {
	t.Helper()
	type question struct {
		Name    string `json:"name"`
		Default any    `json:"default"`
	}
	var c, shared struct {
		Questions []json.RawMessage `json:"questions"`
	}
	for _, f := range []struct {
		path string
		into any
	}{{componentFile, &c}, {sharedQuestionsFile, &shared}} {
		data, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatalf("reading %s: %v", f.path, err)
		}
		if err := yaml.Unmarshal(data, f.into); err != nil {
			t.Fatalf("parsing %s: %v", f.path, err)
		}
	}
	byName := map[string]question{}
	for _, raw := range shared.Questions {
		var q question
		if err := json.Unmarshal(raw, &q); err != nil {
			t.Fatalf("%s: %v", sharedQuestionsFile, err)
		}
		byName[q.Name] = q
	}
	// A question of the component is either a shared question's name or a declaration.
	var questions []question
	for _, raw := range c.Questions {
		var ref string
		if json.Unmarshal(raw, &ref) == nil {
			q, ok := byName[ref]
			if !ok {
				t.Fatalf("%s asks %q, which %s does not declare", componentFile, ref, sharedQuestionsFile)
			}
			questions = append(questions, q)
			continue
		}
		var q question
		if err := json.Unmarshal(raw, &q); err != nil {
			t.Fatalf("%s: %v", componentFile, err)
		}
		questions = append(questions, q)
	}
	defaults := map[string]any{}
	for _, q := range questions {
		if s, ok := q.Default.(string); ok && strings.Contains(s, "{{") {
			continue
		}
		if q.Default != nil {
			defaults[q.Name] = q.Default
		}
	}
	return defaults
}

// readYAMLMap reads a YAML mapping; a missing file is an empty map.
func readYAMLMap(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return m, nil
}

// loadAnswers merges, lowest first: the component's defaults, the blueprint's defaults (for a
// blueprint case), the case's answers.yaml and, when present, the answers recorded in the
// tree's manifest (.secgen.yaml), which are what the engine actually rendered with.
func loadAnswers(caseDir, root string, defaults map[string]any) (Answers, error) {
	merged := map[string]any{}
	for k, v := range defaults {
		merged[k] = v
	}
	caseFile, err := readYAMLMap(filepath.Join(caseDir, "case.yaml"))
	if err != nil {
		return Answers{}, err
	}
	if bp, ok := caseFile["blueprint"].(string); ok {
		blueprint, err := readYAMLMap(filepath.Join("../../blueprints", bp+".yaml"))
		if err != nil {
			return Answers{}, err
		}
		if d, ok := blueprint["defaults"].(map[string]any); ok {
			for k, v := range d {
				merged[k] = v
			}
		}
	}
	answers, err := readYAMLMap(filepath.Join(caseDir, "answers.yaml"))
	if err != nil {
		return Answers{}, err
	}
	for k, v := range answers {
		merged[k] = v
	}
	manifest, err := readYAMLMap(filepath.Join(root, ".secgen.yaml"))
	if err != nil {
		return Answers{}, err
	}
	if recorded, ok := manifest["answers"].(map[string]any); ok {
		for k, v := range recorded {
			merged[k] = v
		}
	}
	js, err := json.Marshal(merged)
	if err != nil {
		return Answers{}, fmt.Errorf("encoding answers: %w", err)
	}
	var a Answers
	if err := json.Unmarshal(js, &a); err != nil {
		return Answers{}, fmt.Errorf("answers of %s: %w", caseDir, err)
	}
	return a, nil
}

// IssuerPort is the port of the OIDC issuer URL: the one it names, else 443.
func (a Answers) IssuerPort() (int32, error) {
	u, err := url.Parse(a.OIDCIssuer)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return 0, fmt.Errorf("oidc_issuer %q is not an https URL", a.OIDCIssuer)
	}
	if u.Port() == "" {
		return 443, nil
	}
	p, err := strconv.ParseInt(u.Port(), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("oidc_issuer %q: port: %w", a.OIDCIssuer, err)
	}
	return int32(p), nil
}

// DatabaseCIDRsOf returns the RDS ranges the pods of a namespace may reach (own) and the
// ranges of the other environment's database (other): each overlay opens its own
// environment's database subnets only, production's database_cidrs or staging's
// staging_database_cidrs, and the base, which is no environment, opens none.
func (a Answers) DatabaseCIDRsOf(namespace string) (own, other []string) {
	switch {
	case !a.IncludeRDS:
		return nil, nil
	case strings.HasSuffix(namespace, "-production"):
		return a.DatabaseCIDRs, a.StagingDBCIDRs
	case strings.HasSuffix(namespace, "-staging"):
		return a.StagingDBCIDRs, a.DatabaseCIDRs
	}
	return nil, append(slices.Clone(a.DatabaseCIDRs), a.StagingDBCIDRs...)
}

// oidcEndpoint is one of the issuer's endpoints the service calls on another host or port
// than the issuer's.
type oidcEndpoint struct {
	Role, Host string
	Port       int32
	// IssuerHost: the endpoint is on the issuer's host (another port), so on its addresses.
	IssuerHost bool
}

// OIDCEndpoints returns the JWKS and token endpoints that are not on the issuer's host and
// port, each host and port once.
func (a Answers) OIDCEndpoints(t *testing.T) []oidcEndpoint {
	t.Helper()
	eps, err := a.oidcEndpoints()
	if err != nil {
		t.Fatal(err)
	}
	return eps
}

// oidcEndpoints is OIDCEndpoints without a test to fail.
func (a Answers) oidcEndpoints() ([]oidcEndpoint, error) {
	issuer, err := url.Parse(a.OIDCIssuer)
	if err != nil {
		return nil, fmt.Errorf("oidc_issuer %q: %w", a.OIDCIssuer, err)
	}
	seen := map[string]bool{issuer.Host: true}
	var out []oidcEndpoint
	for _, e := range []struct{ role, raw string }{{"JWKS endpoint", a.OIDCJWKSURI}, {"token endpoint", a.OIDCExchangeEndpoint}} {
		if e.raw == "" {
			continue
		}
		u, err := url.Parse(e.raw)
		if err != nil || u.Scheme != "https" || u.Hostname() == "" {
			return nil, fmt.Errorf("%s %q is not an https URL: %v", e.role, e.raw, err)
		}
		if seen[u.Host] {
			continue
		}
		seen[u.Host] = true
		port := int64(443)
		if u.Port() != "" {
			if port, err = strconv.ParseInt(u.Port(), 10, 32); err != nil {
				return nil, fmt.Errorf("%s %q: port: %w", e.role, e.raw, err)
			}
		}
		out = append(out, oidcEndpoint{Role: e.role, Host: u.Hostname(), Port: int32(port), IssuerHost: u.Hostname() == issuer.Hostname()})
	}
	return out, nil
}
