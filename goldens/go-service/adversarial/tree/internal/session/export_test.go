package session

import "time"

// NewCachedManager returns a lookup cache over m, as Cached is over
// Postgres: two of them over one Manager behave as two replicas sharing a
// store (tests only).
func NewCachedManager(m *Manager, ttl time.Duration, now func() time.Time) *Cached {
	return newCached(m, ttl, now)
}

// SetLimit replaces the bound of the cache (tests only).
func (c *Cached) SetLimit(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = n
}

// Len returns the number of cached sessions.
func (c *Cached) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
