package session

import (
	"net/http"
	"time"
)

// Cookie names carry the __Host- prefix: the browser accepts them only when
// Secure, with Path=/ and no Domain, so no sibling subdomain can set or
// shadow them (APP-08).
const (
	SessionCookie = "__Host-session"
	RefreshCookie = "__Host-refresh"
	LoginCookie   = "__Host-login"
)

// NewCookie returns a cookie that is HttpOnly, Secure, SameSite and scoped
// to Path=/ with a bounded Max-Age (APP-08). Lax lets the session and login
// cookies arrive on the top-level redirect back from the identity provider;
// the refresh cookie is only ever needed by same-site requests, so it is
// Strict.
func NewCookie(name, value string, maxAge time.Duration) *http.Cookie {
	if name == RefreshCookie {
		return &http.Cookie{
			Name: name, Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
			HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
		}
	}
	return &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	}
}

// ExpiredCookie returns a cookie that deletes name in the browser.
func ExpiredCookie(name string) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
	}
}
