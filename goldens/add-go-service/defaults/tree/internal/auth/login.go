package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"example.com/demo-service/internal/authz"
	"example.com/demo-service/internal/crypto"
	"example.com/demo-service/internal/session"
)

const (
	loginTTL        = 10 * time.Minute
	maxPendingLogin = 10_000
	maxCodeBytes    = 2048
)

// LoginConfig configures the OIDC login flow.
type LoginConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	// HTTPClient talks to the identity provider; nil means a client with a
	// 10-second timeout.
	HTTPClient *http.Client
}

// pendingLogin is the server-side state of a login in progress. The PKCE
// code verifier never leaves the server (APP-11).
type pendingLogin struct {
	state        string
	nonce        string
	codeVerifier string
	expires      time.Time
}

// Login implements the OIDC Authorization Code flow with PKCE (S256), state
// and nonce (APP-11). The implicit flow is impossible: only
// response_type=code is ever requested, and the callback accepts nothing
// but a code.
type Login struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	client   *http.Client
	sessions *session.Manager
	log      *slog.Logger
	now      func() time.Time

	mu      sync.Mutex
	pending map[string]pendingLogin
}

// NewLogin discovers the provider's endpoints and returns the login flow.
func NewLogin(ctx context.Context, cfg LoginConfig, sessions *session.Manager, log *slog.Logger) (*Login, error) {
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
		log:      log,
		now:      time.Now,
		pending:  map[string]pendingLogin{},
	}, nil
}

// Start handles GET /auth/login: it keeps state, nonce and the PKCE verifier
// on the server, gives the browser only an opaque login ID in a __Host-
// cookie, and redirects to the provider.
func (l *Login) Start(w http.ResponseWriter, r *http.Request) {
	loginID, err1 := crypto.Token(32)
	state, err2 := crypto.Token(32)
	nonce, err3 := crypto.Token(32)
	if err := errors.Join(err1, err2, err3); err != nil {
		l.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	codeVerifier := oauth2.GenerateVerifier()

	l.mu.Lock()
	l.sweep()
	if len(l.pending) >= maxPendingLogin {
		l.mu.Unlock()
		l.fail(w, r, http.StatusServiceUnavailable, errors.New("too many logins in progress"))
		return
	}
	l.pending[loginID] = pendingLogin{state: state, nonce: nonce, codeVerifier: codeVerifier, expires: l.now().Add(loginTTL)}
	l.mu.Unlock()

	http.SetCookie(w, session.NewCookie(session.LoginCookie, loginID, loginTTL))
	target := l.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(codeVerifier))
	http.Redirect(w, r, target, http.StatusFound)
}

// Callback handles GET /auth/callback: it checks state, exchanges the code
// with the PKCE verifier, verifies the ID token and its nonce, and starts a
// session. Any failure rejects the login (APP-19).
func (l *Login) Callback(w http.ResponseWriter, r *http.Request) {
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
	p, ok := l.take(c.Value) // one-time: a replayed callback finds nothing
	if !ok {
		l.fail(w, r, http.StatusBadRequest, errors.New("unknown or expired login"))
		return
	}
	if q.Get("error") != "" {
		l.fail(w, r, http.StatusUnauthorized, errors.New("provider returned an error"))
		return
	}
	if !crypto.Equal(q.Get("state"), p.state) {
		l.fail(w, r, http.StatusBadRequest, errors.New("state mismatch"))
		return
	}
	code := q.Get("code")
	if code == "" || len(code) > maxCodeBytes {
		l.fail(w, r, http.StatusBadRequest, errors.New("missing or oversized code"))
		return
	}
	ctx := oidc.ClientContext(r.Context(), l.client)
	tok, err := l.oauth.Exchange(ctx, code, oauth2.VerifierOption(p.codeVerifier))
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
	if !crypto.Equal(idToken.Nonce, p.nonce) {
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
	tokens, err := l.sessions.Create(authz.Principal{Subject: idToken.Subject, Roles: claims.Roles})
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
	c, err := r.Cookie(session.RefreshCookie)
	if err != nil {
		l.fail(w, r, http.StatusUnauthorized, errors.New("no refresh token"))
		return
	}
	tokens, err := l.sessions.Refresh(c.Value)
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

// Logout handles POST /auth/logout: it revokes the token family.
func (l *Login) Logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(session.RefreshCookie); err == nil {
		l.sessions.Revoke(c.Value)
	}
	clearSessionCookies(w)
	w.WriteHeader(http.StatusNoContent)
}

func (l *Login) take(loginID string) (pendingLogin, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.pending[loginID]
	delete(l.pending, loginID)
	if !ok || !l.now().Before(p.expires) {
		return pendingLogin{}, false
	}
	return p, true
}

func (l *Login) sweep() {
	now := l.now()
	for id, p := range l.pending {
		if !now.Before(p.expires) {
			delete(l.pending, id)
		}
	}
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
