// Package store persists notes, the example resource of the service.
//
// Bodies are stored encrypted (APP-17) by the caller; the store sees only
// ciphertext. The owner is set by the server from the authenticated
// principal, never from the request body (APP-06, APP-14). Every note has a
// version that each update increments; updates and deletes can require the
// version the client last saw, so concurrent writers cannot silently
// overwrite each other (the HTTP layer maps it to ETag and If-Match).
package store

import (
	"context"
	"errors"
)

// Errors of the Notes methods. The HTTP layer maps each to one status.
var (
	// ErrNotFound is returned for a note that does not exist (any more).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned when the note's version is not the expected one.
	ErrConflict = errors.New("store: version conflict")
	// ErrQuota is returned when the owner has no room for the note.
	ErrQuota = errors.New("store: owner quota exceeded")
	// ErrUnavailable wraps failures of the backing database that a retry
	// may fix: timeouts, cancelled statements, lost connections.
	ErrUnavailable = errors.New("store: unavailable")
)

// Limits bound what one owner may keep in a store, so no client can exhaust
// its memory or its database: the same limits in memory and in PostgreSQL.
type Limits struct {
	NotesPerOwner int
	BytesPerOwner int // title and ciphertext bytes
}

// DefaultLimits are the limits of NewMemory.
var DefaultLimits = Limits{NotesPerOwner: 1000, BytesPerOwner: 4 << 20}

// AnyVersion as the expected version of Delete deletes whatever the version.
const AnyVersion int64 = 0

// Note is a stored note.
type Note struct {
	ID      string
	Owner   string
	Title   string
	Body    []byte // AES-256-GCM ciphertext
	Version int64  // 1 on creation, incremented by every update
}

// Notes is the persistence interface of the service.
type Notes interface {
	// Create stores a new note at version 1.
	Create(ctx context.Context, n Note) error
	Get(ctx context.Context, id string) (Note, error)
	// Update replaces the title and body of n.ID if its stored version is
	// n.Version, and returns the new version; ErrConflict otherwise.
	Update(ctx context.Context, n Note) (int64, error)
	// Delete removes note id if its version is version (or version is
	// AnyVersion).
	Delete(ctx context.Context, id string, version int64) error
	// Ping reports whether the store can serve requests (readiness).
	Ping(ctx context.Context) error
}
