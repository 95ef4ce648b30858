package server

import (
	"container/list"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// SecurityHeaders are set on every response (APP-07).
var SecurityHeaders = map[string]string{
	"X-Frame-Options":            "DENY",
	"X-Content-Type-Options":     "nosniff",
	"Referrer-Policy":            "strict-origin-when-cross-origin",
	"X-XSS-Protection":           "0",
	"Strict-Transport-Security":  "max-age=31536000; includeSubDomains",
	"Content-Security-Policy":    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
	"Permissions-Policy":         "camera=(), microphone=(), geolocation=()",
	"Cross-Origin-Opener-Policy": "same-origin",
	// Other sites cannot embed or load these responses (no-cors requests).
	"Cross-Origin-Resource-Policy": "same-origin",
}

func setSecurityHeaders(h http.Header) {
	for k, v := range SecurityHeaders {
		h.Set(k, v)
	}
}

// securityHeaders sets the headers before anything else runs, so every
// response carries them, errors and 404s included (APP-07).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic into a generic 500: the panic value and stack
// go to the log, nothing of it to the client, and headers the handler set
// (cookies included) are dropped (APP-19).
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// The panic value may hold request data or secrets: log its
			// type and the stack, never the value (APP-10).
			log.Error("panic recovered", "method", r.Method, "path", r.URL.Path,
				"panic_type", fmt.Sprintf("%T", v), "stack", string(debug.Stack()))
			h := w.Header()
			clear(h)
			setSecurityHeaders(h)
			writeError(w, http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs method, path (no query: it may hold codes or tokens),
// status, duration and peer. Headers and bodies are never logged (APP-10).
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.status),
				slog.Duration("duration", time.Since(start)),
				slog.String("peer", r.RemoteAddr))
		}()
		next.ServeHTTP(rec, r)
	})
}

// limitBody rejects bodies larger than max with 413 (APP-20).
func limitBody(next http.Handler, max int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeError(w, http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

// peerLimiter rate-limits requests per client (APP-20). The client is the
// socket peer, never a header a client chooses (APP-15), except behind a
// trusted proxy: when the peer is in trustedProxies, the client is the
// right-most X-Forwarded-For address that is not itself a trusted proxy
// (every hop appends the address it saw, so the addresses left of the last
// untrusted one are whatever the client sent). IPv6 clients are grouped by
// /64, the smallest block one subscriber usually holds.
//
// At most maxTrackedPeers clients are tracked; past that the least recently
// seen one is forgotten, so a flood of new addresses (one IPv6 /48 holds
// 65,536 /64s) resets nobody but the idlest clients, never an active one.
type peerLimiter struct {
	limit   rate.Limit
	burst   int
	trusted []netip.Prefix
	mu      sync.Mutex
	peers   map[string]*list.Element // of *peerEntry
	recent  *list.List               // most recently seen first
}

type peerEntry struct {
	key string
	l   *rate.Limiter
}

const maxTrackedPeers = 10_000

func newPeerLimiter(limit rate.Limit, burst int, trusted []netip.Prefix) (*peerLimiter, error) {
	for _, p := range trusted {
		if !p.IsValid() || p.Bits() == 0 {
			return nil, fmt.Errorf("server: trusted proxy %q must be a CIDR narrower than /0", p)
		}
	}
	return &peerLimiter{limit: limit, burst: burst, trusted: trusted, peers: map[string]*list.Element{}, recent: list.New()}, nil
}

func (p *peerLimiter) allow(key string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.peers[key]; ok {
		p.recent.MoveToFront(e)
		return e.Value.(*peerEntry).l.Allow()
	}
	if p.recent.Len() >= maxTrackedPeers {
		oldest := p.recent.Back()
		p.recent.Remove(oldest)
		delete(p.peers, oldest.Value.(*peerEntry).key)
	}
	pe := &peerEntry{key: key, l: rate.NewLimiter(p.limit, p.burst)}
	p.peers[key] = p.recent.PushFront(pe)
	return pe.l.Allow()
}

func (p *peerLimiter) isTrusted(a netip.Addr) bool {
	for _, pre := range p.trusted {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// clientKey returns the rate-limit key of r.
func (p *peerLimiter) clientKey(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr // not an IP peer (tests, unix sockets): one bucket per value
	}
	client := ap.Addr().Unmap()
	if p.isTrusted(client) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // garbage: keep the last address we could trust
			}
			client = hop.Unmap()
			if !p.isTrusted(client) {
				break
			}
		}
	}
	client = client.WithZone("")
	if client.Is6() {
		p, err := client.Prefix(64)
		if err == nil {
			return p.String()
		}
	}
	return client.String()
}

func (p *peerLimiter) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.allow(p.clientKey(r)) {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusTooManyRequests)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkOrigins accepts only explicit https origins: never "*", never "null",
// never a path (APP-20).
func checkOrigins(origins []string) error {
	for _, o := range origins {
		u, err := url.Parse(o)
		if o == "*" || o == "null" || err != nil || u.Scheme != "https" || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.Contains(o, "*") {
			return fmt.Errorf("server: CORS origin %q is not an explicit https origin", o)
		}
	}
	return nil
}

// cors answers cross-origin requests from the allowlisted origins only; a
// credentialed response names the exact origin, never "*" (APP-20).
func cors(origins []string) (func(http.Handler) http.Handler, error) {
	if err := checkOrigins(origins); err != nil {
		return nil, err
	}
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if origin == "" {
				next.ServeHTTP(w, r)
				return
			}
			h := w.Header()
			h.Add("Vary", "Origin")
			preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
			if !allowed[origin] {
				if preflight {
					writeError(w, http.StatusForbidden)
					return
				}
				next.ServeHTTP(w, r) // no CORS headers: the browser keeps the response from the page
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			if preflight {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE")
				// If-Match carries the version a PATCH or DELETE expects.
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			// The page reads the version (for If-Match) and a new note's URL.
			h.Set("Access-Control-Expose-Headers", "ETag, Location")
			next.ServeHTTP(w, r)
		})
	}, nil
}

// crossOriginProtection rejects cross-site state-changing requests from
// browsers (CSRF) using Sec-Fetch-Site and Origin, trusting only the CORS
// allowlist; SameSite cookies are the second layer (APP-20).
func crossOriginProtection(origins []string) (*http.CrossOriginProtection, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range origins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("server: trusted origin: %w", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusForbidden)
	}))
	return cop, nil
}
