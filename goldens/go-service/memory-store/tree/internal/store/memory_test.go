package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"example.com/scratchpad/internal/store"
)

func TestMemoryCRUD(t *testing.T) {
	ctx := context.Background()
	m := store.NewMemory()
	n := store.Note{ID: "0123456789abcdef0123456789abcdef", Owner: "alice", Title: "t", Body: []byte("c")}
	if err := m.Create(ctx, n); err != nil {
		t.Fatal(err)
	}
	if err := m.Create(ctx, n); err == nil {
		t.Fatal("duplicate ID accepted")
	}
	n.Title, n.Owner, n.Version = "t2", "mallory", 1
	v, err := m.Update(ctx, n)
	if err != nil || v != 2 {
		t.Fatalf("Update = %d, %v", v, err)
	}
	got, err := m.Get(ctx, n.ID)
	if err != nil || got.Title != "t2" || got.Owner != "alice" || got.Version != 2 {
		t.Fatalf("Get = %+v, %v (owner must not change on update)", got, err)
	}
	if _, err := m.Update(ctx, n); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("update at a stale version: %v, want ErrConflict", err)
	}
	if err := m.Delete(ctx, n.ID, 1); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("delete at a stale version: %v, want ErrConflict", err)
	}
	if err := m.Delete(ctx, n.ID, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, n.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted note: %v", err)
	}
}

// The development store is bounded per owner in notes and bytes; one owner
// at its limit does not limit another, and deleting frees room.
func TestMemoryQuotaPerOwner(t *testing.T) {
	ctx := context.Background()
	m := store.NewMemoryWithLimits(store.MemoryLimits{NotesPerOwner: 3, BytesPerOwner: 100})
	note := func(i int, owner string, n int) store.Note {
		return store.Note{ID: fmt.Sprintf("%032d", i), Owner: owner, Title: "t", Body: bytes.Repeat([]byte{1}, n)}
	}
	for i := range 3 {
		if err := m.Create(ctx, note(i, "alice", 10)); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Create(ctx, note(3, "alice", 10)); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("4th note of alice: %v, want ErrQuota", err)
	}
	if err := m.Create(ctx, note(4, "bob", 200)); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("oversized note of bob: %v, want ErrQuota", err)
	}
	if err := m.Create(ctx, note(5, "bob", 90)); err != nil {
		t.Fatalf("bob limited by alice's usage: %v", err)
	}
	grow := note(0, "alice", 95)
	grow.Version = 1
	if _, err := m.Update(ctx, grow); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("update beyond the byte quota: %v, want ErrQuota", err)
	}
	if err := m.Delete(ctx, note(0, "", 0).ID, store.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if err := m.Create(ctx, note(6, "alice", 10)); err != nil {
		t.Fatalf("delete did not free room: %v", err)
	}
}
