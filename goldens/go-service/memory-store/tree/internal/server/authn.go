package server

import (
	"errors"
	"net/http"
	"strings"

	"example.com/scratchpad/internal/authz"
	"example.com/scratchpad/internal/session"
)

var errNoCredentials = errors.New("server: no credentials")

// authenticated runs next only for an authenticated caller: a valid bearer
// access token, or a live session cookie. Any failure is a 401 with a
// generic body; the reason goes to the log (APP-14, APP-19).
func (s *Server) authenticated(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if errors.Is(err, session.ErrUnavailable) {
			// The session store failed, not the caller: retry later (APP-19).
			s.log.Warn("session store unavailable", "path", r.URL.Path, "err", err)
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable)
			return
		}
		if err != nil {
			s.log.Info("authentication failed", "path", r.URL.Path, "err", err)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeError(w, http.StatusUnauthorized)
			return
		}
		next(w, r.WithContext(authz.WithPrincipal(r.Context(), p)))
	})
}

func (s *Server) authenticate(r *http.Request) (*authz.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, raw, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
			return nil, errNoCredentials
		}
		return s.verifier.Verify(r.Context(), raw)
	}
	if s.sessions != nil {
		if c, err := r.Cookie(session.SessionCookie); err == nil {
			p, err := s.sessions.Lookup(r.Context(), c.Value)
			if err != nil {
				return nil, err
			}
			return &p, nil
		}
	}
	return nil, errNoCredentials
}
