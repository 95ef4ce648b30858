package store

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// Memory is an in-memory Notes store for development and tests.
type Memory struct {
	mu    sync.RWMutex
	notes map[string]Note
}

// NewMemory returns an empty store.
func NewMemory() *Memory { return &Memory{notes: map[string]Note{}} }

var errExists = errors.New("store: note exists")

// Create stores a new note.
func (m *Memory) Create(_ context.Context, n Note) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.notes[n.ID]; ok {
		return errExists
	}
	n.Body = slices.Clone(n.Body)
	m.notes[n.ID] = n
	return nil
}

// Get returns the note id.
func (m *Memory) Get(_ context.Context, id string) (Note, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n, ok := m.notes[id]
	if !ok {
		return Note{}, ErrNotFound
	}
	n.Body = slices.Clone(n.Body)
	return n, nil
}

// Update replaces the title and body of an existing note.
func (m *Memory) Update(_ context.Context, n Note) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.notes[n.ID]
	if !ok {
		return ErrNotFound
	}
	old.Title, old.Body = n.Title, slices.Clone(n.Body)
	m.notes[n.ID] = old
	return nil
}

// Delete removes the note id.
func (m *Memory) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.notes[id]; !ok {
		return ErrNotFound
	}
	delete(m.notes, id)
	return nil
}

// Ping always succeeds.
func (m *Memory) Ping(context.Context) error { return nil }
