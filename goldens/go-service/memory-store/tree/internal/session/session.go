// Package session keeps browser sessions and their refresh tokens.
//
// A login starts a token family: one record holding the principal, the
// SHA-256 hash of the family's current refresh token and of its current
// session ID, and their expiries. A token is "<family ID>.<secret>"; only
// hashes of secrets are stored, so a leaked store does not leak usable
// tokens. Refresh tokens rotate on every use: the record's hashes are
// replaced in place, so rotation never grows the store, and a token of the
// family that is not the current one can only be an old one presented again,
// which means it was stolen: the whole family is revoked (APP-13) without
// any used token ever being kept.
//
// The store is bounded: at most Limits.FamiliesPerUser families per subject
// (a new login evicts the subject's oldest) and Limits.Families in all.
// Revoked and expired families are deleted.
//
// Manager keeps the families in memory: they do not survive a restart and
// are not shared between replicas, so it serves one process only. With
// database=none the service runs it, which is right for one replica only: a
// refresh that reaches another replica would find no family.
package session

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"example.com/scratchpad/internal/authz"
	"example.com/scratchpad/internal/crypto"
)

// Lifetimes of sessions, refresh tokens and token families.
const (
	SessionTTL   = 15 * time.Minute
	RefreshTTL   = 8 * time.Hour
	FamilyMaxAge = 24 * time.Hour
	// sweepEvery bounds how often Create scans the whole store for expired
	// families while it is not full.
	sweepEvery = time.Minute
)

// Limits bound the number of token families kept in memory.
type Limits struct {
	// Families is the most families (logged-in browsers) in all.
	Families int
	// FamiliesPerUser is the most families of one subject; a new login of
	// that subject ends its oldest one.
	FamiliesPerUser int
}

// DefaultLimits are the limits of NewManager.
var DefaultLimits = Limits{Families: 100_000, FamiliesPerUser: 10}

// Errors returned by the stores.
var (
	ErrInvalid = errors.New("session: invalid or expired")
	ErrReuse   = errors.New("session: refresh token reused; family revoked")
	ErrFull    = errors.New("session: too many sessions")
	// ErrUnavailable wraps failures of a shared store that a retry may fix;
	// they say nothing about the token, so no cookie is cleared for them.
	ErrUnavailable = errors.New("session: store unavailable")
)

// Store issues, looks up, rotates and revokes sessions: the Manager in
// memory.
type Store interface {
	// Create starts a new token family for p and returns its first tokens.
	Create(ctx context.Context, p authz.Principal) (Tokens, error)
	// Lookup returns the principal of a live session.
	Lookup(ctx context.Context, sessionID string) (authz.Principal, error)
	// Refresh exchanges a refresh token for new tokens; a token used twice
	// revokes its family (ErrReuse).
	Refresh(ctx context.Context, refreshToken string) (Tokens, error)
	// Revoke ends the family of a refresh token; RevokeSession that of a
	// session ID. Unknown tokens are ignored.
	Revoke(ctx context.Context, refreshToken string) error
	RevokeSession(ctx context.Context, sessionID string) error
}

var _ Store = (*Manager)(nil)

// family is the only record of a login: its current tokens, as hashes.
type family struct {
	id             string
	principal      authz.Principal
	refreshHash    [sha256.Size]byte
	refreshExpires time.Time
	sessionHash    [sha256.Size]byte
	sessionExpires time.Time
	expires        time.Time
}

// Tokens are what a client holds after login or refresh.
type Tokens struct {
	SessionID    string
	RefreshToken string
}

// Manager issues, looks up, rotates and revokes sessions.
type Manager struct {
	mu        sync.Mutex
	now       func() time.Time
	limits    Limits
	families  map[string]*family
	byUser    map[string][]string // subject -> family IDs, oldest first
	lastSweep time.Time
}

// NewManager returns an empty Manager using the wall clock and DefaultLimits.
func NewManager() *Manager { return NewManagerWithLimits(time.Now, DefaultLimits) }

// NewManagerWithClock returns an empty Manager using now as its clock.
func NewManagerWithClock(now func() time.Time) *Manager {
	return NewManagerWithLimits(now, DefaultLimits)
}

// NewManagerWithLimits returns an empty Manager using now as its clock and
// the given limits; a limit below 1 is raised to 1.
func NewManagerWithLimits(now func() time.Time, l Limits) *Manager {
	l.Families = max(l.Families, 1)
	l.FamiliesPerUser = max(l.FamiliesPerUser, 1)
	return &Manager{now: now, limits: l, families: map[string]*family{}, byUser: map[string][]string{}}
}

// Len returns the number of live token families.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.families)
}

func hash(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }

// split parses "<family ID>.<secret>".
func split(token string) (fam, secret string, ok bool) {
	fam, secret, ok = strings.Cut(token, ".")
	return fam, secret, ok && fam != "" && secret != "" && len(token) <= 128
}

// Create starts a new token family for p and returns its first tokens. When
// p's subject already has FamiliesPerUser families, the oldest ends.
func (m *Manager) Create(_ context.Context, p authz.Principal) (Tokens, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if len(m.families) >= m.limits.Families || now.Sub(m.lastSweep) >= sweepEvery {
		m.sweep(now)
	}
	for len(m.byUser[p.Subject]) >= m.limits.FamiliesPerUser {
		m.remove(m.byUser[p.Subject][0])
	}
	if len(m.families) >= m.limits.Families {
		return Tokens{}, ErrFull
	}
	id, err := crypto.Token(16)
	if err != nil {
		return Tokens{}, err
	}
	p.Roles = slices.Clone(p.Roles)
	f := &family{id: id, principal: p, expires: now.Add(FamilyMaxAge)}
	t, err := rotate(f, now)
	if err != nil {
		return Tokens{}, err
	}
	m.families[id] = f
	m.byUser[p.Subject] = append(m.byUser[p.Subject], id)
	return t, nil
}

// rotate gives f a new session and refresh token, replacing the old ones.
func rotate(f *family, now time.Time) (Tokens, error) {
	sid, err := crypto.Token(32)
	if err != nil {
		return Tokens{}, err
	}
	rt, err := crypto.Token(32)
	if err != nil {
		return Tokens{}, err
	}
	f.sessionHash, f.sessionExpires = hash(sid), minTime(now.Add(SessionTTL), f.expires)
	f.refreshHash, f.refreshExpires = hash(rt), minTime(now.Add(RefreshTTL), f.expires)
	return Tokens{SessionID: f.id + "." + sid, RefreshToken: f.id + "." + rt}, nil
}

// Lookup returns the principal of a live session.
func (m *Manager) Lookup(ctx context.Context, sessionID string) (authz.Principal, error) {
	p, _, err := m.lookupUntil(ctx, sessionID)
	return p, err
}

// lookupUntil returns the principal of a live session and when it expires.
func (m *Manager) lookupUntil(_ context.Context, sessionID string) (authz.Principal, time.Time, error) {
	fam, secret, ok := split(sessionID)
	if !ok {
		return authz.Principal{}, time.Time{}, ErrInvalid
	}
	sum := hash(secret)
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.families[fam]
	if f == nil || subtle.ConstantTimeCompare(sum[:], f.sessionHash[:]) != 1 || !m.now().Before(f.sessionExpires) {
		return authz.Principal{}, time.Time{}, ErrInvalid
	}
	p := f.principal
	p.Roles = slices.Clone(p.Roles)
	return p, f.sessionExpires, nil
}

// Refresh exchanges a refresh token for new tokens. The old refresh token
// and session stop working. A refresh token of the family that is not its
// current one was used before: the whole family is revoked and Refresh
// returns ErrReuse.
//
// Refresh only rewrites the family's record, so the limits Create enforces
// hold after any number of refreshes; a family Create evicted to respect
// them is gone, and its tokens are refused here.
func (m *Manager) Refresh(_ context.Context, refreshToken string) (Tokens, error) {
	fam, secret, ok := split(refreshToken)
	if !ok {
		return Tokens{}, ErrInvalid
	}
	sum := hash(secret)
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.families[fam]
	if f == nil {
		return Tokens{}, ErrInvalid
	}
	now := m.now()
	if subtle.ConstantTimeCompare(sum[:], f.refreshHash[:]) != 1 {
		m.remove(fam)
		return Tokens{}, ErrReuse
	}
	if !now.Before(f.refreshExpires) {
		m.remove(fam)
		return Tokens{}, ErrInvalid
	}
	return rotate(f, now)
}

// Revoke ends the family of refreshToken (logout). Unknown tokens are ignored.
func (m *Manager) Revoke(_ context.Context, refreshToken string) error {
	m.revokeFamilyOf(refreshToken)
	return nil
}

// RevokeSession ends the family of a session ID (logout with only the
// session cookie). Unknown IDs are ignored.
func (m *Manager) RevokeSession(_ context.Context, sessionID string) error {
	m.revokeFamilyOf(sessionID)
	return nil
}

// revokeFamilyOf ends the family a token names. Knowing a family ID means
// having held one of its tokens, current or old; either way logging out
// (or a replay) ends the family.
func (m *Manager) revokeFamilyOf(token string) {
	fam, _, ok := split(token)
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.remove(fam)
}

// remove deletes family fam and its index entry. m.mu is held.
func (m *Manager) remove(fam string) {
	f := m.families[fam]
	if f == nil {
		return
	}
	delete(m.families, fam)
	ids := slices.DeleteFunc(m.byUser[f.principal.Subject], func(id string) bool { return id == fam })
	if len(ids) == 0 {
		delete(m.byUser, f.principal.Subject)
	} else {
		m.byUser[f.principal.Subject] = ids
	}
}

// sweep deletes families that can no longer be used. m.mu is held.
func (m *Manager) sweep(now time.Time) {
	m.lastSweep = now
	for id, f := range m.families {
		if !now.Before(f.refreshExpires) {
			m.remove(id)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
