package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/hostile/svc/internal/auth"
	"example.com/hostile/svc/internal/config"
)

// envExample reads .env.example as make dev does: NAME=value lines, comments
// and blank lines aside.
func envExample(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsAny(v, "$`\"' ") {
			t.Fatalf(".env.example: %q is not NAME=value with a plain value", line)
		}
		if _, dup := vars[k]; dup {
			t.Fatalf(".env.example sets %s twice", k)
		}
		vars[k] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vars
}

// The variables of .env.example are exactly those the service's configuration
// and this issuer read: a new variable without an example fails here, and so
// does an example nothing reads.
func TestEnvExampleNamesEveryVariable(t *testing.T) {
	example := envExample(t)
	read := map[string]bool{}
	record := func(k string) string { read[k] = true; return example[k] }
	_, _ = config.Load(record)
	_, _ = config.LoadMigrate(record)
	if _, err := load(record); err != nil {
		t.Fatalf("the issuer refuses .env.example: %v", err)
	}
	want := slices.Sorted(maps.Keys(read))
	got := slices.Sorted(maps.Keys(example))
	if !slices.Equal(got, want) {
		t.Errorf(".env.example names %v\nthe service and the issuer read %v", got, want)
	}
}

// .env.example with what make dev adds is a valid development configuration,
// and the same values without DEV_MODE are refused.
func TestEnvExampleIsDevelopmentOnly(t *testing.T) {
	example := envExample(t)
	s, err := load(func(k string) string { return example[k] })
	if err != nil {
		t.Fatal(err)
	}
	child := map[string]string{}
	for _, kv := range s.childEnv(nil) {
		k, v, _ := strings.Cut(kv, "=")
		child[k] = v
	}
	merged := maps.Clone(example)
	maps.Copy(merged, child)
	cfg, err := config.Load(func(k string) string { return merged[k] })
	if err != nil {
		t.Fatalf("make dev's configuration is refused: %v", err)
	}
	if !cfg.Dev || cfg.ListenHost != "127.0.0.1" || cfg.Issuer != s.issuer {
		t.Fatalf("make dev's configuration: Dev %v, ListenHost %q, Issuer %q", cfg.Dev, cfg.ListenHost, cfg.Issuer)
	}
	delete(merged, "DEV_MODE")
	if _, err := config.Load(func(k string) string { return merged[k] }); err == nil {
		t.Fatal("without DEV_MODE the development settings are accepted")
	}
}

// The issuer listens on, and names, this machine only; each refusal is one
// sentence naming the variable.
func TestRefusesAnythingButLoopback(t *testing.T) {
	for _, c := range []struct{ name, value string }{
		{"DEV_ISSUER_ADDR", "0.0.0.0:5556"},
		{"DEV_ISSUER_ADDR", "[::]:5556"},
		{"DEV_ISSUER_ADDR", ":5556"},
		{"DEV_ISSUER_ADDR", "192.0.2.10:5556"},
		{"DEV_ISSUER_ADDR", "issuer.example.com:5556"},
		{"DEV_ISSUER_ADDR", "127.0.0.1"},
		{"OIDC_ISSUER", "https://login.example.com"},
		{"OIDC_ISSUER", "http://192.0.2.10:5556"},
		{"OIDC_ISSUER", "http://127.0.0.1.example.com:5556"},
		{"OIDC_ISSUER", "http://user@127.0.0.1:5556"},
		{"OIDC_REDIRECT_URL", "https://app.example.com/auth/callback"},
	} {
		_, err := load(func(k string) string {
			if k == c.name {
				return c.value
			}
			return ""
		})
		if err == nil {
			t.Errorf("%s=%s accepted", c.name, c.value)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, c.name+" ") || strings.Contains(msg, "\n") {
			t.Errorf("%s=%s: want one sentence naming %s, got %q", c.name, c.value, c.name, msg)
		}
	}
	for _, addr := range []string{"127.0.0.1:5556", "[::1]:5556", "localhost:5556", "127.0.0.2:5556"} {
		if _, err := load(func(k string) string { return map[string]string{"DEV_ISSUER_ADDR": addr}[k] }); err != nil {
			t.Errorf("DEV_ISSUER_ADDR=%s refused: %v", addr, err)
		}
	}
}

// A busy port is one sentence naming it and DEV_ISSUER_ADDR, exit code 1.
func TestBusyPortIsNamed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	var stdout, stderr bytes.Buffer
	code := run(nil, func(k string) string { return map[string]string{"DEV_ISSUER_ADDR": ln.Addr().String()}[k] }, &stdout, &stderr)
	want := "devissuer: port " + port + " is already in use; set DEV_ISSUER_ADDR to 127.0.0.1 and another port\n"
	if code != 1 || stderr.String() != want {
		t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), want)
	}
}

// startIssuer serves the issuer on a free loopback port.
func startIssuer(t *testing.T) (*issuer, *httptest.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := load(func(k string) string { return map[string]string{"DEV_ISSUER_ADDR": ln.Addr().String()}[k] })
	if err != nil {
		t.Fatal(err)
	}
	is, err := newIssuer(s)
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: is.routes(), ReadHeaderTimeout: 5 * time.Second}}
	srv.Start()
	t.Cleanup(srv.Close)
	return is, srv
}

// verifier checks access tokens as the service does, with its JWKS.
func verifier(t *testing.T, is *issuer) *auth.Verifier {
	t.Helper()
	keys := auth.NewKeySet(is.s.issuer+"/jwks", http.DefaultClient, time.Minute)
	if err := keys.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(is.s.issuer, is.s.audience, keys)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func decode(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// GET /dev/token answers an access token the service accepts, for the
// development user and the service's audience.
func TestDevTokenIsAcceptedByTheService(t *testing.T) {
	is, srv := startIssuer(t)
	resp, err := http.Get(srv.URL + "/dev/token")
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	decode(t, resp, &tok)
	p, err := verifier(t, is).Verify(context.Background(), tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != subject || !slices.Equal(p.Roles, roles) {
		t.Fatalf("principal %+v", p)
	}
}

// The code flow: PKCE S256 only, the configured client and redirect only, one
// use per code, the client's secret and the code's verifier checked.
func TestCodeFlowWithPKCE(t *testing.T) {
	is, srv := startIssuer(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	verifierValue := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifierValue))
	q := url.Values{
		"response_type": {"code"}, "client_id": {is.s.clientID}, "redirect_uri": {is.s.redirectURL},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"state": {"st"}, "nonce": {"n1"},
	}
	authorize := func(q url.Values) *http.Response {
		t.Helper()
		resp, err := noRedirect.Get(srv.URL + "/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for k, v := range map[string]string{"code_challenge_method": "plain", "client_id": "other", "redirect_uri": "http://127.0.0.1:1/cb", "response_type": "token"} {
		bad := maps.Clone(q)
		bad.Set(k, v)
		if resp := authorize(bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("authorize with %s=%s: %d, want 400", k, v, resp.StatusCode)
		}
	}
	resp := authorize(q)
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || back.Query().Get("state") != "st" {
		t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	code := back.Query().Get("code")
	exchange := func(secret, verifier string) *http.Response {
		t.Helper()
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {is.s.redirectURL}, "code_verifier": {verifier}}
		req, _ := http.NewRequest("POST", srv.URL+"/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(is.s.clientID, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := exchange("wrong", verifierValue); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("with a wrong client secret the exchange answers %d, want 401", resp.StatusCode)
	}
	// The failed attempt spent the code: a new one for each case.
	back, _ = url.Parse(authorize(q).Header.Get("Location"))
	code = back.Query().Get("code")
	if resp := exchange(is.s.clientSecret, strings.Repeat("w", 43)); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a wrong PKCE verifier: %d, want 400", resp.StatusCode)
	}
	back, _ = url.Parse(authorize(q).Header.Get("Location"))
	code = back.Query().Get("code")
	resp = exchange(is.s.clientSecret, verifierValue)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the exchange answers %d, want 200", resp.StatusCode)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	decode(t, resp, &tok)
	if _, err := verifier(t, is).Verify(context.Background(), tok.AccessToken); err != nil {
		t.Fatalf("the service refuses the access token (%v)", err)
	}
	if tok.IDToken == "" {
		t.Fatal("no id_token")
	}
	if resp := exchange(is.s.clientSecret, verifierValue); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a code redeemed twice: %d, want 400", resp.StatusCode)
	}
}
