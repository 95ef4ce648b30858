package k8s

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// The real API server: kube-apiserver built from k8s.io/kubernetes at this version by
// scripts/kube-apiserver.sh (once per machine; `make test` builds it first), served by
// Debian's etcd, both on 127.0.0.1 and started and stopped by the test.
const kubeAPIServerVersion = "v1.34.3"

// crdSource is a published CRD manifest inside a Go module, fetched through the Go module
// proxy (`go mod download`, checked against the checksum database) at a pinned version.
type crdSource struct {
	module, version string
	files           []string // paths inside the module
	// names are the CRDs of the files to install; nil installs every CRD in the files.
	names []string
}

// crdSources are the projects whose custom resources the manifests use, at the versions
// the manifests are written against.
var crdSources = []crdSource{
	{
		module: "github.com/external-secrets/external-secrets", version: "v1.3.2",
		files: []string{
			"config/crds/bases/external-secrets.io_externalsecrets.yaml",
			"config/crds/bases/external-secrets.io_secretstores.yaml",
			"config/crds/bases/external-secrets.io_clustersecretstores.yaml",
		},
	},
	{
		module: "istio.io/api", version: "v1.32.0",
		files: []string{"kubernetes/customresourcedefinitions.gen.yaml"},
		names: []string{
			"peerauthentications.security.istio.io",
			"authorizationpolicies.security.istio.io",
			"serviceentries.networking.istio.io",
			"sidecars.networking.istio.io",
		},
	},
	{
		// The AWS Load Balancer Controller's module path carries its major version from v3 on
		// (its v2 tags are not Go module versions); v3.6.2 serves elbv2.k8s.aws/v1beta1.
		module: "sigs.k8s.io/aws-load-balancer-controller/v3", version: "v3.6.2",
		files: []string{"config/crd/bases/elbv2.k8s.aws_targetgroupbindings.yaml"},
	},
	{
		module: "github.com/sigstore/policy-controller", version: "v0.13.1",
		files: []string{"config/300-clusterimagepolicy.yaml"},
	},
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// process is a server started by the test; its output is kept for failure messages.
type process struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

// startProcess starts bin with args and returns once a line of its output contains ready.
func startProcess(t *testing.T, name, bin string, args []string, ready string, timeout time.Duration) *process {
	t.Helper()
	p := &process{name: name, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			if strings.Contains(line, ready) {
				once.Do(func() { close(found) })
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		_ = p.cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case <-found:
		return p
	case <-p.done:
		t.Fatalf("%s exited before it was ready:\n%s", name, p.output())
	case <-time.After(timeout):
		t.Fatalf("%s was not ready after %s:\n%s", name, timeout, p.output())
	}
	return nil
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.log.String()
	if len(s) > 8000 {
		s = "...\n" + s[len(s)-8000:]
	}
	return s
}

// kubeAPIServerBinary returns the cached kube-apiserver, building it if no cache holds it.
func kubeAPIServerBinary(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("bash", "../../scripts/kube-apiserver.sh", kubeAPIServerVersion)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/kube-apiserver.sh %s (run make test, which builds it): %v", kubeAPIServerVersion, err)
	}
	return strings.TrimSpace(string(out))
}

// apiServer is a client of the test's kube-apiserver.
type apiServer struct {
	base   string
	token  string
	client *http.Client
	// resources maps "apiVersion/Kind" to its resource and scope, from discovery.
	resources map[string]apiResource
}

type apiResource struct {
	name       string
	namespaced bool
}

// startAPIServer starts etcd and kube-apiserver on 127.0.0.1 and returns a client of it.
func startAPIServer(t *testing.T) *apiServer {
	t.Helper()
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatalf("etcd is not installed (apt-get install etcd-server; .ci/run installs it): %v", err)
	}
	kas := kubeAPIServerBinary(t)
	dir := t.TempDir()

	clientURL := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	startProcess(t, "etcd", etcd, []string{
		"--name", "secgen-test",
		"--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "secgen-test=" + peerURL,
		"--unsafe-no-fsync",
	}, "ready to serve client requests", time.Minute)

	// The service-account signing key, and one static token of system:masters.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "sa.key")
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tokenBytes := make([]byte, 16)
	_, _ = rand.Read(tokenBytes)
	token := hex.EncodeToString(tokenBytes)
	tokenFile := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(token+",secgen-test,secgen-test,system:masters\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	certDir := filepath.Join(dir, "certs")
	startProcess(t, "kube-apiserver", kas, []string{
		"--etcd-servers", clientURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(port), "--cert-dir", certDir,
		"--token-auth-file", tokenFile, "--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", keyFile, "--service-account-signing-key-file", keyFile,
		// Addresses the API server allocates to Services; nothing listens on them.
		"--service-cluster-ip-range", "10.96.0.0/16",
		// No endpoints for the "kubernetes" Service (its address would be loopback).
		"--endpoint-reconciler-type", "none",
		"--enable-priority-and-fairness=false", "--profiling=false",
	}, "Serving securely on 127.0.0.1:"+strconv.Itoa(port), 3*time.Minute)

	// Trust the self-signed serving certificate the API server generated (it and its CA are
	// in one file).
	pool := x509.NewCertPool()
	certs, err := filepath.Glob(filepath.Join(certDir, "*.crt"))
	if err != nil || len(certs) == 0 {
		t.Fatalf("no serving certificate in %s", certDir)
	}
	for _, c := range certs {
		data, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		pool.AppendCertsFromPEM(data)
	}
	s := &apiServer{
		base:  fmt.Sprintf("https://127.0.0.1:%d", port),
		token: token,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		}},
	}
	s.waitFor(t, "the API server to be ready", 2*time.Minute, func() (bool, error) {
		code, _, _, err := s.do(http.MethodGet, "/readyz", "", nil)
		return code == http.StatusOK, err
	})
	s.discover(t)
	return s
}

// waitFor polls cond until it holds: the state of a server can only be asked, it is not
// announced. An error ends the wait only when time runs out.
func (s *apiServer) waitFor(t *testing.T, what string, timeout time.Duration, cond func() (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: timed out after %s (last error: %v)", what, timeout, last)
		case <-tick.C:
		}
	}
}

// do sends one request and returns the status, the body and the API server's warnings.
func (s *apiServer) do(method, path, contentType string, body []byte) (int, []byte, []string, error) {
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header.Values("Warning"), err
}

// discover maps every served apiVersion/Kind to its resource.
func (s *apiServer) discover(t *testing.T) {
	t.Helper()
	s.resources = map[string]apiResource{}
	groupVersions := []string{"v1"}
	code, body, _, err := s.do(http.MethodGet, "/apis", "", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("discovery /apis: %d %v %s", code, err, body)
	}
	var groups struct {
		Groups []struct {
			Versions []struct {
				GroupVersion string `json:"groupVersion"`
			} `json:"versions"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(body, &groups); err != nil {
		t.Fatalf("discovery /apis: %v", err)
	}
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			groupVersions = append(groupVersions, v.GroupVersion)
		}
	}
	for _, gv := range groupVersions {
		path := "/apis/" + gv
		if gv == "v1" {
			path = "/api/v1"
		}
		code, body, _, err := s.do(http.MethodGet, path, "", nil)
		if err != nil || code != http.StatusOK {
			t.Fatalf("discovery %s: %d %v %s", path, code, err, body)
		}
		var list struct {
			Resources []struct {
				Name       string `json:"name"`
				Kind       string `json:"kind"`
				Namespaced bool   `json:"namespaced"`
			} `json:"resources"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatalf("discovery %s: %v", path, err)
		}
		for _, r := range list.Resources {
			if !strings.Contains(r.Name, "/") {
				s.resources[gv+"/"+r.Kind] = apiResource{name: r.Name, namespaced: r.Namespaced}
			}
		}
	}
}

// object is one manifest as the API server sees it.
type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// path returns the URL path of obj, or an error when the API server serves no such kind.
func (s *apiServer) path(obj object) (string, error) {
	r, ok := s.resources[obj.APIVersion+"/"+obj.Kind]
	if !ok {
		return "", fmt.Errorf("the API server serves no %s %s (is its CRD installed?)", obj.APIVersion, obj.Kind)
	}
	p := "/apis/" + obj.APIVersion
	if !strings.Contains(obj.APIVersion, "/") {
		p = "/api/" + obj.APIVersion
	}
	if r.namespaced {
		if obj.Metadata.Namespace == "" {
			return "", fmt.Errorf("%s %s is namespaced but names no namespace", obj.Kind, obj.Metadata.Name)
		}
		p += "/namespaces/" + url.PathEscape(obj.Metadata.Namespace)
	}
	return p + "/" + r.name + "/" + url.PathEscape(obj.Metadata.Name), nil
}

// apply applies one YAML document server-side, with strict field validation: an unknown or
// duplicated field is an error, not a warning. It returns the API server's warnings.
func (s *apiServer) apply(doc []byte, dryRun bool) ([]string, error) {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	var obj object
	if err := json.Unmarshal(js, &obj); err != nil {
		return nil, err
	}
	p, err := s.path(obj)
	if err != nil {
		return nil, err
	}
	q := url.Values{"fieldManager": {"secgen-test"}, "force": {"true"}, "fieldValidation": {"Strict"}}
	if dryRun {
		q.Set("dryRun", "All")
	}
	code, body, warnings, err := s.do(http.MethodPatch, p+"?"+q.Encode(), "application/apply-patch+yaml", js)
	if err != nil {
		return warnings, fmt.Errorf("%s %s: %w", obj.Kind, obj.Metadata.Name, err)
	}
	if code != http.StatusOK && code != http.StatusCreated {
		return warnings, fmt.Errorf("%s %s/%s refused: %d %s", obj.Kind, obj.Metadata.Namespace, obj.Metadata.Name, code, apiMessage(body))
	}
	return warnings, nil
}

// apiMessage returns the message of a Status body, or the body.
func apiMessage(body []byte) string {
	var st struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &st) == nil && st.Message != "" {
		return st.Message
	}
	return string(body)
}

// crdDocuments reads the CRDs of src from the Go module cache, downloading the module
// through the Go module proxy when it is not there.
func crdDocuments(t *testing.T, src crdSource) [][]byte {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", src.module+"@"+src.version)
	cmd.Dir = t.TempDir() // outside any module: only the named version is resolved
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	var dl struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &dl); err != nil || jerr != nil || dl.Error != "" || dl.Dir == "" {
		t.Fatalf("go mod download %s@%s: %v %s %s", src.module, src.version, err, dl.Error, out)
	}
	want := map[string]bool{}
	for _, n := range src.names {
		want[n] = true
	}
	var docs [][]byte
	for _, f := range src.files {
		data, err := os.ReadFile(filepath.Join(dl.Dir, filepath.FromSlash(f)))
		if err != nil {
			t.Fatalf("%s@%s: %v", src.module, src.version, err)
		}
		all, err := splitDocuments(data)
		if err != nil {
			t.Fatalf("%s@%s %s: %v", src.module, src.version, f, err)
		}
		for _, d := range all {
			var o object
			if err := yaml.Unmarshal(d, &o); err != nil {
				t.Fatalf("%s@%s %s: %v", src.module, src.version, f, err)
			}
			if o.Kind != "CustomResourceDefinition" || (src.names != nil && !want[o.Metadata.Name]) {
				continue
			}
			delete(want, o.Metadata.Name)
			docs = append(docs, withoutConversionWebhook(t, d))
		}
	}
	if len(want) > 0 || len(docs) == 0 {
		t.Fatalf("%s@%s: CRDs not found: %v", src.module, src.version, want)
	}
	return docs
}

// withoutConversionWebhook drops a CRD's conversion webhook: no controller runs here to
// serve it, and without one the API server cannot store a version other than the storage
// version. The served versions' schemas, which validate the objects, are unchanged.
func withoutConversionWebhook(t *testing.T, doc []byte) []byte {
	t.Helper()
	var crd map[string]any
	if err := yaml.Unmarshal(doc, &crd); err != nil {
		t.Fatal(err)
	}
	spec, _ := crd["spec"].(map[string]any)
	if conv, ok := spec["conversion"].(map[string]any); ok && conv["strategy"] == "Webhook" {
		spec["conversion"] = map[string]any{"strategy": "None"}
		out, err := yaml.Marshal(crd)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return doc
}

// installCRDs installs every CRD of crdSources and waits until each is established.
func installCRDs(t *testing.T, s *apiServer) {
	t.Helper()
	var names []string
	for _, src := range crdSources {
		for _, d := range crdDocuments(t, src) {
			if _, err := s.apply(d, false); err != nil {
				t.Fatalf("installing a CRD of %s: %v", src.module, err)
			}
			var o object
			_ = yaml.Unmarshal(d, &o)
			names = append(names, o.Metadata.Name)
		}
	}
	for _, n := range names {
		s.waitFor(t, "CRD "+n+" to be established", time.Minute, func() (bool, error) {
			code, body, _, err := s.do(http.MethodGet, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"+n, "", nil)
			if err != nil || code != http.StatusOK {
				return false, err
			}
			var crd struct {
				Status struct {
					Conditions []struct{ Type, Status string } `json:"conditions"`
				} `json:"status"`
			}
			if err := json.Unmarshal(body, &crd); err != nil {
				return false, err
			}
			for _, c := range crd.Status.Conditions {
				if c.Type == "Established" && c.Status == "True" {
					return true, nil
				}
			}
			return false, errors.New("not established yet")
		})
	}
	// Discovery lists the new kinds once every CRD is established.
	s.waitFor(t, "the custom resources to be discoverable", time.Minute, func() (bool, error) {
		s.discover(t)
		for _, k := range []string{"external-secrets.io/v1/ExternalSecret", "security.istio.io/v1/PeerAuthentication", "networking.istio.io/v1/ServiceEntry", "policy.sigstore.dev/v1beta1/ClusterImagePolicy"} {
			if _, ok := s.resources[k]; !ok {
				return false, fmt.Errorf("%s not served yet", k)
			}
		}
		return true, nil
	})
}

// TestAPIServer applies every overlay of every golden to a real API
// server (and each golden's cluster-scoped admission policy), server-side, with strict field validation: every object must be accepted with no
// warning, each overlay's namespace must enforce Pod Security "restricted", and the pod of
// each Deployment must be admitted there (a dry-run create, which Pod Security admission
// judges). A pod that breaks "restricted" is refused in the same namespace, so the
// admission that passes the rendered pods is really enforcing.
//
// One API server serves the whole test (starting one takes seconds); the first subtest
// proves the checks can fail: a misspelt field and a kind whose CRD is missing are refused.
func TestAPIServer(t *testing.T) {
	s := startAPIServer(t)
	t.Run("refuses broken manifests", func(t *testing.T) { refusesBrokenManifests(t, s) })
	installCRDs(t, s)
	t.Run("refuses what the CRDs' schemas refuse", func(t *testing.T) { refusesOffSchema(t, s) })
	t.Run("accepts every overlay", func(t *testing.T) { acceptsEveryOverlay(t, s) })
}

// refusesOffSchema proves the installed CRDs validate: a TargetGroupBinding with a target type
// the AWS Load Balancer Controller's schema does not list, or without its serviceRef, is refused.
func refusesOffSchema(t *testing.T, s *apiServer) {
	for field, doc := range map[string]string{
		"targetType":      "spec:\n  serviceRef: {name: app, port: http}\n  targetType: pod\n  targetGroupName: app-staging\n",
		"serviceRef":      "spec:\n  targetType: ip\n  targetGroupName: app-staging\n",
		"targetGroupNmae": "spec:\n  serviceRef: {name: app, port: http}\n  targetGroupNmae: app-staging\n",
	} {
		tgb := []byte("apiVersion: elbv2.k8s.aws/v1beta1\nkind: TargetGroupBinding\nmetadata:\n  name: tgb\n  namespace: broken\n" + doc)
		if _, err := s.apply(tgb, true); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("a TargetGroupBinding off its schema at %s was not refused for it (err %v)", field, err)
		}
	}
}

func acceptsEveryOverlay(t *testing.T, s *apiServer) {
	applied := 0
	for _, tree := range k8sTrees(t) {
		// The cluster-scoped objects (the admission policy) first, as an administrator would.
		_, clusterYAML, err := build(filepath.Join(tree.Dir(), "cluster"))
		if err != nil {
			t.Fatalf("%s: %v", tree.Case, err)
		}
		clusterDocs, err := splitDocuments(clusterYAML)
		if err != nil {
			t.Fatalf("%s cluster: %v", tree.Case, err)
		}
		for _, d := range clusterDocs {
			warnings, err := s.apply(d, false)
			if err != nil {
				t.Errorf("%s cluster: %v", tree.Case, err)
			}
			for _, w := range warnings {
				t.Errorf("%s cluster: the API server warned: %s", tree.Case, w)
			}
			applied++
		}
		for _, b := range builds(t, tree) {
			if !strings.HasPrefix(b.Name, "overlays/") {
				continue
			}
			docs, err := splitDocuments(b.YAML)
			if err != nil {
				t.Fatalf("%s %s: %v", tree.Case, b.Name, err)
			}
			// Namespaces first: everything else lives in one.
			var nsFirst [][]byte
			var namespaces []string
			for _, d := range docs {
				var o object
				_ = yaml.Unmarshal(d, &o)
				if o.Kind == "Namespace" {
					nsFirst = append(nsFirst, d)
					namespaces = append(namespaces, o.Metadata.Name)
				}
			}
			for _, d := range docs {
				var o object
				_ = yaml.Unmarshal(d, &o)
				if o.Kind != "Namespace" {
					nsFirst = append(nsFirst, d)
				}
			}
			if len(namespaces) != 1 {
				t.Errorf("%s %s: %d Namespace objects, want 1", tree.Case, b.Name, len(namespaces))
				continue
			}
			for _, d := range nsFirst {
				warnings, err := s.apply(d, false)
				if err != nil {
					t.Errorf("%s %s: %v", tree.Case, b.Name, err)
				}
				for _, w := range warnings {
					t.Errorf("%s %s: the API server warned: %s", tree.Case, b.Name, w)
				}
				applied++
			}
			checkEnforcedNamespace(t, s, tree.Case+" "+b.Name, namespaces[0])
			for _, d := range of[deploymentDoc](decodedDocs(t, docs)) {
				checkPodAdmitted(t, s, tree.Case+" "+b.Name, d)
			}
		}
	}
	if applied == 0 {
		t.Fatal("no object was applied")
	}
	t.Logf("%d objects applied server-side, none refused, no warning", applied)
}

// deploymentDoc is a Deployment's pod template, as JSON, and where it runs.
type deploymentDoc struct {
	Name, Namespace string
	Template        json.RawMessage
}

// decodedDocs returns the Deployments among docs, as Manifests objects of deploymentDoc.
func decodedDocs(t *testing.T, docs [][]byte) Manifests {
	t.Helper()
	var m Manifests
	for _, d := range docs {
		var o struct {
			object
			Spec struct {
				Template json.RawMessage `json:"template"`
			} `json:"spec"`
		}
		js, err := yaml.YAMLToJSON(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(js, &o); err != nil {
			t.Fatal(err)
		}
		if o.Kind == "Deployment" {
			m.Objects = append(m.Objects, deploymentDoc{Name: o.Metadata.Name, Namespace: o.Metadata.Namespace, Template: o.Spec.Template})
		}
	}
	return m
}

// checkEnforcedNamespace asserts that the API server holds ns with Pod Security "restricted"
// enforced.
func checkEnforcedNamespace(t *testing.T, s *apiServer, where, ns string) {
	t.Helper()
	code, body, _, err := s.do(http.MethodGet, "/api/v1/namespaces/"+url.PathEscape(ns), "", nil)
	if err != nil || code != http.StatusOK {
		t.Errorf("%s: reading namespace %s: %d %v", where, ns, code, err)
		return
	}
	var got struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if l := got.Metadata.Labels["pod-security.kubernetes.io/enforce"]; l != "restricted" {
		t.Errorf("%s: namespace %s enforces %q, want restricted", where, ns, l)
	}
}

// checkPodAdmitted creates d's pod (dry run) in its namespace: Pod Security admission must
// admit it. It then proves the namespace refuses a privileged variant of the same pod.
func checkPodAdmitted(t *testing.T, s *apiServer, where string, d deploymentDoc) {
	t.Helper()
	var tmpl map[string]any
	if err := json.Unmarshal(d.Template, &tmpl); err != nil {
		t.Fatal(err)
	}
	pod := map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": d.Name + "-admission-check", "namespace": d.Namespace, "labels": tmpl["metadata"].(map[string]any)["labels"]},
		"spec":     tmpl["spec"],
	}
	doc, _ := json.Marshal(pod)
	warnings, err := s.apply(doc, true)
	if err != nil {
		t.Errorf("%s: the Deployment's pod is not admitted: %v", where, err)
	}
	for _, w := range warnings {
		t.Errorf("%s: the API server warned about the Deployment's pod: %s", where, w)
	}
	spec := pod["spec"].(map[string]any)
	containers := spec["containers"].([]any)
	c := containers[0].(map[string]any)
	c["securityContext"].(map[string]any)["allowPrivilegeEscalation"] = true
	doc, _ = json.Marshal(pod)
	if _, err := s.apply(doc, true); err == nil || !strings.Contains(err.Error(), "violates PodSecurity") {
		t.Errorf("%s: namespace %s admitted a pod that allows privilege escalation (err %v): Pod Security is not enforced", where, d.Namespace, err)
	}
}

// refusesBrokenManifests proves the API-server check can fail: a misspelt field and a kind
// whose CRD is not installed are refused.
func refusesBrokenManifests(t *testing.T, s *apiServer) {
	ns := []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: broken\n")
	if _, err := s.apply(ns, false); err != nil {
		t.Fatal(err)
	}
	misspelt := []byte("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n  namespace: broken\nautomountServiceAccountTokn: false\n")
	if _, err := s.apply(misspelt, false); err == nil || !strings.Contains(err.Error(), "automountServiceAccountTokn") {
		t.Errorf("a misspelt field was accepted (err %v)", err)
	}
	es := []byte("apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: es\n  namespace: broken\nspec: {}\n")
	if _, err := s.apply(es, false); err == nil || !strings.Contains(err.Error(), "serves no") {
		t.Errorf("an ExternalSecret was accepted without its CRD (err %v)", err)
	}
}
