package auth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"example.com/scratchpad/internal/auth"
	"example.com/scratchpad/internal/session"
)

// bg is the context of the tests' session calls.
var bg = context.Background()

const (
	clientID    = "demo-client"
	redirectURL = "https://app.example.test/auth/callback"
)

// fakeIdP is a minimal OpenID provider: discovery, JWKS and a token
// endpoint that enforces PKCE S256 like a real one.
type fakeIdP struct {
	*testIssuer
	mu         sync.Mutex
	challenges map[string]string // code -> code_challenge
	nonces     map[string]string // code -> nonce
	nonceFor   func(string) string
}

func newFakeIdP(t *testing.T) *fakeIdP {
	idp := &fakeIdP{testIssuer: newTestIssuer(t, true), challenges: map[string]string{}, nonces: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                idp.url(),
			"authorization_endpoint":                idp.url() + "/authorize",
			"token_endpoint":                        idp.url() + "/token",
			"jwks_uri":                              idp.jwksURL(),
			"response_types_supported":              []string{"code"},
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		})
	})
	mux.HandleFunc("POST /token", idp.token)
	idp.extras = mux
	return idp
}

// authorize plays the user's trip to the provider: it records the PKCE
// challenge and nonce of the authorization request under a fresh code.
func (idp *fakeIdP) authorize(t *testing.T, authURL string) (code, state string) {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	code = "code-" + q.Get("state")[:8]
	idp.mu.Lock()
	idp.challenges[code] = q.Get("code_challenge")
	idp.nonces[code] = q.Get("nonce")
	idp.mu.Unlock()
	return code, q.Get("state")
}

func (idp *fakeIdP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	code := r.PostForm.Get("code")
	idp.mu.Lock()
	challenge, ok := idp.challenges[code]
	nonce := idp.nonces[code]
	delete(idp.challenges, code)
	idp.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || r.PostForm.Get("grant_type") != "authorization_code" ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
		return
	}
	if idp.nonceFor != nil {
		nonce = idp.nonceFor(nonce)
	}
	now := time.Now()
	claims := jwt.Claims{
		Issuer: idp.url(), Subject: "alice", Audience: jwt.Audience{clientID},
		Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)), IssuedAt: jwt.NewNumericDate(now),
	}
	idToken := idp.sign(jose.RS256, idp.rsa, "rsa-1", claims, map[string]any{"nonce": nonce, "roles": []string{"writer"}})
	w.Header().Set("Content-Type", "application/json")
	opaque := "opaque-access-" + code // the service never uses the access token of the login
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": opaque, "token_type": "Bearer", "expires_in": 300, "id_token": idToken,
	})
}

func newLogin(t *testing.T, idp *fakeIdP) (*auth.Login, *session.Manager) {
	t.Helper()
	return newLoginWithKey(t, idp, bytes.Repeat([]byte{7}, 32))
}

func newLoginWithKey(t *testing.T, idp *fakeIdP, key []byte) (*auth.Login, *session.Manager) {
	t.Helper()
	sessions := session.NewManager()
	l, err := auth.NewLogin(context.Background(), auth.LoginConfig{
		Issuer: idp.url(), ClientID: clientID, ClientSecret: "test-client-secret",
		RedirectURL: redirectURL, HTTPClient: idp.srv.Client(),
		StateKey: key,
	}, sessions, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return l, sessions
}

func cookieOf(t *testing.T, resp *http.Response, name string) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", name, resp.Header.Values("Set-Cookie"))
	return nil
}

func start(t *testing.T, l *auth.Login) (*http.Cookie, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	l.Start(rec, httptest.NewRequest(http.MethodGet, "/auth/login", nil))
	resp := rec.Result()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login start status %d", resp.StatusCode)
	}
	return cookieOf(t, resp, session.LoginCookie), resp.Header.Get("Location")
}

func callback(l *auth.Login, login *http.Cookie, query url.Values) *http.Response {
	req := httptest.NewRequest(http.MethodGet, "/auth/callback?"+query.Encode(), nil)
	if login != nil {
		req.AddCookie(login)
	}
	rec := httptest.NewRecorder()
	l.Callback(rec, req)
	return rec.Result()
}

// APP-11: the authorization request is code + PKCE S256 + state + nonce, and
// the verifier stays on the server.
func TestLoginStartUsesCodeFlowWithPKCE(t *testing.T) {
	idp := newFakeIdP(t)
	l, _ := newLogin(t, idp)
	loginCookie, location := start(t, l)
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != idp.url()+"/authorize" {
		t.Fatalf("redirect to %s", got)
	}
	q := u.Query()
	checks := map[string]string{"response_type": "code", "code_challenge_method": "S256", "client_id": clientID, "redirect_uri": redirectURL}
	for k, want := range checks {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(k)) < 43 {
			t.Errorf("%s = %q: missing or too short", k, q.Get(k))
		}
	}
	if q.Has("code_verifier") || strings.Contains(location, loginCookie.Value) {
		t.Fatal("code verifier or login ID leaked into the redirect")
	}
	if !strings.HasPrefix(loginCookie.Name, "__Host-") || !loginCookie.HttpOnly || !loginCookie.Secure ||
		loginCookie.SameSite != http.SameSiteLaxMode || loginCookie.Path != "/" || loginCookie.MaxAge <= 0 || loginCookie.MaxAge > 600 {
		t.Fatalf("login cookie attributes: %s", loginCookie.String())
	}
}

// APP-11, APP-08: a complete login sets hardened session cookies that work.
func TestLoginCallbackSucceeds(t *testing.T) {
	idp := newFakeIdP(t)
	l, sessions := newLogin(t, idp)
	loginCookie, location := start(t, l)
	code, state := idp.authorize(t, location)
	resp := callback(l, loginCookie, url.Values{"code": {code}, "state": {state}})
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/" {
		t.Fatalf("callback status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	sc := cookieOf(t, resp, session.SessionCookie)
	rc := cookieOf(t, resp, session.RefreshCookie)
	for _, c := range []*http.Cookie{sc, rc} {
		if !c.HttpOnly || !c.Secure || c.Path != "/" || c.MaxAge <= 0 || c.SameSite == http.SameSiteNoneMode || c.SameSite == http.SameSiteDefaultMode {
			t.Errorf("cookie %s lacks hardening: %s", c.Name, c.String())
		}
	}
	p, err := sessions.Lookup(bg, sc.Value)
	if err != nil || p.Subject != "alice" || len(p.Roles) != 1 || p.Roles[0] != "writer" {
		t.Fatalf("session principal %+v, %v", p, err)
	}
}

// APP-11, APP-19: every deviation from the flow rejects the login.
func TestLoginCallbackRejections(t *testing.T) {
	t.Run("state mismatch", func(t *testing.T) {
		idp := newFakeIdP(t)
		l, _ := newLogin(t, idp)
		c, loc := start(t, l)
		code, _ := idp.authorize(t, loc)
		assertRejected(t, callback(l, c, url.Values{"code": {code}, "state": {"forged-state"}}))
	})
	t.Run("no login cookie", func(t *testing.T) {
		idp := newFakeIdP(t)
		l, _ := newLogin(t, idp)
		_, loc := start(t, l)
		code, state := idp.authorize(t, loc)
		assertRejected(t, callback(l, nil, url.Values{"code": {code}, "state": {state}}))
	})
	t.Run("replayed callback", func(t *testing.T) {
		idp := newFakeIdP(t)
		l, _ := newLogin(t, idp)
		c, loc := start(t, l)
		code, state := idp.authorize(t, loc)
		q := url.Values{"code": {code}, "state": {state}}
		if resp := callback(l, c, q); resp.StatusCode != http.StatusFound {
			t.Fatalf("first callback %d", resp.StatusCode)
		}
		assertRejected(t, callback(l, c, q))
	})
	t.Run("nonce mismatch", func(t *testing.T) {
		idp := newFakeIdP(t)
		idp.nonceFor = func(string) string { return "attacker-nonce" }
		l, _ := newLogin(t, idp)
		c, loc := start(t, l)
		code, state := idp.authorize(t, loc)
		assertRejected(t, callback(l, c, url.Values{"code": {code}, "state": {state}}))
	})
	t.Run("wrong PKCE verifier", func(t *testing.T) {
		idp := newFakeIdP(t)
		l, _ := newLogin(t, idp)
		c, loc := start(t, l)
		code, state := idp.authorize(t, loc)
		idp.mu.Lock()
		idp.challenges[code] = "challenge-of-another-login"
		idp.mu.Unlock()
		assertRejected(t, callback(l, c, url.Values{"code": {code}, "state": {state}}))
	})
	t.Run("implicit flow tokens", func(t *testing.T) {
		idp := newFakeIdP(t)
		l, _ := newLogin(t, idp)
		c, loc := start(t, l)
		_, state := idp.authorize(t, loc)
		q := url.Values{"state": {state}}
		q.Set("access_token", "x")
		q.Set("id_token", "y")
		assertRejected(t, callback(l, c, q))
	})
	t.Run("tampered login cookie", func(t *testing.T) {
		idp := newFakeIdP(t)
		l, _ := newLogin(t, idp)
		c, loc := start(t, l)
		code, state := idp.authorize(t, loc)
		forged := *c
		b, err := base64.RawURLEncoding.DecodeString(forged.Value)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 1
		forged.Value = base64.RawURLEncoding.EncodeToString(b)
		assertRejected(t, callback(l, &forged, url.Values{"code": {code}, "state": {state}}))
	})
	t.Run("login cookie sealed under another key", func(t *testing.T) {
		idp := newFakeIdP(t)
		l, _ := newLogin(t, idp)
		other, _ := newLoginWithKey(t, idp, bytes.Repeat([]byte{8}, 32))
		c, loc := start(t, other)
		code, state := idp.authorize(t, loc)
		assertRejected(t, callback(l, c, url.Values{"code": {code}, "state": {state}}))
	})
	t.Run("provider error", func(t *testing.T) {
		idp := newFakeIdP(t)
		l, _ := newLogin(t, idp)
		c, loc := start(t, l)
		_, state := idp.authorize(t, loc)
		assertRejected(t, callback(l, c, url.Values{"error": {"access_denied"}, "state": {state}}))
	})
}

func assertRejected(t *testing.T, resp *http.Response) {
	t.Helper()
	if resp.StatusCode < 400 {
		t.Fatalf("login accepted with status %d", resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("/auth error response Cache-Control = %q, want no-store", cc)
	}
	for _, c := range resp.Cookies() {
		if (c.Name == session.SessionCookie || c.Name == session.RefreshCookie) && c.Value != "" {
			t.Fatalf("session cookie issued on a rejected login: %s", c.String())
		}
	}
	body, _ := io.ReadAll(resp.Body)
	if strings.Contains(strings.ToLower(string(body)), "nonce") || strings.Contains(strings.ToLower(string(body)), "state") {
		t.Fatalf("error detail leaked to the client: %q", body)
	}
}

// APP-13: refresh rotates; the old token replayed revokes the family.
func TestRefreshEndpointReuseRevokesFamily(t *testing.T) {
	idp := newFakeIdP(t)
	l, sessions := newLogin(t, idp)
	c, loc := start(t, l)
	code, state := idp.authorize(t, loc)
	resp := callback(l, c, url.Values{"code": {code}, "state": {state}})
	rt1 := cookieOf(t, resp, session.RefreshCookie)

	refresh := func(rt *http.Cookie) *http.Response {
		req := httptest.NewRequest(http.MethodPost, "/auth/refresh", nil)
		req.AddCookie(rt)
		rec := httptest.NewRecorder()
		l.Refresh(rec, req)
		return rec.Result()
	}
	r2 := refresh(rt1)
	if r2.StatusCode != http.StatusNoContent {
		t.Fatalf("refresh status %d", r2.StatusCode)
	}
	rt2 := cookieOf(t, r2, session.RefreshCookie)
	sid2 := cookieOf(t, r2, session.SessionCookie)
	if r := refresh(rt1); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("reused refresh token: status %d", r.StatusCode)
	}
	if r := refresh(rt2); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("family not revoked: newest token still refreshes (%d)", r.StatusCode)
	}
	if _, err := sessions.Lookup(bg, sid2.Value); err == nil {
		t.Fatal("family not revoked: session still valid")
	}
}

// One client cannot deny others browser logins: the login state lives in
// the client's own sealed cookie, so a flood of login starts (more than the
// 10,000 pending logins a server-side table would hold) leaves nothing
// behind on the server, and another client's login still completes.
func TestLoginFloodDoesNotDenyOthers(t *testing.T) {
	idp := newFakeIdP(t)
	l, sessions := newLogin(t, idp)
	victimCookie, victimLoc := start(t, l)
	for i := range 10_001 {
		rec := httptest.NewRecorder()
		l.Start(rec, httptest.NewRequest(http.MethodGet, "/auth/login", nil))
		if rec.Code != http.StatusFound {
			t.Fatalf("login start %d from the flooding client: status %d", i, rec.Code)
		}
	}
	lateCookie, lateLoc := start(t, l)
	logins := map[*http.Cookie]string{victimCookie: victimLoc, lateCookie: lateLoc}
	for c, loc := range logins {
		code, state := idp.authorize(t, loc)
		resp := callback(l, c, url.Values{"code": {code}, "state": {state}})
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("another client's login failed after the flood: status %d", resp.StatusCode)
		}
		if _, err := sessions.Lookup(bg, cookieOf(t, resp, session.SessionCookie).Value); err != nil {
			t.Fatal(err)
		}
	}
}

// Logout honours the session cookie alone, and /auth responses are never
// cached.
func TestLogoutWithSessionCookie(t *testing.T) {
	idp := newFakeIdP(t)
	l, sessions := newLogin(t, idp)
	c, loc := start(t, l)
	code, state := idp.authorize(t, loc)
	resp := callback(l, c, url.Values{"code": {code}, "state": {state}})
	sc := cookieOf(t, resp, session.SessionCookie)
	rc := cookieOf(t, resp, session.RefreshCookie)
	req := httptest.NewRequest(http.MethodPost, "/auth/logout", nil)
	req.AddCookie(sc)
	rec := httptest.NewRecorder()
	l.Logout(rec, req)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("logout status %d, Cache-Control %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	if _, err := sessions.Lookup(bg, sc.Value); err == nil {
		t.Fatal("session still valid after logout with the session cookie")
	}
	if _, err := sessions.Refresh(bg, rc.Value); err == nil {
		t.Fatal("refresh token of the logged-out family still works")
	}
}
