package session_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/example-org/notes-api/internal/session"
)

// twoReplicas returns two lookup caches over one store, as two replicas
// over the shared database, and the clock of all three.
func twoReplicas() (a, b *session.Cached, c *clock) {
	m, c := newManager()
	return session.NewCachedManager(m, session.LookupCacheTTL, c.now), session.NewCachedManager(m, session.LookupCacheTTL, c.now), c
}

func live(t *testing.T, s session.Store, sid, where string) {
	t.Helper()
	if p, err := s.Lookup(bg, sid); err != nil || p.Subject != "alice" || len(p.Roles) != 1 || p.Roles[0] != "writer" {
		t.Fatalf("%s: session not live: %+v %v", where, p, err)
	}
}

func dead(t *testing.T, s session.Store, sid, where string) {
	t.Helper()
	if _, err := s.Lookup(bg, sid); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("%s: session still live: %v", where, err)
	}
}

// APP-08, APP-13: revocation with the lookup cache. Logout ends the session
// at once on the replica that served it and within LookupCacheTTL on every
// other replica, never later.
func TestCachedRevocationIsBounded(t *testing.T) {
	if session.LookupCacheTTL > time.Second {
		t.Fatalf("LookupCacheTTL %s: revocation across replicas would take longer than documented", session.LookupCacheTTL)
	}
	a, b, c := twoReplicas()
	tok, err := a.Create(bg, alice)
	if err != nil {
		t.Fatal(err)
	}
	live(t, a, tok.SessionID, "replica a")
	live(t, b, tok.SessionID, "replica b") // both have it cached now
	if err := a.Revoke(bg, tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	dead(t, a, tok.SessionID, "replica a, right after logout there")
	live(t, b, tok.SessionID, "replica b, within the cache TTL") // the documented bound, not a wish
	c.t = c.t.Add(session.LookupCacheTTL)
	dead(t, b, tok.SessionID, "replica b, one cache TTL after the logout")
}

// APP-13: rotation with the lookup cache. A refresh retires the old session
// at once where it ran and within LookupCacheTTL elsewhere; replaying the
// old refresh token on any replica is a reuse that revokes the family, as
// without the cache.
func TestCachedRotationAndReuseStayExact(t *testing.T) {
	a, b, c := twoReplicas()
	t1, err := a.Create(bg, alice)
	if err != nil {
		t.Fatal(err)
	}
	live(t, a, t1.SessionID, "replica a")
	live(t, b, t1.SessionID, "replica b")
	t2, err := b.Refresh(bg, t1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	dead(t, b, t1.SessionID, "the old session on the refreshing replica")
	live(t, a, t2.SessionID, "the new session on the other replica")
	live(t, b, t2.SessionID, "the new session on the refreshing replica")
	if _, err := a.Refresh(bg, t1.RefreshToken); !errors.Is(err, session.ErrReuse) {
		t.Fatalf("replaying the rotated refresh token on replica a: %v, want ErrReuse", err)
	}
	dead(t, a, t2.SessionID, "the revoked family's session on the replica that saw the reuse")
	live(t, b, t2.SessionID, "replica b, within the cache TTL")
	c.t = c.t.Add(session.LookupCacheTTL)
	dead(t, b, t2.SessionID, "the revoked family's session one cache TTL later")
	if _, err := b.Refresh(bg, t2.RefreshToken); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("the revoked family's refresh token was not refused (%v)", err)
	}
}

// The cache serves only the session ID the store confirmed, never past the
// session's own expiry, and never remembers a failed lookup.
func TestCachedLookupIsNoLooserThanTheStore(t *testing.T) {
	a, _, c := twoReplicas()
	tok, err := a.Create(bg, alice)
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(session.SessionTTL - session.LookupCacheTTL/2)
	live(t, a, tok.SessionID, "just before expiry")
	fam, _, _ := strings.Cut(tok.SessionID, ".")
	dead(t, a, fam+".forged-secret", "another secret of a cached family")
	dead(t, a, "unknown.family", "an unknown family")
	if n := a.Len(); n != 1 {
		t.Fatalf("%d sessions cached, want 1 (failed lookups are not)", n)
	}
	c.t = c.t.Add(session.LookupCacheTTL / 2)
	dead(t, a, tok.SessionID, "at the session's expiry, within the cache TTL")
	p, err := a.Lookup(bg, "")
	if err == nil {
		t.Fatalf("empty session ID: %+v", p)
	}
}

// The cache is bounded; past its limit, lookups still work, uncached.
func TestCachedLookupsAreBounded(t *testing.T) {
	a, _, c := twoReplicas()
	a.SetLimit(2)
	var ids []string
	for range 3 {
		tok, err := a.Create(bg, alice)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tok.SessionID)
	}
	for _, id := range ids {
		live(t, a, id, "a session past the limit")
	}
	if n := a.Len(); n != 2 {
		t.Fatalf("%d sessions cached, want the limit of 2", n)
	}
	c.t = c.t.Add(session.LookupCacheTTL)
	live(t, a, ids[2], "after the cached ones expired")
	if n := a.Len(); n != 1 {
		t.Fatalf("%d sessions cached, want 1 (the expired entries made room)", n)
	}
}
