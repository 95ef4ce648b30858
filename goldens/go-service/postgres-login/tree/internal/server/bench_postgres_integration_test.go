//go:build integration

package server_test

import (
	"context"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/example-org/notes-api/internal/session"
	"github.com/example-org/notes-api/internal/store"
)

// BenchmarkPostgres is BenchmarkAuthenticatedGet with the notes and the
// sessions in a real PostgreSQL, wired as the service wires them (sessions
// behind their lookup cache): `make bench-postgres`, with the variables of
// `make test-postgres`.
func BenchmarkPostgres(b *testing.B) {
	adminURL, runtimeURL := os.Getenv("TEST_DATABASE_ADMIN_URL"), os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" || runtimeURL == "" {
		b.Fatal("TEST_DATABASE_ADMIN_URL and TEST_DATABASE_URL must be set for the PostgreSQL benchmark")
	}
	u, err := url.Parse(runtimeURL)
	if err != nil || u.User == nil {
		b.Fatal("TEST_DATABASE_URL must name its role")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := store.OpenPostgres(ctx, adminURL)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	if err := store.Migrate(ctx, admin, u.User.Username()); err != nil {
		b.Fatal(err)
	}
	pool, err := store.OpenPostgres(ctx, runtimeURL)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	benchGets(b, startBench(b, store.NewPostgres(pool), session.NewCached(session.NewPostgres(pool))))
}
