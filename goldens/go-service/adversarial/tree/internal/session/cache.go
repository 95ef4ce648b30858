package session

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"sync"
	"time"

	"example.com/hostile/svc/internal/authz"
)

// LookupCacheTTL is the longest a replica answers a session lookup from
// memory instead of asking the shared store. It is also the bound on
// revocation across replicas: a session that another replica rotated out
// (refresh), revoked (logout, reuse of a refresh token) or evicted keeps
// working here for at most this long. On the replica that made the change
// it stops at once. An access token, by comparison, cannot be revoked at
// all before it expires.
const LookupCacheTTL = time.Second

// maxCachedSessions bounds the lookup cache; past it, lookups that find no
// room go to the shared store every time.
const maxCachedSessions = 10_000

// expiringStore is a Store that also says until when a session is live, so
// the cache never serves a session past its own expiry.
type expiringStore interface {
	Store
	lookupUntil(ctx context.Context, sessionID string) (authz.Principal, time.Time, error)
}

// Cached is a shared Store (Postgres) with a short-lived cache of session
// lookups in front of it: one lookup per session and LookupCacheTTL at most
// reaches the database, instead of one per request (APP-08). Everything
// else (Create, Refresh and its reuse detection, Revoke) goes to the shared
// store unchanged, so rotation stays one-time and a reused refresh token
// revokes its family exactly as without the cache (APP-13); the cache
// drops the family's entry after each of them. Only live sessions are
// cached: an unknown, forged or expired session ID always asks the store.
type Cached struct {
	store expiringStore
	ttl   time.Duration
	now   func() time.Time
	limit int

	mu      sync.Mutex
	entries map[string]cachedSession // by family ID
	// epoch counts the changes made through this replica; a lookup that
	// overlapped one does not cache what it read, which may predate it.
	epoch uint64
}

// cachedSession is one live session as the shared store last answered.
type cachedSession struct {
	sessionHash [sha256.Size]byte
	principal   authz.Principal
	until       time.Time // the earlier of the cache deadline and the session's expiry
}

var _ Store = (*Cached)(nil)

// NewCached returns store with a lookup cache of LookupCacheTTL on the wall
// clock.
func NewCached(store *Postgres) *Cached { return newCached(store, LookupCacheTTL, time.Now) }

// NewCachedWithClock returns store with a lookup cache of ttl (at most
// LookupCacheTTL) on the clock now.
func NewCachedWithClock(store *Postgres, ttl time.Duration, now func() time.Time) *Cached {
	return newCached(store, ttl, now)
}

func newCached(store expiringStore, ttl time.Duration, now func() time.Time) *Cached {
	return &Cached{store: store, ttl: min(ttl, LookupCacheTTL), now: now, limit: maxCachedSessions,
		entries: map[string]cachedSession{}}
}

// Lookup returns the principal of a live session: from the cache when the
// shared store confirmed this very session ID less than the TTL ago and it
// has not expired since, from the store otherwise.
func (c *Cached) Lookup(ctx context.Context, sessionID string) (authz.Principal, error) {
	fam, secret, ok := split(sessionID)
	if !ok {
		return authz.Principal{}, ErrInvalid
	}
	sum := hash(secret)
	now := c.now()
	c.mu.Lock()
	e, hit := c.entries[fam]
	epoch := c.epoch
	c.mu.Unlock()
	// APP-09: the session secret's hash is compared in constant time.
	if hit && now.Before(e.until) && subtle.ConstantTimeCompare(sum[:], e.sessionHash[:]) == 1 {
		p := e.principal
		p.Roles = slices.Clone(p.Roles)
		return p, nil
	}
	p, expires, err := c.store.lookupUntil(ctx, sessionID)
	if err != nil {
		return authz.Principal{}, err
	}
	c.remember(fam, epoch, cachedSession{
		sessionHash: sum,
		principal:   authz.Principal{Subject: p.Subject, Roles: slices.Clone(p.Roles)},
		until:       minTime(now.Add(c.ttl), expires),
	})
	return p, nil
}

// remember caches e unless a change went through this replica since the
// lookup began (epoch) or the cache has no room even after dropping
// entries past their deadline.
func (c *Cached) remember(fam string, epoch uint64, e cachedSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.entries) >= c.limit {
		now := c.now()
		for k, old := range c.entries {
			if !now.Before(old.until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.limit {
			return
		}
	}
	c.entries[fam] = e
}

// forget drops the cached session of the family a token names, after the
// shared store changed (or may have changed) that family.
func (c *Cached) forget(token string) {
	fam, _, _ := split(token)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	delete(c.entries, fam)
}

// Create starts a new token family in the shared store.
func (c *Cached) Create(ctx context.Context, p authz.Principal) (Tokens, error) {
	t, err := c.store.Create(ctx, p)
	// The new family may have evicted one of the subject's older ones; no
	// lookup that overlapped it is cached.
	c.mu.Lock()
	c.epoch++
	c.mu.Unlock()
	return t, err
}

// Refresh rotates in the shared store; the old session stops working on
// this replica at once, whatever the outcome.
func (c *Cached) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	defer c.forget(refreshToken)
	return c.store.Refresh(ctx, refreshToken)
}

// Revoke ends the family of refreshToken in the shared store and here.
func (c *Cached) Revoke(ctx context.Context, refreshToken string) error {
	defer c.forget(refreshToken)
	return c.store.Revoke(ctx, refreshToken)
}

// RevokeSession ends the family of a session ID in the shared store and
// here.
func (c *Cached) RevokeSession(ctx context.Context, sessionID string) error {
	defer c.forget(sessionID)
	return c.store.RevokeSession(ctx, sessionID)
}
