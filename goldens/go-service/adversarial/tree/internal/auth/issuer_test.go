package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// testIssuer mints its own RSA and EC keys and serves them as a JWKS, the
// way an identity provider does.
type testIssuer struct {
	t      *testing.T
	srv    *httptest.Server
	rsa    *rsa.PrivateKey
	ec     *ecdsa.PrivateKey
	mu     sync.Mutex
	keys   []jose.JSONWebKey
	hits   atomic.Int64
	extras http.Handler
	// stall, when set, makes /jwks wait until the test ends (a hung
	// issuer); fail makes it answer 500.
	stall   atomic.Bool
	fail    atomic.Bool
	release chan struct{}
}

func newTestIssuer(t *testing.T, tls bool) *testIssuer {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is := &testIssuer{t: t, rsa: rsaKey, ec: ecKey, release: make(chan struct{})}
	is.keys = []jose.JSONWebKey{
		{Key: rsaKey.Public(), KeyID: "rsa-1", Algorithm: string(jose.RS256), Use: "sig"},
		{Key: ecKey.Public(), KeyID: "ec-1", Algorithm: string(jose.ES256), Use: "sig"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		is.hits.Add(1)
		if is.stall.Load() {
			select {
			case <-is.release:
			case <-r.Context().Done():
			}
		}
		if is.fail.Load() {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		is.mu.Lock()
		defer is.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: is.keys})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if is.extras != nil {
			is.extras.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	})
	if tls {
		is.srv = httptest.NewTLSServer(mux)
	} else {
		is.srv = httptest.NewServer(mux)
	}
	t.Cleanup(is.srv.Close)
	t.Cleanup(func() { close(is.release) }) // runs first: no handler outlives the test
	return is
}

func (is *testIssuer) url() string     { return is.srv.URL }
func (is *testIssuer) jwksURL() string { return is.srv.URL + "/jwks" }

// setKeys replaces the published keys (key rotation).
func (is *testIssuer) setKeys(keys ...jose.JSONWebKey) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys = keys
}

// sign returns a compact JWS of claims signed with key under alg and kid.
func (is *testIssuer) sign(alg jose.SignatureAlgorithm, key any, kid string, claims ...any) string {
	is.t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		is.t.Fatal(err)
	}
	b := jwt.Signed(signer)
	for _, c := range claims {
		b = b.Claims(c)
	}
	raw, err := b.Serialize()
	if err != nil {
		is.t.Fatal(err)
	}
	return raw
}

// claims returns valid claims for audience aud, issued now.
func (is *testIssuer) claims(aud string, now time.Time) jwt.Claims {
	return jwt.Claims{
		Issuer:    is.url(),
		Subject:   "alice",
		Audience:  jwt.Audience{aud},
		Expiry:    jwt.NewNumericDate(now.Add(5 * time.Minute)),
		NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
		IssuedAt:  jwt.NewNumericDate(now.Add(-time.Minute)),
	}
}

// unsigned builds a token with the given header and no signature ("alg":"none").
func unsigned(header, payload any) string {
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(payload)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}
