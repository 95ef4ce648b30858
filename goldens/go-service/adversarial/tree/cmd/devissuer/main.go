// Command devissuer is the OpenID provider of `make dev`, for development on
// this machine only. It is never part of the image: the Dockerfile builds
// ./cmd/hostile-svc alone and .dockerignore keeps cmd/devissuer out of the
// build context.
//
// It listens on a loopback address only and refuses any other, and its
// issuer URL must name this machine too: it signs whatever it is asked to,
// so nothing but this machine may reach it or trust it. Every login is
// consented at once as the user "dev-user" with the role "writer".
//
// Usage:
//
//	devissuer       serve until interrupted
//	devissuer run   serve, and run the service (bin/hostile-svc, which make
//	                build writes) with the development settings added to its
//	                environment; exit with its exit code
//
// Settings come from the environment, the same variables the service reads
// (.env.example lists them): DEV_ISSUER_ADDR (default 127.0.0.1:5556), OIDC_ISSUER
// (default http://DEV_ISSUER_ADDR), OIDC_AUDIENCE, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET (a new random
// one each run when empty) and OIDC_REDIRECT_URL (default
// http://127.0.0.1:PORT/auth/callback).
//
// Endpoints: /.well-known/openid-configuration, /jwks, /authorize (code
// flow with PKCE S256 only), /token and GET /dev/token, which answers
// an access token for the service's audience, for curl.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"example.com/hostile/svc/internal/config"
)

const (
	// defaultAddr is where the issuer listens unless DEV_ISSUER_ADDR says otherwise.
	defaultAddr = "127.0.0.1:5556"
	// subject is the one development user every token names.
	subject = "dev-user"
	// tokenTTL bounds every token it signs.
	tokenTTL = time.Hour
	// codeTTL bounds an authorization code, which is good for one exchange.
	codeTTL = time.Minute
	// service is the binary `devissuer run` starts, relative to the project
	// root where make runs.
	service = "./bin/hostile-svc"
)

// roles are the development user's roles: writer may create, read, change
// and delete its own notes.
var roles = []string{"writer"}

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// settings is the validated configuration of the issuer.
type settings struct {
	addr     string // loopback host:port to listen on
	issuer   string // the issuer URL, on this machine
	audience string

	clientID, clientSecret, redirectURL string
}

// load reads the settings through getenv. Each error is one sentence naming
// the variable.
func load(getenv func(string) string) (settings, error) {
	s := settings{addr: getenv("DEV_ISSUER_ADDR"), issuer: getenv("OIDC_ISSUER"), audience: getenv("OIDC_AUDIENCE")}
	if s.addr == "" {
		s.addr = defaultAddr
	}
	host, port, err := net.SplitHostPort(s.addr)
	if err != nil || !loopback(host) {
		return settings{}, fmt.Errorf("DEV_ISSUER_ADDR %q is not a loopback address: the development issuer listens on 127.0.0.1, [::1] or localhost only", s.addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return settings{}, fmt.Errorf("DEV_ISSUER_ADDR %q has no port between 1 and 65535", s.addr)
	}
	if s.issuer == "" {
		s.issuer = "http://" + s.addr
	}
	if u, err := url.Parse(s.issuer); err != nil || u.Scheme != "http" || !loopback(u.Hostname()) || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return settings{}, fmt.Errorf("OIDC_ISSUER %q is not an http URL of this machine: the development issuer's URL names 127.0.0.1, [::1] or localhost only", s.issuer)
	}
	if s.audience == "" {
		s.audience = config.DefaultAudience
	}
	s.clientID, s.clientSecret, s.redirectURL = getenv("OIDC_CLIENT_ID"), getenv("OIDC_CLIENT_SECRET"), getenv("OIDC_REDIRECT_URL")
	if s.clientID == "" {
		s.clientID = "hostile-svc-dev"
	}
	if s.clientSecret == "" {
		if s.clientSecret, err = randomHex(); err != nil {
			return settings{}, err
		}
	}
	if s.redirectURL == "" {
		port := getenv("PORT")
		if port == "" {
			port = strconv.Itoa(config.DefaultPort)
		}
		s.redirectURL = "http://127.0.0.1:" + port + "/auth/callback"
	}
	if u, err := url.Parse(s.redirectURL); err != nil || u.Scheme != "http" || !loopback(u.Hostname()) {
		return settings{}, fmt.Errorf("OIDC_REDIRECT_URL %q is not an http URL of this machine: the development issuer redirects to 127.0.0.1, [::1] or localhost only", s.redirectURL)
	}
	return s, nil
}

// loopback reports whether host is localhost or a loopback IP address.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// childEnv is the environment of the command devissuer runs: its own, with
// the development settings that make the service trust this issuer.
func (s settings) childEnv(environ []string) []string {
	return append(environ,
		"DEV_MODE=true",
		"OIDC_ISSUER="+s.issuer,
		"OIDC_AUDIENCE="+s.audience,
		"OIDC_CLIENT_ID="+s.clientID,
		"OIDC_CLIENT_SECRET="+s.clientSecret,
		"OIDC_REDIRECT_URL="+s.redirectURL,
	)
}

// run is main with its dependencies passed in; it returns the exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	withService := false
	switch {
	case len(args) == 0:
	case len(args) == 1 && args[0] == "run":
		withService = true
	default:
		fmt.Fprintln(stderr, "usage: devissuer [run]")
		return 2
	}
	s, err := load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "devissuer:", err)
		return 2
	}
	is, err := newIssuer(s)
	if err != nil {
		fmt.Fprintln(stderr, "devissuer:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		_, port, _ := net.SplitHostPort(s.addr)
		fmt.Fprintf(stderr, "devissuer: port %s is already in use; set DEV_ISSUER_ADDR to 127.0.0.1 and another port\n", port)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "devissuer: listen on DEV_ISSUER_ADDR:", err)
		return 1
	}
	srv := &http.Server{Handler: is.routes(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	fmt.Fprintf(stdout, "devissuer: development issuer %s listening on %s (never deploy it)\n", s.issuer, ln.Addr())

	if !withService {
		<-ctx.Done()
		return 0
	}
	// The service runs as a child, with this issuer's settings; a signal
	// stops it first, and its exit code is ours.
	cmd := exec.Command(service)
	cmd.Env = s.childEnv(os.Environ())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(stderr, "devissuer:", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGTERM)
		err = <-done
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return max(exit.ExitCode(), 1)
	case err != nil:
		fmt.Fprintln(stderr, "devissuer:", err)
		return 1
	}
	return 0
}

// issuer signs tokens with a key made for this run (ES256).
type issuer struct {
	s      settings
	key    *ecdsa.PrivateKey
	kid    string
	signer jose.Signer
	mu     sync.Mutex
	codes  map[string]grant // one-use authorization codes
}

// grant is what an authorization code stands for.
type grant struct {
	challenge, nonce, redirectURI string
	expires                       time.Time
}

func newIssuer(s settings) (*issuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	kid, err := randomHex()
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	return &issuer{s: s, key: key, kid: kid, signer: signer, codes: map[string]grant{}}, nil
}

func (is *issuer) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer":                                is.s.issuer,
			"jwks_uri":                              is.s.issuer + "/jwks",
			"authorization_endpoint":                is.s.issuer + "/authorize",
			"token_endpoint":                        is.s.issuer + "/token",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"ES256"},
			"code_challenge_methods_supported":      []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		public := jose.JSONWebKey{Key: &is.key.PublicKey, KeyID: is.kid, Algorithm: string(jose.ES256), Use: "sig"}
		writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{public}})
	})
	mux.HandleFunc("GET /dev/token", func(w http.ResponseWriter, _ *http.Request) {
		tok, err := is.sign(is.s.audience, nil)
		if err != nil {
			http.Error(w, "signing failed", http.StatusInternalServerError)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(tokenTTL.Seconds())})
	})
	mux.HandleFunc("GET /authorize", is.authorize)
	mux.HandleFunc("POST /token", is.token)
	return mux
}

// sign returns a token for the development user with audience aud.
func (is *issuer) sign(aud string, extra map[string]any) (string, error) {
	now := time.Now()
	claims := map[string]any{"roles": roles}
	for k, v := range extra {
		claims[k] = v
	}
	return jwt.Signed(is.signer).Claims(jwt.Claims{
		Issuer: is.s.issuer, Subject: subject, Audience: jwt.Audience{aud},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(tokenTTL)),
	}).Claims(claims).Serialize()
}

// authorize consents at once: it checks the request is the code flow with
// PKCE for the configured client and redirect, and sends the browser back
// with a one-use code.
func (is *issuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != is.s.clientID || q.Get("redirect_uri") != is.s.redirectURL ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
		http.Error(w, "devissuer: only the code flow with PKCE (S256) for the configured client and redirect URL", http.StatusBadRequest)
		return
	}
	code, err := randomHex()
	if err != nil {
		http.Error(w, "devissuer: no code", http.StatusInternalServerError)
		return
	}
	is.mu.Lock()
	now := time.Now()
	for c, g := range is.codes {
		if now.After(g.expires) {
			delete(is.codes, c)
		}
	}
	is.codes[code] = grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirectURI: q.Get("redirect_uri"), expires: now.Add(codeTTL)}
	is.mu.Unlock()
	back, _ := url.Parse(is.s.redirectURL)
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token redeems a code once, for the client with its secret and the PKCE
// verifier whose S256 challenge the authorization request carried.
func (is *issuer) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	code := r.PostForm.Get("code")
	is.mu.Lock()
	g, found := is.codes[code]
	delete(is.codes, code) // one use, whatever the outcome
	is.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case subtle.ConstantTimeCompare([]byte(id), []byte(is.s.clientID)) != 1 || subtle.ConstantTimeCompare([]byte(secret), []byte(is.s.clientSecret)) != 1:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	case r.PostForm.Get("grant_type") != "authorization_code" || !found || time.Now().After(g.expires) ||
		r.PostForm.Get("redirect_uri") != g.redirectURI || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	access, err1 := is.sign(is.s.audience, nil)
	idToken, err2 := is.sign(is.s.clientID, map[string]any{"nonce": g.nonce})
	if err := errors.Join(err1, err2); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "id_token": idToken, "token_type": "Bearer", "expires_in": int(tokenTTL.Seconds())})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomHex() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}
