package store

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// MemoryLimits bound what one owner may keep in a Memory store, so no
// client can exhaust the process's memory.
type MemoryLimits = Limits

// DefaultMemoryLimits are the limits of NewMemory.
var DefaultMemoryLimits = DefaultLimits

// Memory is an in-memory Notes store for development and tests: it keeps
// notes until the process exits and is not shared between replicas, so run
// one replica only.
type Memory struct {
	limits MemoryLimits
	mu     sync.RWMutex
	notes  map[string]Note
	usage  map[string]ownerUsage
}

type ownerUsage struct{ notes, bytes int }

// NewMemory returns an empty store with DefaultMemoryLimits.
func NewMemory() *Memory { return NewMemoryWithLimits(DefaultMemoryLimits) }

// NewMemoryWithLimits returns an empty store with the given limits.
func NewMemoryWithLimits(l MemoryLimits) *Memory {
	return &Memory{limits: l, notes: map[string]Note{}, usage: map[string]ownerUsage{}}
}

var errExists = errors.New("store: note exists")

func size(n Note) int { return len(n.Title) + len(n.Body) }

// Create stores a new note at version 1.
func (m *Memory) Create(_ context.Context, n Note) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.notes[n.ID]; ok {
		return errExists
	}
	u := m.usage[n.Owner]
	if u.notes+1 > m.limits.NotesPerOwner || u.bytes+size(n) > m.limits.BytesPerOwner {
		return ErrQuota
	}
	n.Body = slices.Clone(n.Body)
	n.Version = 1
	m.notes[n.ID] = n
	m.usage[n.Owner] = ownerUsage{notes: u.notes + 1, bytes: u.bytes + size(n)}
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

// Update replaces the title and body of an existing note at n.Version.
func (m *Memory) Update(_ context.Context, n Note) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.notes[n.ID]
	if !ok {
		return 0, ErrNotFound
	}
	if old.Version != n.Version {
		return 0, ErrConflict
	}
	u := m.usage[old.Owner]
	grown := u.bytes - size(old) + len(n.Title) + len(n.Body)
	if grown > m.limits.BytesPerOwner {
		return 0, ErrQuota
	}
	old.Title, old.Body = n.Title, slices.Clone(n.Body)
	old.Version++
	m.notes[n.ID] = old
	m.usage[old.Owner] = ownerUsage{notes: u.notes, bytes: grown}
	return old.Version, nil
}

// Delete removes the note id at version (or at any version).
func (m *Memory) Delete(_ context.Context, id string, version int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.notes[id]
	if !ok {
		return ErrNotFound
	}
	if version != AnyVersion && n.Version != version {
		return ErrConflict
	}
	delete(m.notes, id)
	u := m.usage[n.Owner]
	if u.notes <= 1 {
		delete(m.usage, n.Owner)
	} else {
		m.usage[n.Owner] = ownerUsage{notes: u.notes - 1, bytes: u.bytes - size(n)}
	}
	return nil
}

// Ping always succeeds.
func (m *Memory) Ping(context.Context) error { return nil }
