package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Schema creates the notes table.
//
//go:embed schema.sql
var Schema string

// Every statement is a constant with $n placeholders; values travel
// separately as arguments and are never spliced into SQL (APP-04).
const (
	sqlInsert = `INSERT INTO notes (id, owner, title, body) VALUES ($1, $2, $3, $4)`
	sqlSelect = `SELECT id, owner, title, body FROM notes WHERE id = $1`
	sqlUpdate = `UPDATE notes SET title = $2, body = $3 WHERE id = $1`
	sqlDelete = `DELETE FROM notes WHERE id = $1`
)

// DB is the part of *pgxpool.Pool the store uses.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Ping(ctx context.Context) error
}

// Postgres is a Notes store in PostgreSQL.
type Postgres struct{ db DB }

// NewPostgres returns a store using db.
func NewPostgres(db DB) *Postgres { return &Postgres{db: db} }

// Migrate creates the schema if it does not exist.
func (p *Postgres) Migrate(ctx context.Context) error {
	if _, err := p.db.Exec(ctx, Schema); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// Create stores a new note.
func (p *Postgres) Create(ctx context.Context, n Note) error {
	if _, err := p.db.Exec(ctx, sqlInsert, n.ID, n.Owner, n.Title, n.Body); err != nil {
		return fmt.Errorf("store: create: %w", err)
	}
	return nil
}

// Get returns the note id.
func (p *Postgres) Get(ctx context.Context, id string) (Note, error) {
	var n Note
	err := p.db.QueryRow(ctx, sqlSelect, id).Scan(&n.ID, &n.Owner, &n.Title, &n.Body)
	if errors.Is(err, pgx.ErrNoRows) {
		return Note{}, ErrNotFound
	}
	if err != nil {
		return Note{}, fmt.Errorf("store: get: %w", err)
	}
	return n, nil
}

// Update replaces the title and body of an existing note.
func (p *Postgres) Update(ctx context.Context, n Note) error {
	tag, err := p.db.Exec(ctx, sqlUpdate, n.ID, n.Title, n.Body)
	if err != nil {
		return fmt.Errorf("store: update: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// Delete removes the note id.
func (p *Postgres) Delete(ctx context.Context, id string) error {
	tag, err := p.db.Exec(ctx, sqlDelete, id)
	if err != nil {
		return fmt.Errorf("store: delete: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// Ping checks the database connection.
func (p *Postgres) Ping(ctx context.Context) error { return p.db.Ping(ctx) }
