package server

import (
	"net"
	"net/http"
	"runtime"

	"example.com/scratchpad/internal/about"
)

// IsLocal reports whether the request comes from this host. It trusts only
// the socket's peer address: X-Forwarded-For, X-Real-IP, Forwarded and Host
// are set by clients and never count (APP-15).
func IsLocal(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// localOnly answers 403 to every request whose peer is not loopback. It
// guards the internal listener, which is bound to 127.0.0.1 as well.
func localOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !IsLocal(r) {
			writeError(w, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func status(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"service": about.Name, "go": runtime.Version()})
}
