package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/acme-corp/ledger/internal/authz"
)

var errNoCredentials = errors.New("server: no credentials")

// authenticated runs next only for an authenticated caller: a valid bearer
// access token. Any failure is a 401 with a
// generic body; the reason goes to the log (APP-14, APP-19).
func (s *Server) authenticated(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
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
	return nil, errNoCredentials
}
