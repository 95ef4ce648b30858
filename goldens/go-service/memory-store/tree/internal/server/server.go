// Package server is the HTTP layer: routes, handlers and the middleware
// chain that applies the service's controls to every request.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"golang.org/x/time/rate"

	"example.com/scratchpad/internal/auth"
	"example.com/scratchpad/internal/authz"
	"example.com/scratchpad/internal/crypto"
	"example.com/scratchpad/internal/session"
	"example.com/scratchpad/internal/store"
)

// Limits of the HTTP server (APP-20).
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 120 * time.Second
	MaxHeaderBytes    = 16 << 10
	MaxBodyBytes      = 1 << 20
	// DefaultStoreTimeout bounds every store call of a request.
	DefaultStoreTimeout = 5 * time.Second
)

// TokenVerifier verifies bearer access tokens (auth.Verifier in production).
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (*authz.Principal, error)
}

// Options are the dependencies of the HTTP handler.
type Options struct {
	Logger      *slog.Logger
	Notes       store.Notes
	AEAD        *crypto.AEAD
	Verifier    TokenVerifier
	CORSOrigins []string
	// RateLimit and RateBurst bound requests per client address; zero means
	// 20 requests per second with bursts of 40.
	RateLimit rate.Limit
	RateBurst int
	// TrustedProxies are the peers whose X-Forwarded-For names the client
	// for the rate limit; empty means the socket peer is the client.
	TrustedProxies []netip.Prefix
	// StoreTimeout bounds each store call; zero means DefaultStoreTimeout.
	StoreTimeout time.Duration
	// Sessions accepts session cookies; Login serves the login flow (APP-11).
	Sessions session.Store
	Login    *auth.Login
}

// Server holds the dependencies of the handlers.
type Server struct {
	log      *slog.Logger
	notes    store.Notes
	aead     *crypto.AEAD
	verifier TokenVerifier
	// storeTimeout bounds every store call (see storeContext).
	storeTimeout time.Duration
	sessions     session.Store
}

// New returns the service's HTTP handler with the full middleware chain.
func New(o Options) (http.Handler, error) {
	if o.Logger == nil || o.Notes == nil || o.AEAD == nil || o.Verifier == nil {
		return nil, errors.New("server: logger, notes, AEAD and verifier are required")
	}
	if o.Login != nil && o.Sessions == nil {
		return nil, errors.New("server: login needs sessions")
	}
	if o.RateLimit == 0 {
		o.RateLimit, o.RateBurst = 20, 40
	}
	if o.StoreTimeout <= 0 {
		o.StoreTimeout = DefaultStoreTimeout
	}
	s := &Server{log: o.Logger, notes: o.Notes, aead: o.AEAD, verifier: o.Verifier, storeTimeout: o.StoreTimeout, sessions: o.Sessions}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("POST /v1/notes", s.authenticated(s.createNote))
	mux.Handle("GET /v1/notes/{id}", s.authenticated(s.getNote))
	mux.Handle("PATCH /v1/notes/{id}", s.authenticated(s.updateNote))
	mux.Handle("DELETE /v1/notes/{id}", s.authenticated(s.deleteNote))
	if o.Login != nil {
		mux.HandleFunc("GET /auth/login", o.Login.Start)
		mux.HandleFunc("GET /auth/callback", o.Login.Callback)
		mux.HandleFunc("POST /auth/refresh", o.Login.Refresh)
		mux.HandleFunc("POST /auth/logout", o.Login.Logout)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound)
	})

	cop, err := crossOriginProtection(o.CORSOrigins)
	if err != nil {
		return nil, err
	}
	corsMW, err := cors(o.CORSOrigins)
	if err != nil {
		return nil, err
	}
	limiter, err := newPeerLimiter(o.RateLimit, o.RateBurst, o.TrustedProxies)
	if err != nil {
		return nil, err
	}

	// Outermost first: headers and panic recovery wrap everything, so even
	// a 404, a 413 or a recovered panic carries the security headers.
	var h http.Handler = mux
	h = limitBody(h, MaxBodyBytes)
	h = cop.Handler(h)
	h = corsMW(h)
	h = limiter.middleware(h)
	h = logRequests(o.Logger, h)
	h = recoverPanics(o.Logger, h)
	h = securityHeaders(h)
	return h, nil
}

// NewInternal returns the handler of the internal listener: routes for
// this host only (APP-15). It is served on 127.0.0.1 (NewInternalHTTPServer),
// never on the public port: behind a same-host proxy such as a service mesh
// sidecar, every public request arrives from a loopback address, so a
// loopback peer on the public port proves nothing.
func NewInternal(log *slog.Logger) (http.Handler, error) {
	if log == nil {
		return nil, errors.New("server: logger is required")
	}
	mux := http.NewServeMux()
	mux.Handle("GET /internal/status", localOnly(http.HandlerFunc(status)))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound)
	})
	var h http.Handler = mux
	h = logRequests(log, h)
	h = recoverPanics(log, h)
	h = securityHeaders(h)
	return h, nil
}

// NewHTTPServer returns the public http.Server with hardened limits (APP-20).
func NewHTTPServer(port int, h http.Handler, log *slog.Logger) *http.Server {
	return newHTTPServer(fmt.Sprintf(":%d", port), h, log)
}

// NewInternalHTTPServer returns the internal http.Server, bound to the
// loopback address only.
func NewInternalHTTPServer(port int, h http.Handler, log *slog.Logger) *http.Server {
	return newHTTPServer(fmt.Sprintf("127.0.0.1:%d", port), h, log)
}

func newHTTPServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	// Readiness (unlike /healthz, which is liveness) checks the store, so
	// a pod whose database is unreachable leaves the load balancer.
	if err := s.notes.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		writeError(w, http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
