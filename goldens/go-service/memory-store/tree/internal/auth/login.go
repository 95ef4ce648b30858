package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"example.com/scratchpad/internal/authz"
	"example.com/scratchpad/internal/crypto"
	"example.com/scratchpad/internal/session"
)

const (
	loginTTL     = 10 * time.Minute
	maxCodeBytes = 2048
	// maxLoginCookieBytes bounds the sealed login cookie read back; a real
	// one is a few hundred bytes.
	maxLoginCookieBytes = 1024
	// loginPurpose binds a sealed login cookie to this use: the same key
	// sealing anything else cannot produce one.
	loginPurpose = "login-state-v1"
)

// LoginConfig configures the OIDC login flow.
type LoginConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	// StateKey is the 32-byte AES-256-GCM key that seals the login cookie;
	// derive it for this purpose only (crypto.DeriveKey).
	StateKey []byte
	// HTTPClient talks to the identity provider; nil means a client with a
	// 10-second timeout.
	HTTPClient *http.Client
}

// loginState is the state of a login in progress. It travels only inside
// the sealed, HttpOnly login cookie: the browser can neither read nor
// change it, and the server keeps nothing per login, so no client can fill
// a shared table and deny logins to others.
type loginState struct {
	State        string `json:"s"`
	Nonce        string `json:"n"`
	CodeVerifier string `json:"v"`
	Expires      int64  `json:"e"` // Unix seconds, inside the seal
}

// Login implements the OIDC Authorization Code flow with PKCE (S256), state
// and nonce (APP-11). The implicit flow is impossible: only
// response_type=code is ever requested, and the callback accepts nothing
// but a code.
type Login struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	client   *http.Client
	sessions session.Store
	seal     *crypto.AEAD
	log      *slog.Logger
	now      func() time.Time
}

// NewLogin discovers the provider's endpoints and returns the login flow.
func NewLogin(ctx context.Context, cfg LoginConfig, sessions session.Store, log *slog.Logger) (*Login, error) {
	seal, err := crypto.NewAEAD(cfg.StateKey)
	if err != nil {
		return nil, fmt.Errorf("auth: login state key: %w", err)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx = oidc.ClientContext(ctx, client)
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: oidc discovery: %w", err)
	}
	return &Login{
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  cfg.RedirectURL,
			Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
		},
		verifier: provider.Verifier(&oidc.Config{
			ClientID:             cfg.ClientID,
			SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256},
		}),
		client:   client,
		sessions: sessions,
		seal:     seal,
		log:      log,
		now:      time.Now,
	}, nil
}

// noStore keeps every /auth/* response, errors included, out of caches.
func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

// Start handles GET /auth/login: it seals state, nonce and the PKCE verifier
// with their expiry into a short-lived __Host- cookie (AES-256-GCM, so the
// verifier is never readable by the browser) and redirects to the provider.
func (l *Login) Start(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	state, err1 := crypto.Token(32)
	nonce, err2 := crypto.Token(32)
	if err := errors.Join(err1, err2); err != nil {
		l.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	codeVerifier := oauth2.GenerateVerifier()
	plain, err := json.Marshal(loginState{State: state, Nonce: nonce, CodeVerifier: codeVerifier, Expires: l.now().Add(loginTTL).Unix()})
	if err != nil {
		l.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	sealed, err := l.seal.Seal(plain, []byte(loginPurpose))
	if err != nil {
		l.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	http.SetCookie(w, session.NewCookie(session.LoginCookie, base64.RawURLEncoding.EncodeToString(sealed), loginTTL))
	target := l.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(codeVerifier))
	http.Redirect(w, r, target, http.StatusFound)
}

// open returns the login state sealed in a login cookie, if it authenticates
// and has not expired.
func (l *Login) open(value string) (loginState, bool) {
	if len(value) > maxLoginCookieBytes {
		return loginState{}, false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return loginState{}, false
	}
	plain, err := l.seal.Open(sealed, []byte(loginPurpose))
	if err != nil {
		return loginState{}, false
	}
	var p loginState
	if err := json.Unmarshal(plain, &p); err != nil || p.State == "" || p.Nonce == "" || p.CodeVerifier == "" {
		return loginState{}, false
	}
	if !l.now().Before(time.Unix(p.Expires, 0)) {
		return loginState{}, false
	}
	return p, true
}

// Callback handles GET /auth/callback: it checks state, exchanges the code
// with the PKCE verifier, verifies the ID token and its nonce, and starts a
// session. Any failure rejects the login (APP-19).
//
// The login cookie is deleted on the first callback; a replayed callback
// carries a code the provider already redeemed, and code exchange is
// one-time by the OAuth 2.0 specification, so the replay gets no session.
func (l *Login) Callback(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	http.SetCookie(w, session.ExpiredCookie(session.LoginCookie))
	q := r.URL.Query()
	// Tokens in the query are an implicit or hybrid flow response: refused.
	if q.Has("access_token") || q.Has("id_token") || q.Has("token") {
		l.fail(w, r, http.StatusBadRequest, errors.New("token in redirect: implicit flow refused"))
		return
	}
	c, err := r.Cookie(session.LoginCookie)
	if err != nil {
		l.fail(w, r, http.StatusBadRequest, errors.New("no login in progress"))
		return
	}
	p, ok := l.open(c.Value)
	if !ok {
		l.fail(w, r, http.StatusBadRequest, errors.New("unknown or expired login"))
		return
	}
	if q.Get("error") != "" {
		l.fail(w, r, http.StatusUnauthorized, errors.New("provider returned an error"))
		return
	}
	if !crypto.Equal(q.Get("state"), p.State) {
		l.fail(w, r, http.StatusBadRequest, errors.New("state mismatch"))
		return
	}
	code := q.Get("code")
	if code == "" || len(code) > maxCodeBytes {
		l.fail(w, r, http.StatusBadRequest, errors.New("missing or oversized code"))
		return
	}
	ctx := oidc.ClientContext(r.Context(), l.client)
	tok, err := l.oauth.Exchange(ctx, code, oauth2.VerifierOption(p.CodeVerifier))
	if err != nil {
		l.fail(w, r, http.StatusUnauthorized, fmt.Errorf("code exchange: %w", err))
		return
	}
	rawID, ok := tok.Extra("id_token").(string)
	if !ok || rawID == "" {
		l.fail(w, r, http.StatusUnauthorized, errors.New("no id_token in token response"))
		return
	}
	idToken, err := l.verifier.Verify(ctx, rawID)
	if err != nil {
		l.fail(w, r, http.StatusUnauthorized, fmt.Errorf("id token verification: %w", err))
		return
	}
	if !crypto.Equal(idToken.Nonce, p.Nonce) {
		l.fail(w, r, http.StatusUnauthorized, errors.New("nonce mismatch"))
		return
	}
	var claims struct {
		Roles []string `json:"roles"`
	}
	if err := idToken.Claims(&claims); err != nil {
		l.fail(w, r, http.StatusUnauthorized, fmt.Errorf("id token claims unreadable: %w", err))
		return
	}
	tokens, err := l.sessions.Create(r.Context(), authz.Principal{Subject: idToken.Subject, Roles: claims.Roles})
	if err != nil {
		l.fail(w, r, http.StatusServiceUnavailable, err)
		return
	}
	setSessionCookies(w, tokens)
	http.Redirect(w, r, "/", http.StatusFound)
}

// Refresh handles POST /auth/refresh: it rotates the refresh token. Reuse of
// an old refresh token revokes the whole family (APP-13).
func (l *Login) Refresh(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	c, err := r.Cookie(session.RefreshCookie)
	if err != nil {
		l.fail(w, r, http.StatusUnauthorized, errors.New("no refresh token"))
		return
	}
	tokens, err := l.sessions.Refresh(r.Context(), c.Value)
	if errors.Is(err, session.ErrUnavailable) {
		// The store failed, not the token: keep the cookies for a retry.
		w.Header().Set("Retry-After", "1")
		l.fail(w, r, http.StatusServiceUnavailable, err)
		return
	}
	if err != nil {
		if errors.Is(err, session.ErrReuse) {
			l.log.Warn("refresh token reuse detected; token family revoked")
		}
		clearSessionCookies(w)
		l.fail(w, r, http.StatusUnauthorized, err)
		return
	}
	setSessionCookies(w, tokens)
	w.WriteHeader(http.StatusNoContent)
}

// Logout handles POST /auth/logout: it revokes the token family of the
// refresh cookie and of the session cookie, so a browser that only still
// holds its session cookie is logged out too.
func (l *Login) Logout(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var failed error
	if c, err := r.Cookie(session.RefreshCookie); err == nil {
		failed = errors.Join(failed, l.sessions.Revoke(r.Context(), c.Value))
	}
	if c, err := r.Cookie(session.SessionCookie); err == nil {
		failed = errors.Join(failed, l.sessions.RevokeSession(r.Context(), c.Value))
	}
	if failed != nil {
		// The family may still be live: say so rather than pretend.
		l.fail(w, r, http.StatusServiceUnavailable, failed)
		return
	}
	clearSessionCookies(w)
	w.WriteHeader(http.StatusNoContent)
}

// fail logs the reason and answers with a generic message (APP-10, APP-19).
func (l *Login) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	l.log.LogAttrs(r.Context(), slog.LevelWarn, "login rejected", slog.String("reason", err.Error()), slog.Int("status", status))
	http.Error(w, http.StatusText(status), status)
}

func setSessionCookies(w http.ResponseWriter, t session.Tokens) {
	http.SetCookie(w, session.NewCookie(session.SessionCookie, t.SessionID, session.SessionTTL))
	http.SetCookie(w, session.NewCookie(session.RefreshCookie, t.RefreshToken, session.RefreshTTL))
}

func clearSessionCookies(w http.ResponseWriter) {
	http.SetCookie(w, session.ExpiredCookie(session.SessionCookie))
	http.SetCookie(w, session.ExpiredCookie(session.RefreshCookie))
}
