// Package session keeps browser sessions and their refresh tokens.
//
// Session IDs and refresh tokens are random 256-bit values; only their
// SHA-256 hashes are stored, so a leaked store does not leak usable tokens.
// Refresh tokens rotate on every use and belong to a family: presenting a
// token that was already used means it was stolen, and the whole family is
// revoked, with every session it created (APP-13).
//
// The store is in memory, so sessions do not survive a restart and are not
// shared between replicas; put the same logic behind a shared store before
// running more than one replica with login enabled.
package session

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"example.com/demo-service/internal/authz"
	"example.com/demo-service/internal/crypto"
)

// Lifetimes of sessions, refresh tokens and token families.
const (
	SessionTTL   = 15 * time.Minute
	RefreshTTL   = 8 * time.Hour
	FamilyMaxAge = 24 * time.Hour
	maxEntries   = 100_000
)

// Errors returned by the Manager.
var (
	ErrInvalid = errors.New("session: invalid or expired")
	ErrReuse   = errors.New("session: refresh token reused; family revoked")
	ErrFull    = errors.New("session: too many sessions")
)

type sessionEntry struct {
	principal authz.Principal
	family    string
	expires   time.Time
}

type refreshEntry struct {
	family  string
	used    bool
	expires time.Time
}

type family struct {
	principal authz.Principal
	revoked   bool
	expires   time.Time
}

// Tokens are what a client holds after login or refresh.
type Tokens struct {
	SessionID    string
	RefreshToken string
}

// Manager issues, looks up, rotates and revokes sessions.
type Manager struct {
	mu       sync.Mutex
	now      func() time.Time
	sessions map[string]sessionEntry
	refresh  map[string]refreshEntry
	families map[string]*family
}

// NewManager returns an empty Manager using the wall clock.
func NewManager() *Manager { return NewManagerWithClock(time.Now) }

// NewManagerWithClock returns an empty Manager using now as its clock.
func NewManagerWithClock(now func() time.Time) *Manager {
	return &Manager{
		now:      now,
		sessions: map[string]sessionEntry{},
		refresh:  map[string]refreshEntry{},
		families: map[string]*family{},
	}
}

func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Create starts a new token family for p and returns its first tokens.
func (m *Manager) Create(p authz.Principal) (Tokens, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep()
	if len(m.refresh) >= maxEntries || len(m.sessions) >= maxEntries {
		return Tokens{}, ErrFull
	}
	id, err := crypto.Token(32)
	if err != nil {
		return Tokens{}, err
	}
	fam := hash(id)
	m.families[fam] = &family{principal: p, expires: m.now().Add(FamilyMaxAge)}
	return m.issue(fam)
}

// issue creates a session and a refresh token in family fam. m.mu is held.
func (m *Manager) issue(fam string) (Tokens, error) {
	sid, err := crypto.Token(32)
	if err != nil {
		return Tokens{}, err
	}
	rt, err := crypto.Token(32)
	if err != nil {
		return Tokens{}, err
	}
	now := m.now()
	f := m.families[fam]
	m.sessions[hash(sid)] = sessionEntry{principal: f.principal, family: fam, expires: now.Add(SessionTTL)}
	m.refresh[hash(rt)] = refreshEntry{family: fam, expires: minTime(now.Add(RefreshTTL), f.expires)}
	return Tokens{SessionID: sid, RefreshToken: rt}, nil
}

// Lookup returns the principal of a live session.
func (m *Manager) Lookup(sessionID string) (authz.Principal, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[hash(sessionID)]
	if !ok || !m.now().Before(s.expires) {
		return authz.Principal{}, ErrInvalid
	}
	if f := m.families[s.family]; f == nil || f.revoked {
		return authz.Principal{}, ErrInvalid
	}
	return s.principal, nil
}

// Refresh exchanges a refresh token for new tokens. The old refresh token
// and the family's sessions stop working. A refresh token presented a second
// time revokes its whole family and returns ErrReuse.
func (m *Manager) Refresh(refreshToken string) (Tokens, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := hash(refreshToken)
	r, ok := m.refresh[key]
	if !ok {
		return Tokens{}, ErrInvalid
	}
	f := m.families[r.family]
	if f == nil || f.revoked {
		return Tokens{}, ErrInvalid
	}
	if r.used {
		m.revoke(r.family)
		return Tokens{}, ErrReuse
	}
	if !m.now().Before(r.expires) {
		return Tokens{}, ErrInvalid
	}
	r.used = true
	m.refresh[key] = r
	m.endSessions(r.family)
	t, err := m.issue(r.family)
	if err != nil {
		return Tokens{}, fmt.Errorf("session: refresh: %w", err)
	}
	return t, nil
}

// Revoke ends the family of refreshToken (logout). Unknown tokens are ignored.
func (m *Manager) Revoke(refreshToken string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.refresh[hash(refreshToken)]; ok {
		m.revoke(r.family)
	}
}

// revoke marks the family revoked and drops its sessions. m.mu is held.
func (m *Manager) revoke(fam string) {
	if f := m.families[fam]; f != nil {
		f.revoked = true
	}
	m.endSessions(fam)
}

func (m *Manager) endSessions(fam string) {
	for k, s := range m.sessions {
		if s.family == fam {
			delete(m.sessions, k)
		}
	}
}

// sweep drops expired entries. m.mu is held.
func (m *Manager) sweep() {
	now := m.now()
	for k, s := range m.sessions {
		if !now.Before(s.expires) {
			delete(m.sessions, k)
		}
	}
	for fam, f := range m.families {
		if now.Before(f.expires) {
			continue
		}
		delete(m.families, fam)
		for k, r := range m.refresh {
			if r.family == fam {
				delete(m.refresh, k)
			}
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
