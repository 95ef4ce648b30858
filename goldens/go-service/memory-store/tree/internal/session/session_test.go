package session_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"example.com/scratchpad/internal/authz"
	"example.com/scratchpad/internal/session"
)

// bg is the context of the tests' session calls.
var bg = context.Background()

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
	t1, err := m.Create(bg, alice)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := m.Refresh(bg, t1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if t2.RefreshToken == t1.RefreshToken || t2.SessionID == t1.SessionID {
		t.Fatal("tokens not rotated")
	}
	if _, err := m.Lookup(bg, t1.SessionID); err == nil {
		t.Fatal("old session still valid after refresh")
	}
	if p, err := m.Lookup(bg, t2.SessionID); err != nil || p.Subject != "alice" {
		t.Fatalf("new session: %+v %v", p, err)
	}
}

// APP-13: reusing a refresh token revokes the whole family, including the
// tokens the legitimate holder got from the last rotation.
func TestRefreshReuseRevokesFamily(t *testing.T) {
	m, _ := newManager()
	t1, _ := m.Create(bg, alice)
	t2, err := m.Refresh(bg, t1.RefreshToken) // legitimate rotation
	if err != nil {
		t.Fatal(err)
	}
	other, _ := m.Create(bg, authz.Principal{Subject: "bob"})

	if _, err := m.Refresh(bg, t1.RefreshToken); !errors.Is(err, session.ErrReuse) { // attacker replays
		t.Fatalf("reuse error = %v, want ErrReuse", err)
	}
	if _, err := m.Refresh(bg, t2.RefreshToken); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("newest token of a revoked family still works: %v", err)
	}
	if _, err := m.Lookup(bg, t2.SessionID); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("session of a revoked family still works: %v", err)
	}
	if _, err := m.Lookup(bg, other.SessionID); err != nil {
		t.Fatalf("another family was hurt: %v", err)
	}
}

func TestUnknownAndExpiredTokens(t *testing.T) {
	m, c := newManager()
	if _, err := m.Refresh(bg, "forged"); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("forged refresh: %v", err)
	}
	if _, err := m.Lookup(bg, "forged"); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("forged session: %v", err)
	}
	t1, _ := m.Create(bg, alice)
	c.t = c.t.Add(session.SessionTTL)
	if _, err := m.Lookup(bg, t1.SessionID); !errors.Is(err, session.ErrInvalid) {
		t.Fatal("expired session accepted")
	}
	c.t = c.t.Add(session.RefreshTTL)
	if _, err := m.Refresh(bg, t1.RefreshToken); !errors.Is(err, session.ErrInvalid) {
		t.Fatal("expired refresh token accepted")
	}
}

func TestRevokeEndsFamily(t *testing.T) {
	m, _ := newManager()
	t1, _ := m.Create(bg, alice)
	m.Revoke(bg, t1.RefreshToken)
	if _, err := m.Lookup(bg, t1.SessionID); err == nil {
		t.Fatal("session survived logout")
	}
	if _, err := m.Refresh(bg, t1.RefreshToken); err == nil {
		t.Fatal("refresh token survived logout")
	}
	if m.Len() != 0 {
		t.Fatal("revoked family not freed")
	}
}

// Refresh churn cannot lock anyone out: a family is one record whatever the
// number of rotations, so another user can still log in with the store at
// its smallest size, and the reuse of a token from long ago is still caught.
func TestRefreshChurnKeepsOneRecordPerFamily(t *testing.T) {
	c := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	m := session.NewManagerWithLimits(c.now, session.Limits{Families: 2, FamiliesPerUser: 1})
	first, err := m.Create(bg, alice)
	if err != nil {
		t.Fatal(err)
	}
	tok := first
	for i := range 1000 {
		if tok, err = m.Refresh(bg, tok.RefreshToken); err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
	}
	if n := m.Len(); n != 1 {
		t.Fatalf("%d records after 1000 refreshes of one family, want 1", n)
	}
	if _, err := m.Create(bg, authz.Principal{Subject: "bob"}); err != nil {
		t.Fatalf("refresh churn denied another user's login: %v", err)
	}
	if _, err := m.Refresh(bg, first.RefreshToken); !errors.Is(err, session.ErrReuse) {
		t.Fatalf("reuse of the first token after 1000 rotations: %v, want ErrReuse", err)
	}
	if _, err := m.Lookup(bg, tok.SessionID); err == nil {
		t.Fatal("session of a revoked family still works")
	}
	if n := m.Len(); n != 1 {
		t.Fatalf("revoked family not freed: %d records, want 1 (bob)", n)
	}
}

// One user's logins are capped: the oldest family ends, its tokens stop
// working in Lookup and in Refresh, and other users are untouched.
func TestFamiliesPerUserCapped(t *testing.T) {
	c := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	m := session.NewManagerWithLimits(c.now, session.Limits{Families: 10, FamiliesPerUser: 3})
	bob, err := m.Create(bg, authz.Principal{Subject: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	var all []session.Tokens
	for i := range 50 {
		tok, err := m.Create(bg, alice)
		if err != nil {
			t.Fatalf("alice login %d: %v", i, err)
		}
		all = append(all, tok)
	}
	if n := m.Len(); n != 4 {
		t.Fatalf("%d families, want 3 of alice and 1 of bob", n)
	}
	if _, err := m.Refresh(bg, all[0].RefreshToken); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("evicted family refreshed: %v", err)
	}
	if _, err := m.Lookup(bg, all[0].SessionID); err == nil {
		t.Fatal("evicted family's session still works")
	}
	if _, err := m.Lookup(bg, all[49].SessionID); err != nil {
		t.Fatalf("newest login of alice: %v", err)
	}
	if _, err := m.Lookup(bg, bob.SessionID); err != nil {
		t.Fatalf("alice's logins ended bob's session: %v", err)
	}
	if _, err := m.Create(bg, authz.Principal{Subject: "carol"}); err != nil {
		t.Fatalf("another user cannot log in: %v", err)
	}
}

// Expired families are freed, so the store drains by itself.
func TestExpiredFamiliesFreed(t *testing.T) {
	c := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	m := session.NewManagerWithLimits(c.now, session.Limits{Families: 2, FamiliesPerUser: 2})
	for _, s := range []string{"a", "b"} {
		if _, err := m.Create(bg, authz.Principal{Subject: s}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Create(bg, authz.Principal{Subject: "c"}); !errors.Is(err, session.ErrFull) {
		t.Fatalf("full store: %v, want ErrFull", err)
	}
	c.t = c.t.Add(session.RefreshTTL)
	if _, err := m.Create(bg, authz.Principal{Subject: "c"}); err != nil {
		t.Fatalf("expired families not freed: %v", err)
	}
	if n := m.Len(); n != 1 {
		t.Fatalf("%d families, want 1", n)
	}
}

// Logout with only the session cookie ends the family.
func TestRevokeSessionEndsFamily(t *testing.T) {
	m, _ := newManager()
	t1, _ := m.Create(bg, alice)
	m.RevokeSession(bg, t1.SessionID)
	if _, err := m.Refresh(bg, t1.RefreshToken); err == nil {
		t.Fatal("refresh token survived logout by session")
	}
	if m.Len() != 0 {
		t.Fatal("revoked family not freed")
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
