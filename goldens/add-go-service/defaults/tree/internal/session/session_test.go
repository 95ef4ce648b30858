package session_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"example.com/demo-service/internal/authz"
	"example.com/demo-service/internal/session"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newManager() (*session.Manager, *clock) {
	c := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	return session.NewManagerWithClock(c.now), c
}

var alice = authz.Principal{Subject: "alice", Roles: []string{"writer"}}

// APP-13: each refresh token works once and rotates.
func TestRefreshRotates(t *testing.T) {
	m, _ := newManager()
	t1, err := m.Create(alice)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := m.Refresh(t1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if t2.RefreshToken == t1.RefreshToken || t2.SessionID == t1.SessionID {
		t.Fatal("tokens not rotated")
	}
	if _, err := m.Lookup(t1.SessionID); err == nil {
		t.Fatal("old session still valid after refresh")
	}
	if p, err := m.Lookup(t2.SessionID); err != nil || p.Subject != "alice" {
		t.Fatalf("new session: %+v %v", p, err)
	}
}

// APP-13: reusing a refresh token revokes the whole family, including the
// tokens the legitimate holder got from the last rotation.
func TestRefreshReuseRevokesFamily(t *testing.T) {
	m, _ := newManager()
	t1, _ := m.Create(alice)
	t2, err := m.Refresh(t1.RefreshToken) // legitimate rotation
	if err != nil {
		t.Fatal(err)
	}
	other, _ := m.Create(authz.Principal{Subject: "bob"})

	if _, err := m.Refresh(t1.RefreshToken); !errors.Is(err, session.ErrReuse) { // attacker replays
		t.Fatalf("reuse error = %v, want ErrReuse", err)
	}
	if _, err := m.Refresh(t2.RefreshToken); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("newest token of a revoked family still works: %v", err)
	}
	if _, err := m.Lookup(t2.SessionID); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("session of a revoked family still works: %v", err)
	}
	if _, err := m.Lookup(other.SessionID); err != nil {
		t.Fatalf("another family was hurt: %v", err)
	}
}

func TestUnknownAndExpiredTokens(t *testing.T) {
	m, c := newManager()
	if _, err := m.Refresh("forged"); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("forged refresh: %v", err)
	}
	if _, err := m.Lookup("forged"); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("forged session: %v", err)
	}
	t1, _ := m.Create(alice)
	c.t = c.t.Add(session.SessionTTL)
	if _, err := m.Lookup(t1.SessionID); !errors.Is(err, session.ErrInvalid) {
		t.Fatal("expired session accepted")
	}
	c.t = c.t.Add(session.RefreshTTL)
	if _, err := m.Refresh(t1.RefreshToken); !errors.Is(err, session.ErrInvalid) {
		t.Fatal("expired refresh token accepted")
	}
}

func TestRevokeEndsFamily(t *testing.T) {
	m, _ := newManager()
	t1, _ := m.Create(alice)
	m.Revoke(t1.RefreshToken)
	if _, err := m.Lookup(t1.SessionID); err == nil {
		t.Fatal("session survived logout")
	}
	if _, err := m.Refresh(t1.RefreshToken); err == nil {
		t.Fatal("refresh token survived logout")
	}
}

// APP-08: cookies are __Host- prefixed, HttpOnly, Secure, SameSite, Path=/,
// with a bounded Max-Age.
func TestCookieAttributes(t *testing.T) {
	for _, name := range []string{session.SessionCookie, session.RefreshCookie, session.LoginCookie} {
		c := session.NewCookie(name, "v", session.SessionTTL)
		line := c.String()
		if !strings.HasPrefix(c.Name, "__Host-") {
			t.Errorf("%s: missing __Host- prefix", name)
		}
		for _, attr := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=", "Max-Age=900"} {
			if !strings.Contains(line, attr) {
				t.Errorf("%s: %q lacks %s", name, line, attr)
			}
		}
		if strings.Contains(line, "Domain=") {
			t.Errorf("%s: __Host- cookies must not set Domain: %q", name, line)
		}
		if c.SameSite != http.SameSiteLaxMode && c.SameSite != http.SameSiteStrictMode {
			t.Errorf("%s: SameSite %v", name, c.SameSite)
		}
	}
	if session.NewCookie(session.RefreshCookie, "v", time.Hour).SameSite != http.SameSiteStrictMode {
		t.Error("refresh cookie must be SameSite=Strict")
	}
	if got := session.ExpiredCookie(session.SessionCookie).String(); !strings.Contains(got, "Max-Age=0") || !strings.Contains(got, "Secure") {
		t.Errorf("expired cookie %q", got)
	}
}
