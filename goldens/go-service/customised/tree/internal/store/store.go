// Package store persists notes, the example resource of the service.
//
// Bodies are stored encrypted (APP-17) by the caller; the store sees only
// ciphertext. The owner is set by the server from the authenticated
// principal, never from the request body (APP-06, APP-14).
package store

import (
	"context"
	"errors"
)

// ErrNotFound is returned for a note that does not exist.
var ErrNotFound = errors.New("store: not found")

// Note is a stored note.
type Note struct {
	ID    string
	Owner string
	Title string
	Body  []byte // AES-256-GCM ciphertext
}

// Notes is the persistence interface of the service.
type Notes interface {
	Create(ctx context.Context, n Note) error
	Get(ctx context.Context, id string) (Note, error)
	Update(ctx context.Context, n Note) error
	Delete(ctx context.Context, id string) error
	Ping(ctx context.Context) error
}
