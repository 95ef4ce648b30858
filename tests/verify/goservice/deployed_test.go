package goservice

import (
	"bufio"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// podSpec is what the deployed-whole test takes from deploy/k8s/base: how the
// kubelet would run the container.
type podSpec struct {
	containerPort int
	env           map[string]string // the Deployment's env
	replicas      int               // the Deployment's replicas; 2 (the autoscaler's floor) when it sets none
	secretKeys    []string          // the ExternalSecret's keys, which envFrom delivers
	readinessPath string
	preStop       time.Duration
	grace         time.Duration
}

// readPodSpec reads the Deployment and the ExternalSecret of a tree.
func readPodSpec(t testing.TB, dir string) podSpec {
	t.Helper()
	var d struct {
		Spec struct {
			Replicas *int `yaml:"replicas"`
			Template struct {
				Spec struct {
					Grace      int `yaml:"terminationGracePeriodSeconds"`
					Containers []struct {
						Ports []struct {
							ContainerPort int `yaml:"containerPort"`
						} `yaml:"ports"`
						Env []struct {
							Name  string `yaml:"name"`
							Value string `yaml:"value"`
						} `yaml:"env"`
						EnvFrom []struct {
							SecretRef struct {
								Name string `yaml:"name"`
							} `yaml:"secretRef"`
						} `yaml:"envFrom"`
						ReadinessProbe struct {
							HTTPGet struct {
								Path string `yaml:"path"`
							} `yaml:"httpGet"`
						} `yaml:"readinessProbe"`
						Lifecycle struct {
							PreStop struct {
								Sleep struct {
									Seconds int `yaml:"seconds"`
								} `yaml:"sleep"`
							} `yaml:"preStop"`
						} `yaml:"lifecycle"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "deploy", "k8s", "base", "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &d); err != nil {
		t.Fatalf("deployment.yaml: %v", err)
	}
	if len(d.Spec.Template.Spec.Containers) != 1 || len(d.Spec.Template.Spec.Containers[0].Ports) != 1 {
		t.Fatal("deployment.yaml: want one container with one port")
	}
	c := d.Spec.Template.Spec.Containers[0]
	p := podSpec{
		replicas:      2, // the autoscaler's floor when the Deployment sets none
		containerPort: c.Ports[0].ContainerPort,
		env:           map[string]string{},
		readinessPath: c.ReadinessProbe.HTTPGet.Path,
		preStop:       time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second,
		grace:         time.Duration(d.Spec.Template.Spec.Grace) * time.Second,
	}
	if d.Spec.Replicas != nil {
		p.replicas = *d.Spec.Replicas
	}
	for _, e := range c.Env {
		p.env[e.Name] = e.Value
	}
	if len(c.EnvFrom) > 0 {
		var es struct {
			Spec struct {
				Data []struct {
					SecretKey string `yaml:"secretKey"`
				} `yaml:"data"`
			} `yaml:"spec"`
		}
		data, err := os.ReadFile(filepath.Join(dir, "deploy", "k8s", "base", "externalsecret.yaml"))
		if err != nil {
			t.Fatalf("the Deployment reads a Secret that no ExternalSecret maintains: %v", err)
		}
		if err := yaml.Unmarshal(data, &es); err != nil {
			t.Fatal(err)
		}
		for _, d := range es.Spec.Data {
			p.secretKeys = append(p.secretKeys, d.SecretKey)
		}
	}
	if p.readinessPath == "" || p.preStop <= 0 || p.grace <= p.preStop {
		t.Fatalf("deployment.yaml: readiness %q, preStop %s, grace %s", p.readinessPath, p.preStop, p.grace)
	}
	return p
}

// issuer is a local OpenID provider on 127.0.0.1 over TLS: discovery, keys, an
// authorization endpoint that consents at once, and a token endpoint that checks
// PKCE and the client's secret.
type issuer struct {
	srv                    *httptest.Server
	key                    *rsa.PrivateKey
	clientID, clientSecret string
	audience               string
	mu                     sync.Mutex
	codes                  map[string]url.Values // code -> the authorization request
}

func startIssuer(t testing.TB, certPEM, keyPEM []byte, clientID, clientSecret, audience string) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key, clientID: clientID, clientSecret: clientSecret, audience: audience, codes: map[string]url.Values{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		u := is.srv.URL
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": u, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/token",
			"jwks_uri": u + "/jwks", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
			"code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		pub := is.key.PublicKey
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("client_id") != is.clientID {
			http.Error(w, "bad authorization request", http.StatusBadRequest)
			return
		}
		code := randomHex(t)
		is.mu.Lock()
		is.codes[code] = q
		is.mu.Unlock()
		back, _ := url.Parse(q.Get("redirect_uri"))
		bq := back.Query()
		bq.Set("code", code)
		bq.Set("state", q.Get("state"))
		back.RawQuery = bq.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		is.mu.Lock()
		req, found := is.codes[r.PostForm.Get("code")]
		delete(is.codes, r.PostForm.Get("code")) // one use
		is.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !found || id != is.clientID || secret != is.clientSecret || r.PostForm.Get("grant_type") != "authorization_code" ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != req.Get("code_challenge") || r.PostForm.Get("redirect_uri") != req.Get("redirect_uri") {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": is.token(t, is.audience, nil), "token_type": "Bearer", "expires_in": 300,
			"id_token": is.token(t, is.clientID, map[string]any{"nonce": req.Get("nonce")}),
		})
	})
	is.srv = httptest.NewUnstartedServer(mux)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	is.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	is.srv.StartTLS()
	t.Cleanup(is.srv.Close)
	return is
}

// token signs a JWT (RS256) for alice, a writer, with audience aud.
func (is *issuer) token(t testing.TB, aud string, extra map[string]any) string {
	now := time.Now()
	claims := map[string]any{"iss": is.srv.URL, "sub": "alice", "aud": aud, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "roles": []string{"writer"}}
	for k, v := range extra {
		claims[k] = v
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, is.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Error(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// replica is one running process of the service.
type replica struct {
	name string
	url  string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	log  strings.Builder
}

func (r *replica) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

// startReplica runs bin with env on free loopback ports and waits until it
// logs that it listens and its readiness path answers 200.
func startReplica(t testing.TB, name, bin string, env []string, readiness string) *replica {
	t.Helper()
	port, internal := freePort(t), freePort(t)
	r := &replica{name: name, url: fmt.Sprintf("http://127.0.0.1:%d", port), done: make(chan struct{})}
	r.cmd = exec.Command(bin)
	r.cmd.Env = append(env, "LISTEN_HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "INTERNAL_PORT="+strconv.Itoa(internal))
	pr, pw := io.Pipe()
	r.cmd.Stdout, r.cmd.Stderr = pw, pw
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			r.mu.Lock()
			r.log.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
			if strings.Contains(sc.Text(), `"listening"`) {
				once.Do(func() { close(listening) })
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() { _ = r.cmd.Wait(); pw.Close(); close(r.done) }()
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.done
	})
	select {
	case <-listening:
	case <-r.done:
		t.Fatalf("%s exited at startup:\n%s", name, r.output())
	case <-time.After(time.Minute):
		t.Fatalf("%s did not listen within a minute:\n%s", name, r.output())
	}
	waitStatus(t, r.url+readiness, http.StatusOK, time.Minute)
	return r
}

// waitStatus polls url until it answers want: readiness is a state to ask for,
// not an event the service announces.
func waitStatus(t testing.TB, u string, want int, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := 0
	for {
		if resp, err := http.Get(u); err == nil {
			last = resp.StatusCode
			resp.Body.Close()
			if last == want {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s answered %d, want %d, for %s", u, last, want, timeout)
		case <-tick.C:
		}
	}
}

// waitStatusWith polls u with the cookies of user until it answers want.
func waitStatusWith(t testing.TB, u string, user browser, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp := user.do(t, "GET", u, "")
		resp.Body.Close()
		if resp.StatusCode == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s answered %d, want %d, for %s", u, resp.StatusCode, want, timeout)
		}
		<-tick.C
	}
}

// roundRobin is the Service in front of the replicas: each request goes to the
// next ready replica.
type roundRobin struct {
	mu       sync.Mutex
	backends []*url.URL
	next     int
}

func (rr *roundRobin) set(replicas ...*replica) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.backends = nil
	for _, r := range replicas {
		u, _ := url.Parse(r.url)
		rr.backends = append(rr.backends, u)
	}
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rr.mu.Lock()
	if len(rr.backends) == 0 {
		rr.mu.Unlock()
		http.Error(w, "no endpoints", http.StatusServiceUnavailable)
		return
	}
	target := rr.backends[rr.next%len(rr.backends)]
	rr.next++
	rr.mu.Unlock()
	httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
}

// browser keeps cookies by name, as a browser does for one origin: the
// service's cookies are __Host- and Secure, which a cookie jar would not send
// over the plain HTTP between the test and the pods.
type browser map[string]string

func (b browser) do(t testing.TB, method, u, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range b {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b, c.Name)
		} else {
			b[c.Name] = c.Value
		}
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestDeployedWhole runs every go-service golden that renders Kubernetes
// manifests as those manifests configure it: its environment from the
// Deployment and the ExternalSecret's keys, its readiness path, preStop delay
// and grace period from the Deployment; two replicas behind a round-robin
// proxy, the real PostgreSQL and a local OIDC issuer, all on 127.0.0.1. A
// login on one replica is a session on the other; a refresh there works; API
// calls through the proxy reach both; a rolling restart (endpoint removed,
// preStop, SIGTERM, exit within the grace period) loses no request and no
// session; readiness goes false while the database is down and comes back.
func TestDeployedWhole(t *testing.T) {
	ran := 0
	for _, tr := range serviceTrees(t) {
		if _, err := os.Stat(filepath.Join(tr.dir, "deploy", "k8s", "base", "deployment.yaml")); err != nil {
			continue
		}
		ran++
		t.Run(tr.name, func(t *testing.T) { deployedWhole(t, tr) })
	}
	if ran == 0 {
		t.Fatal("no go-service golden renders Kubernetes manifests")
	}
}

// deployment is a built service with what its pods would receive: the
// environment from the Deployment and the ExternalSecret's keys, a local
// issuer and, with PostgreSQL, a migrated database.
type deployment struct {
	bin   string
	env   []string
	pod   podSpec
	is    *issuer
	caPEM []byte
	pg    *pgServer // nil with database none
}

// deploy builds tr's service and prepares what its pods need, as its
// manifests configure them.
func deploy(t testing.TB, tr serviceTree) *deployment {
	t.Helper()
	pod := readPodSpec(t, tr.dir)
	dir := copyTree(t, tr.dir)
	bin := filepath.Join(t.TempDir(), tr.cmdName)
	build := exec.Command("go", "build", "-o", bin, "./cmd/"+tr.cmdName)
	build.Dir = dir
	build.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	caPEM, certPEM, keyPEM := testCertificates(t)
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	audience := tr.answers.Audience
	if audience == "" {
		t.Fatal("the manifest records no audience")
	}
	clientSecret := randomHex(t)
	is := startIssuer(t, certPEM, keyPEM, "secgen-test-client", clientSecret, audience)

	// What the secret manager would hold under each of the ExternalSecret's keys.
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	values := map[string]string{
		"ENCRYPTION_KEY":     base64.StdEncoding.EncodeToString(key),
		"OIDC_CLIENT_ID":     "secgen-test-client",
		"OIDC_CLIENT_SECRET": clientSecret,
		"OIDC_REDIRECT_URL":  "https://app.example.test/auth/callback",
	}
	var pg *pgServer
	if tr.answers.Database == "postgres" {
		pg = startPostgres(t)
		adminPW, runtimePW := randomHex(t), randomHex(t)
		pg.mustPSQL(t, "postgres", "CREATE ROLE app_owner LOGIN PASSWORD '"+adminPW+"'")
		pg.mustPSQL(t, "postgres", "CREATE ROLE app_runtime LOGIN PASSWORD '"+runtimePW+"'")
		pg.mustPSQL(t, "postgres", "CREATE DATABASE app OWNER app_owner")
		pg.mustPSQL(t, "app", "ALTER SCHEMA public OWNER TO app_owner")
		migrate := exec.Command(bin, "migrate")
		migrate.Env = []string{"DATABASE_URL=" + pg.url("app_owner", adminPW), "DATABASE_RUNTIME_ROLE=app_runtime"}
		if out, err := migrate.CombinedOutput(); err != nil {
			t.Fatalf("migrate: %v\n%s", err, out)
		}
		values["DATABASE_URL"] = pg.url("app_runtime", runtimePW)
	}
	env := []string{"PATH=/usr/bin:/bin", "SSL_CERT_FILE=" + caFile, "OIDC_ISSUER=" + is.srv.URL, "OIDC_AUDIENCE=" + audience}
	for k, v := range pod.env {
		env = append(env, k+"="+v)
	}
	for _, k := range pod.secretKeys {
		v, ok := values[k]
		if !ok {
			t.Fatalf("the ExternalSecret syncs %s, which this test does not know how to provide", k)
		}
		env = append(env, k+"="+v)
	}

	return &deployment{bin: bin, env: env, pod: pod, is: is, caPEM: caPEM, pg: pg}
}

func deployedWhole(t *testing.T, tr serviceTree) {
	d := deploy(t, tr)
	bin, env, pod, is, caPEM, pg := d.bin, d.env, d.pod, d.is, d.caPEM, d.pg
	audience := tr.answers.Audience
	if pod.replicas == 1 {
		deployedSingle(t, tr, bin, env, pod, is, caPEM)
		return
	}
	if pod.replicas != 2 {
		t.Fatalf("deployment.yaml: %d replicas; this test runs one or the autoscaler's floor of two", pod.replicas)
	}
	a := startReplica(t, "replica a", bin, env, pod.readinessPath)
	b := startReplica(t, "replica b", bin, env, pod.readinessPath)
	rr := &roundRobin{}
	rr.set(a, b)
	proxy := httptest.NewServer(rr)
	t.Cleanup(proxy.Close)

	user := browser{}
	bearer := ""
	if tr.answers.OIDCLogin {
		// Login starts on replica a, the callback lands on replica b.
		signIn(t, user, caPEM, a, b)
	} else {
		bearer = is.token(t, audience, nil)
	}
	call := func(base, method, path, body string) *http.Response {
		t.Helper()
		if bearer == "" {
			return user.do(t, method, base+path, body)
		}
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+bearer)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := call(b.url, "POST", "/v1/notes", `{"title":"deployed","body":"whole"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create on replica b: %d\n%s", resp.StatusCode, b.output())
	}
	note := resp.Header.Get("Location")
	if resp := call(a.url, "GET", note, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("replica a does not serve the note created on replica b: %d", resp.StatusCode)
	}
	if tr.answers.OIDCLogin {
		old := user["__Host-session"]
		if resp := user.do(t, "POST", b.url+"/auth/refresh", ""); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("refresh on replica b: %d\n%s", resp.StatusCode, b.output())
		}
		if resp := call(a.url, "GET", note, ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("the refreshed session on replica a: %d", resp.StatusCode)
		}
		// The rotated-out session ends at once on the replica that rotated
		// it, and on the other one (which has it in its session lookup
		// cache) within the cache's TTL: the rendered tests prove the
		// one-second bound on a test clock; here it must end at all.
		stale := browser{"__Host-session": old}
		if resp := stale.do(t, "GET", b.url+note, ""); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("the rotated-out session still works on the replica that rotated it: %d", resp.StatusCode)
		}
		rotated := time.Now()
		waitStatusWith(t, a.url+note, stale, http.StatusUnauthorized, 10*time.Second)
		t.Logf("the rotated-out session ended on the other replica %s after the refresh", time.Since(rotated).Round(time.Millisecond))
	}
	for i := range 6 {
		if resp := call(proxy.URL, "GET", note, ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d through the proxy: %d", i, resp.StatusCode)
		}
	}

	// Rolling restart of replica a, as the kubelet does it: the endpoint goes
	// first, then the preStop delay, then SIGTERM; the process must be gone
	// before the grace period would have it killed. Meanwhile every request
	// through the proxy succeeds.
	var failures, served atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	stopLoad := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(stopLoad)
	// One client at 25 requests a second: within the service's per-client
	// rate limit (every request comes from the proxy's one address).
	pace := time.NewTicker(40 * time.Millisecond)
	defer pace.Stop()
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-pace.C:
			}
			req, _ := http.NewRequest("GET", proxy.URL+note, nil)
			if bearer != "" {
				req.Header.Set("Authorization", "Bearer "+bearer)
			}
			for k, v := range user {
				req.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				failures.Add(1)
			} else {
				served.Add(1)
			}
			if resp != nil {
				resp.Body.Close()
			}
		}
	})
	rr.set(b)
	time.Sleep(pod.preStop) // the preStop hook's sleep, as the Deployment sets it
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.done:
		if code := a.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("replica a exited %d after SIGTERM:\n%s", code, a.output())
		}
	case <-time.After(pod.grace - pod.preStop):
		t.Errorf("replica a was still running when the grace period (%s) ended", pod.grace)
	}
	a2 := startReplica(t, "replica a (restarted)", bin, env, pod.readinessPath)
	rr.set(a2, b)
	for range 4 {
		if resp := call(proxy.URL, "GET", note, ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("after the restart: %d", resp.StatusCode)
		}
	}
	stopLoad()
	if failures.Load() > 0 || served.Load() == 0 {
		t.Errorf("during the rolling restart %d requests failed and %d succeeded", failures.Load(), served.Load())
	}
	if resp := call(a2.url, "GET", note, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("the restarted replica does not serve the session's note: %d", resp.StatusCode)
	}

	if pg != nil {
		// Readiness follows the database; liveness does not.
		pg.stop(t)
		waitStatus(t, a2.url+pod.readinessPath, http.StatusServiceUnavailable, 30*time.Second)
		if resp, err := http.Get(a2.url + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("liveness failed while only the database is down: %v %v", resp, err)
		}
		pg.restart(t)
		waitStatus(t, a2.url+pod.readinessPath, http.StatusOK, time.Minute)
		waitStatus(t, b.url+pod.readinessPath, http.StatusOK, time.Minute)
	}
	how := "bearer tokens on both replicas"
	if tr.answers.OIDCLogin {
		how = "login on one replica, refresh and API on the other"
	}
	t.Logf("%s: %s, %d requests through a rolling restart, readiness following the database", tr.name, how, served.Load())
}

// signIn runs the browser login: it starts on replica from, the issuer consents,
// and the callback lands on replica to, which sets the session cookies in user.
func signIn(t testing.TB, user browser, caPEM []byte, from, to *replica) {
	t.Helper()
	resp := user.do(t, "GET", from.url+"/auth/login", "")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login on %s: %d\n%s", from.name, resp.StatusCode, from.output())
	}
	authz, err := http.NewRequest("GET", resp.Header.Get("Location"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	idp := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	back, err := idp.Do(authz)
	if err != nil || back.StatusCode != http.StatusFound {
		t.Fatalf("the issuer's authorization endpoint: %v %v", back, err)
	}
	back.Body.Close()
	cb, _ := url.Parse(back.Header.Get("Location"))
	resp = user.do(t, "GET", to.url+"/auth/callback?"+cb.RawQuery, "")
	if resp.StatusCode != http.StatusFound || user["__Host-session"] == "" || user["__Host-refresh"] == "" {
		t.Fatalf("callback on %s: %d, cookies %v\n%s", to.name, resp.StatusCode, keys(user), to.output())
	}
}

// deployedSingle runs a service whose Deployment sets one replica (database
// none: sessions and notes in the process's memory) as its manifests configure
// it: login, refresh and API calls on that replica, then a rollout as the
// Deployment's strategy does it (maxSurge 1, maxUnavailable 0: the new pod is
// ready before the old one leaves the endpoints, then preStop, SIGTERM, exit
// within the grace period) during which the service keeps answering. The
// memory store starts empty in the new pod, which is why there is only one.
func deployedSingle(t *testing.T, tr serviceTree, bin string, env []string, pod podSpec, is *issuer, caPEM []byte) {
	if tr.answers.Database != "none" {
		t.Fatalf("deployment.yaml runs one replica of a service whose store is %q, which replicas can share", tr.answers.Database)
	}
	a := startReplica(t, "replica a", bin, env, pod.readinessPath)
	rr := &roundRobin{}
	rr.set(a)
	proxy := httptest.NewServer(rr)
	t.Cleanup(proxy.Close)

	user := browser{}
	bearer := ""
	if tr.answers.OIDCLogin {
		signIn(t, user, caPEM, a, a)
	} else {
		bearer = is.token(t, tr.answers.Audience, nil)
	}
	call := func(method, path, body string) *http.Response {
		t.Helper()
		if bearer == "" {
			return user.do(t, method, proxy.URL+path, body)
		}
		req, _ := http.NewRequest(method, proxy.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+bearer)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := call("POST", "/v1/notes", `{"title":"deployed","body":"single"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create through the Service: %d\n%s", resp.StatusCode, a.output())
	}
	note := resp.Header.Get("Location")
	if tr.answers.OIDCLogin {
		if resp := user.do(t, "POST", proxy.URL+"/auth/refresh", ""); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("refresh: %d\n%s", resp.StatusCode, a.output())
		}
	}
	if resp := call("GET", note, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("the note through the Service: %d", resp.StatusCode)
	}

	// The rollout: the surge pod first, ready before the old one leaves.
	var failures, served atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	stopLoad := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(stopLoad)
	pace := time.NewTicker(40 * time.Millisecond)
	defer pace.Stop()
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-pace.C:
			}
			resp, err := http.Get(proxy.URL + pod.readinessPath)
			if err != nil || resp.StatusCode != http.StatusOK {
				failures.Add(1)
			} else {
				served.Add(1)
			}
			if resp != nil {
				resp.Body.Close()
			}
		}
	})
	a2 := startReplica(t, "replica a (new)", bin, env, pod.readinessPath)
	rr.set(a2)
	time.Sleep(pod.preStop) // the preStop hook's sleep, as the Deployment sets it
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.done:
		if code := a.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("the old replica exited %d after SIGTERM:\n%s", code, a.output())
		}
	case <-time.After(pod.grace - pod.preStop):
		t.Errorf("the old replica was still running when the grace period (%s) ended", pod.grace)
	}
	stopLoad()
	if failures.Load() > 0 || served.Load() == 0 {
		t.Errorf("during the rollout %d requests failed and %d succeeded", failures.Load(), served.Load())
	}
	// What one replica means: the new pod starts with an empty memory store.
	// A bearer token still authenticates (it is verified, not stored); a browser's
	// session was in the old pod's memory too.
	want := http.StatusNotFound
	if bearer == "" {
		want = http.StatusUnauthorized
	}
	if resp := call("GET", note, ""); resp.StatusCode != want {
		t.Errorf("after the rollout the note answers %d, want %d (the memory store starts empty)", resp.StatusCode, want)
	}
	t.Logf("%s: one replica (memory store), %d requests through a rollout", tr.name, served.Load())
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// stop shuts the server down (fast) and waits until it is gone.
func (s *pgServer) stop(t *testing.T) {
	t.Helper()
	if out, err := s.cmd("pg_ctl", "stop", "-D", filepath.Join(s.dir, "data"), "-m", "fast", "-w").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// restart starts the server again with the settings of startPostgres and waits
// until it accepts connections; it is stopped when the test ends.
func (s *pgServer) restart(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c ssl=on -c ssl_cert_file=%s -c ssl_key_file=%s -c fsync=off -c max_connections=50",
		s.port, s.dir, filepath.Join(s.dir, "server.crt"), filepath.Join(s.dir, "server.key"))
	logFile := filepath.Join(s.dir, "restart.log")
	if out, err := s.cmd("pg_ctl", "start", "-D", filepath.Join(s.dir, "data"), "-w", "-l", logFile, "-o", opts).CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = s.cmd("pg_ctl", "stop", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w").Run() })
}
