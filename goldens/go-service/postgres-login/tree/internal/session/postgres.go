package session

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example-org/notes-api/internal/authz"
	"github.com/example-org/notes-api/internal/crypto"
)

// Every statement is a constant with $n placeholders (APP-04). The table
// (session_families, created by `migrate`) holds the same record as the
// Manager's family: hashes of the current tokens, never a token.
const (
	sqlSweep = `DELETE FROM session_families WHERE refresh_expires <= $1`
	// The subject's newest FamiliesPerUser-1 families stay; older ones end.
	sqlEvictOldest = `DELETE FROM session_families WHERE id IN (
		SELECT id FROM session_families WHERE subject = $1 ORDER BY created DESC, id OFFSET $2)`
	sqlCount  = `SELECT count(*) FROM session_families`
	sqlInsert = `INSERT INTO session_families
		(id, subject, roles, refresh_hash, refresh_expires, session_hash, session_expires, expires, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	sqlLookup  = `SELECT subject, roles, session_hash, session_expires FROM session_families WHERE id = $1`
	sqlCurrent = `SELECT refresh_hash, refresh_expires, expires FROM session_families WHERE id = $1`
	// The rotation happens only if the refresh token is still the current
	// one: of two replicas presenting the same token at once, one wins and
	// the other sees a reuse.
	sqlRotate = `UPDATE session_families
		SET refresh_hash = $3, refresh_expires = $4, session_hash = $5, session_expires = $6
		WHERE id = $1 AND refresh_hash = $2`
	sqlDelete = `DELETE FROM session_families WHERE id = $1`
	// Logins of one subject are serialised so its limit holds under
	// concurrent logins; the key is derived from the subject.
	sqlLockSubject = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`
)

// Postgres keeps token families in PostgreSQL under the Manager's rules,
// so every replica sees every session: a login on one replica, a refresh on
// another and a replay on a third behave as in one process.
type Postgres struct {
	db     *pgxpool.Pool
	now    func() time.Time
	limits Limits
}

var _ Store = (*Postgres)(nil)

// NewPostgres returns a store in db using the wall clock and DefaultLimits.
func NewPostgres(db *pgxpool.Pool) *Postgres {
	return NewPostgresWithLimits(db, time.Now, DefaultLimits)
}

// NewPostgresWithLimits returns a store in db using now as its clock and the
// given limits; a limit below 1 is raised to 1.
func NewPostgresWithLimits(db *pgxpool.Pool, now func() time.Time, l Limits) *Postgres {
	l.Families = max(l.Families, 1)
	l.FamiliesPerUser = max(l.FamiliesPerUser, 1)
	return &Postgres{db: db, now: now, limits: l}
}

// Create starts a new token family for p. Expired families are deleted
// first; when p's subject has FamiliesPerUser families the oldest ends, and
// when the table holds Families, Create returns ErrFull.
func (s *Postgres) Create(ctx context.Context, p authz.Principal) (Tokens, error) {
	now := s.now().UTC()
	id, err := crypto.Token(16)
	if err != nil {
		return Tokens{}, err
	}
	f := &family{id: id, principal: p, expires: now.Add(FamilyMaxAge)}
	t, err := rotate(f, now)
	if err != nil {
		return Tokens{}, err
	}
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlLockSubject, p.Subject); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlSweep, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlEvictOldest, p.Subject, s.limits.FamiliesPerUser-1); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, sqlCount).Scan(&n); err != nil {
			return err
		}
		if n >= s.limits.Families {
			return ErrFull
		}
		roles := p.Roles
		if roles == nil {
			roles = []string{}
		}
		_, err := tx.Exec(ctx, sqlInsert, f.id, p.Subject, roles, f.refreshHash[:], f.refreshExpires,
			f.sessionHash[:], f.sessionExpires, f.expires, now)
		return err
	})
	if errors.Is(err, ErrFull) {
		return Tokens{}, ErrFull
	}
	if err != nil {
		return Tokens{}, wrap("create", err)
	}
	return t, nil
}

// Lookup returns the principal of a live session.
func (s *Postgres) Lookup(ctx context.Context, sessionID string) (authz.Principal, error) {
	p, _, err := s.lookupUntil(ctx, sessionID)
	return p, err
}

// lookupUntil returns the principal of a live session and when it expires.
func (s *Postgres) lookupUntil(ctx context.Context, sessionID string) (authz.Principal, time.Time, error) {
	fam, secret, ok := split(sessionID)
	if !ok {
		return authz.Principal{}, time.Time{}, ErrInvalid
	}
	var p authz.Principal
	var stored []byte
	var expires time.Time
	err := s.db.QueryRow(ctx, sqlLookup, fam).Scan(&p.Subject, &p.Roles, &stored, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return authz.Principal{}, time.Time{}, ErrInvalid
	}
	if err != nil {
		return authz.Principal{}, time.Time{}, wrap("lookup", err)
	}
	sum := hash(secret)
	// APP-09: compared in constant time, as in memory.
	if subtle.ConstantTimeCompare(sum[:], stored) != 1 || !s.now().Before(expires) {
		return authz.Principal{}, time.Time{}, ErrInvalid
	}
	p.Roles = slices.Clip(p.Roles)
	return p, expires, nil
}

// Refresh exchanges a refresh token for new tokens. A token of the family
// that is not its current one, or one another replica rotated a moment
// before, was used twice: the family is revoked and Refresh returns ErrReuse.
func (s *Postgres) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	fam, secret, ok := split(refreshToken)
	if !ok {
		return Tokens{}, ErrInvalid
	}
	var stored []byte
	var refreshExpires, expires time.Time
	err := s.db.QueryRow(ctx, sqlCurrent, fam).Scan(&stored, &refreshExpires, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return Tokens{}, ErrInvalid
	}
	if err != nil {
		return Tokens{}, wrap("refresh", err)
	}
	sum := hash(secret)
	now := s.now().UTC()
	if subtle.ConstantTimeCompare(sum[:], stored) != 1 {
		return Tokens{}, s.revoke(ctx, fam, ErrReuse)
	}
	if !now.Before(refreshExpires) {
		return Tokens{}, s.revoke(ctx, fam, ErrInvalid)
	}
	f := &family{id: fam, expires: expires.UTC()}
	t, err := rotate(f, now)
	if err != nil {
		return Tokens{}, err
	}
	tag, err := s.db.Exec(ctx, sqlRotate, fam, sum[:], f.refreshHash[:], f.refreshExpires, f.sessionHash[:], f.sessionExpires)
	if err != nil {
		return Tokens{}, wrap("refresh", err)
	}
	if tag.RowsAffected() == 0 {
		// Rotated (or revoked) since we read it: the same token twice.
		return Tokens{}, s.revoke(ctx, fam, ErrReuse)
	}
	return t, nil
}

// revoke deletes family fam and returns reason, or the deletion's failure.
func (s *Postgres) revoke(ctx context.Context, fam string, reason error) error {
	if _, err := s.db.Exec(ctx, sqlDelete, fam); err != nil {
		return wrap("revoke", err)
	}
	return reason
}

// Revoke ends the family of refreshToken (logout). Unknown tokens are ignored.
func (s *Postgres) Revoke(ctx context.Context, refreshToken string) error {
	return s.revokeFamilyOf(ctx, refreshToken)
}

// RevokeSession ends the family of a session ID. Unknown IDs are ignored.
func (s *Postgres) RevokeSession(ctx context.Context, sessionID string) error {
	return s.revokeFamilyOf(ctx, sessionID)
}

func (s *Postgres) revokeFamilyOf(ctx context.Context, token string) error {
	fam, _, ok := split(token)
	if !ok {
		return nil
	}
	if _, err := s.db.Exec(ctx, sqlDelete, fam); err != nil {
		return wrap("revoke", err)
	}
	return nil
}

// wrap adds context to a database error and marks it ErrUnavailable: a
// failure of the store (a lost connection, a timeout, a schema that
// migrate has not created) is never evidence about a token.
func wrap(op string, err error) error {
	return fmt.Errorf("session: %s: %w: %w", op, ErrUnavailable, err)
}
