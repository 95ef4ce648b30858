package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/acme-corp/ledger/internal/store"
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
	n.Title, n.Owner = "t2", "mallory"
	if err := m.Update(ctx, n); err != nil {
		t.Fatal(err)
	}
	got, err := m.Get(ctx, n.ID)
	if err != nil || got.Title != "t2" || got.Owner != "alice" {
		t.Fatalf("Get = %+v, %v (owner must not change on update)", got, err)
	}
	if err := m.Delete(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, n.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted note: %v", err)
	}
}
