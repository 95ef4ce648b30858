package store

import (
	"context"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Schema creates or upgrades the tables; only Migrate runs it.
//
//go:embed schema.sql
var Schema string

// Every statement is a constant with $n placeholders; values travel
// separately as arguments and are never spliced into SQL (APP-04).
//
// Each owner's usage (notes and bytes) is a row of note_owners that every
// write changes in the same statement as the note: the counter row is
// locked by the write, so concurrent writers of one owner, on any replica,
// cannot together pass the quota (the memory store's Limits, per owner).
const (
	// The note is inserted only if the owner's counters could grow.
	sqlInsert = `WITH u AS (
		INSERT INTO note_owners AS o (owner, notes, bytes) VALUES ($2, 1, $5)
		ON CONFLICT (owner) DO UPDATE SET notes = o.notes + 1, bytes = o.bytes + EXCLUDED.bytes
			WHERE o.notes < $6 AND o.bytes + EXCLUDED.bytes <= $7
		RETURNING o.owner)
	INSERT INTO notes (id, owner, title, body, version) SELECT $1, u.owner, $3, $4, 1 FROM u`
	sqlSelect = `SELECT id, owner, title, body, version FROM notes WHERE id = $1`
	// The note changes only at the expected version and if the owner's bytes
	// stay within the quota after the change.
	sqlUpdate = `WITH new AS (SELECT $5::bigint AS size, $6::bigint AS quota),
	old AS (SELECT id, owner, octet_length(title) + octet_length(body) AS size
		FROM notes WHERE id = $1 AND version = $4 FOR UPDATE),
	u AS (UPDATE note_owners o SET bytes = o.bytes - old.size + new.size FROM old, new
		WHERE o.owner = old.owner AND o.bytes - old.size + new.size <= new.quota RETURNING old.id)
	UPDATE notes SET title = $2, body = $3, version = version + 1 WHERE id IN (SELECT id FROM u) RETURNING version`
	sqlVersion = `SELECT version FROM notes WHERE id = $1`
	sqlDelete  = `WITH d AS (DELETE FROM notes WHERE id = $1 RETURNING owner, octet_length(title) + octet_length(body) AS size)
	UPDATE note_owners o SET notes = GREATEST(o.notes - 1, 0), bytes = GREATEST(o.bytes - d.size, 0) FROM d WHERE o.owner = d.owner`
	sqlDeleteV = `WITH d AS (DELETE FROM notes WHERE id = $1 AND version = $2 RETURNING owner, octet_length(title) + octet_length(body) AS size)
	UPDATE note_owners o SET notes = GREATEST(o.notes - 1, 0), bytes = GREATEST(o.bytes - d.size, 0) FROM d WHERE o.owner = d.owner`
	// sqlReady fails until the schema is migrated, so readiness waits for it.
	sqlReady = `SELECT version FROM notes LIMIT 0`
)

// Default timeouts, used when DATABASE_URL does not set its own.
const (
	DefaultConnectTimeout   = 5 * time.Second
	DefaultStatementTimeout = 5 * time.Second
)

// ErrInsecureURL is returned by OpenPostgres for a connection string that
// does not verify the server's certificate and host name.
var ErrInsecureURL = errors.New("store: DATABASE_URL must use sslmode=verify-full")

// DB is the part of *pgxpool.Pool the store uses.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Ping(ctx context.Context) error
}

// Postgres is a Notes store in PostgreSQL, bounded per owner.
type Postgres struct {
	db     DB
	limits Limits
}

// NewPostgres returns a store using db with DefaultLimits.
func NewPostgres(db DB) *Postgres { return NewPostgresWithLimits(db, DefaultLimits) }

// NewPostgresWithLimits returns a store using db with the given limits.
func NewPostgresWithLimits(db DB, l Limits) *Postgres { return &Postgres{db: db, limits: l} }

// OpenPostgres returns a connection pool for url. It refuses any url that
// does not verify the server certificate and host name (sslmode=verify-full,
// on every fallback too), and bounds connecting and every statement with
// DefaultConnectTimeout and DefaultStatementTimeout unless url sets
// connect_timeout or statement_timeout. Errors never quote url: it holds a
// password.
func OpenPostgres(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's error could quote the URL. A common cause besides a typo:
		// the CA file of sslrootcert or PGSSLROOTCERT is missing.
		return nil, errors.New("store: DATABASE_URL cannot be used (check its syntax and that its sslrootcert or PGSSLROOTCERT file exists)")
	}
	cc := cfg.ConnConfig
	// pgx verifies chain and host name only for verify-full: require, prefer
	// and verify-ca skip the host name check, disable and prefer may fall
	// back to plaintext.
	if !verifiesServer(cc.TLSConfig) {
		return nil, ErrInsecureURL
	}
	for _, fb := range cc.Fallbacks {
		if !verifiesServer(fb.TLSConfig) {
			return nil, ErrInsecureURL
		}
	}
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = DefaultConnectTimeout
	}
	if _, ok := cc.RuntimeParams["statement_timeout"]; !ok {
		cc.RuntimeParams["statement_timeout"] = fmt.Sprint(DefaultStatementTimeout.Milliseconds())
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, errors.New("store: DATABASE_URL: invalid pool configuration")
	}
	return pool, nil
}

func verifiesServer(c *tls.Config) bool {
	return c != nil && !c.InsecureSkipVerify && c.ServerName != ""
}

// roleName is what Migrate accepts as the runtime role: a plain identifier.
var roleName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Migrate creates or upgrades the schema and, when runtimeRole is set,
// grants that role read and write on the tables and nothing else. Run it
// with an administrative connection (`<service> migrate`), never from the
// running service.
func Migrate(ctx context.Context, db DB, runtimeRole string) error {
	if _, err := db.Exec(ctx, Schema); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if runtimeRole == "" {
		return nil
	}
	if !roleName.MatchString(runtimeRole) {
		return errors.New("store: migrate: the runtime role must be a lower-case SQL identifier")
	}
	// A role name cannot be a bind parameter; it is validated above and
	// quoted as an identifier here.
	grant := "GRANT SELECT, INSERT, UPDATE, DELETE ON notes, note_owners TO " + pgx.Identifier{runtimeRole}.Sanitize()
	if _, err := db.Exec(ctx, grant); err != nil {
		return fmt.Errorf("store: migrate: grant: %w", err)
	}
	return nil
}

// Create stores a new note at version 1, or returns ErrQuota when its owner
// has no room for it.
func (p *Postgres) Create(ctx context.Context, n Note) error {
	sz := size(n)
	if sz > p.limits.BytesPerOwner || p.limits.NotesPerOwner < 1 {
		return ErrQuota
	}
	tag, err := p.db.Exec(ctx, sqlInsert, n.ID, n.Owner, n.Title, n.Body, sz, p.limits.NotesPerOwner, p.limits.BytesPerOwner)
	if err != nil {
		return wrap("create", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrQuota
	}
	return nil
}

// Get returns the note id.
func (p *Postgres) Get(ctx context.Context, id string) (Note, error) {
	var n Note
	err := p.db.QueryRow(ctx, sqlSelect, id).Scan(&n.ID, &n.Owner, &n.Title, &n.Body, &n.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return Note{}, ErrNotFound
	}
	if err != nil {
		return Note{}, wrap("get", err)
	}
	return n, nil
}

// Update replaces the title and body of an existing note at n.Version in
// one statement, so two concurrent updates of one version cannot both win.
func (p *Postgres) Update(ctx context.Context, n Note) (int64, error) {
	var v int64
	err := p.db.QueryRow(ctx, sqlUpdate, n.ID, n.Title, n.Body, n.Version, size(n), p.limits.BytesPerOwner).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, wrap("update", err)
	}
	// Nothing updated: the note is gone, its version moved on, or the
	// change would take its owner over the quota.
	err = p.db.QueryRow(ctx, sqlVersion, n.ID).Scan(&v)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, ErrNotFound
	case err != nil:
		return 0, wrap("update", err)
	case v == n.Version:
		return 0, ErrQuota
	}
	return 0, ErrConflict
}

// Delete removes the note id at version (or at any version).
func (p *Postgres) Delete(ctx context.Context, id string, version int64) error {
	var tag pgconn.CommandTag
	var err error
	if version == AnyVersion {
		tag, err = p.db.Exec(ctx, sqlDelete, id)
	} else {
		tag, err = p.db.Exec(ctx, sqlDeleteV, id, version)
	}
	if err != nil {
		return wrap("delete", err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	if version == AnyVersion {
		return ErrNotFound
	}
	var v int64
	err = p.db.QueryRow(ctx, sqlVersion, id).Scan(&v)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return ErrNotFound
	case err != nil:
		return wrap("delete", err)
	}
	return ErrConflict
}

// Ping checks the connection and that the schema is migrated.
func (p *Postgres) Ping(ctx context.Context) error {
	if err := p.db.Ping(ctx); err != nil {
		return wrap("ping", err)
	}
	if _, err := p.db.Exec(ctx, sqlReady); err != nil {
		return wrap("schema check (run migrate)", err)
	}
	return nil
}

// wrap adds context to a database error and marks the ones a retry may fix
// (timeouts, cancelled statements, lost or refused connections) as
// ErrUnavailable, which the HTTP layer answers with 503.
func wrap(op string, err error) error {
	if unavailable(err) {
		return fmt.Errorf("store: %s: %w: %w", op, ErrUnavailable, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 57014 query_canceled (statement_timeout), 57P01-57P03 shutdown
		// and startup, class 08 connection exceptions.
		return pgErr.Code == "57014" || strings.HasPrefix(pgErr.Code, "57P") || strings.HasPrefix(pgErr.Code, "08")
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		pgconn.Timeout(err) || errors.As(err, &connErr) || errors.As(err, &netErr)
}
