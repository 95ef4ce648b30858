//go:build integration

// The integration tests run against a real PostgreSQL (`make test-postgres`).
// TEST_DATABASE_ADMIN_URL connects as the schema owner (the role `migrate`
// runs as), TEST_DATABASE_URL as the runtime role; both use
// sslmode=verify-full with the server's CA in sslrootcert. The build tag
// keeps them out of `go test ./...`; built with it, they fail (never skip)
// when a variable is missing.
package store_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"example.com/demo-service/internal/store"
)

// integrationURLs returns the admin and runtime URLs, failing without them.
func integrationURLs(t *testing.T) (admin, runtime string) {
	t.Helper()
	admin, runtime = os.Getenv("TEST_DATABASE_ADMIN_URL"), os.Getenv("TEST_DATABASE_URL")
	if admin == "" || runtime == "" {
		t.Fatal("TEST_DATABASE_ADMIN_URL and TEST_DATABASE_URL must be set for the integration tests")
	}
	return admin, runtime
}

// withParams returns raw with the query parameters of set replaced.
func withParams(t *testing.T, raw string, set map[string]string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal("unparsable test database URL")
	}
	q := u.Query()
	for k, v := range set {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t *testing.T, raw string) *pgxpool.Pool {
	t.Helper()
	pool, err := store.OpenPostgres(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// migrated applies the schema as the admin, granting the runtime role of
// the runtime URL, and returns a store of the runtime role.
func migrated(t *testing.T) (*store.Postgres, *pgxpool.Pool, *pgxpool.Pool) {
	t.Helper()
	adminURL, runtimeURL := integrationURLs(t)
	u, err := url.Parse(runtimeURL)
	if err != nil || u.User == nil {
		t.Fatal("TEST_DATABASE_URL must name its role")
	}
	admin := open(t, adminURL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := store.Migrate(ctx, admin, u.User.Username()); err != nil {
		t.Fatal(err)
	}
	runtime := open(t, runtimeURL)
	return store.NewPostgres(runtime), runtime, admin
}

func newID(t *testing.T) string {
	t.Helper()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", b)
}

// Migrations run as the admin; the runtime role reads and writes but can
// create nothing and cannot alter the schema, and readiness sees the schema.
func TestIntegrationMigrationRoleSeparation(t *testing.T) {
	p, runtime, _ := migrated(t)
	ctx := context.Background()
	if err := p.Ping(ctx); err != nil {
		t.Fatalf("readiness after migrate: %v", err)
	}
	var pgErr *pgconn.PgError
	if _, err := runtime.Exec(ctx, "CREATE TABLE intruder (x int)"); !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Fatalf("runtime role created a table: %v (want insufficient_privilege)", err)
	}
	if err := store.Migrate(ctx, runtime, ""); err == nil {
		t.Fatal("the runtime role could run the migration")
	}
	n := store.Note{ID: newID(t), Owner: "alice", Title: "t", Body: []byte{1, 2, 3}}
	if err := p.Create(ctx, n); err != nil {
		t.Fatalf("runtime role cannot write: %v", err)
	}
	got, err := p.Get(ctx, n.ID)
	if err != nil || got.Version != 1 || got.Owner != "alice" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if err := p.Delete(ctx, n.ID, store.AnyVersion); err != nil {
		t.Fatal(err)
	}
}

// statement_timeout bounds every statement (5s by default), and a frozen
// table makes store calls fail fast with ErrUnavailable, not hang.
func TestIntegrationStatementTimeout(t *testing.T) {
	_, runtime, admin := migrated(t)
	_, runtimeURL := integrationURLs(t)
	ctx := context.Background()
	var timeout string
	if err := runtime.QueryRow(ctx, "SHOW statement_timeout").Scan(&timeout); err != nil || timeout != "5s" {
		t.Fatalf("default statement_timeout = %q, %v; want 5s", timeout, err)
	}
	fast := open(t, withParams(t, runtimeURL, map[string]string{"statement_timeout": "200"}))
	start := time.Now()
	_, err := fast.Exec(ctx, "SELECT pg_sleep(10)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("pg_sleep(10) with statement_timeout=200ms: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("statement ran %s", d)
	}

	p := store.NewPostgres(fast)
	n := store.Note{ID: newID(t), Owner: "alice", Title: "t", Body: []byte{1}}
	if err := p.Create(ctx, n); err != nil {
		t.Fatal(err)
	}
	tx, err := admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "LOCK TABLE notes IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := p.Get(ctx, n.ID); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Get on a locked table: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Get on a locked table took %s", d)
	}
}

// The service talks to PostgreSQL only over verified TLS: weaker sslmodes
// are refused before connecting, and a server certificate from a CA other
// than sslrootcert's is rejected.
func TestIntegrationTLSRefusal(t *testing.T) {
	_, runtimeURL := integrationURLs(t)
	for _, mode := range []string{"disable", "prefer", "require", "verify-ca"} {
		if _, err := store.OpenPostgres(context.Background(), withParams(t, runtimeURL, map[string]string{"sslmode": mode})); !errors.Is(err, store.ErrInsecureURL) {
			t.Errorf("sslmode=%s: %v, want ErrInsecureURL", mode, err)
		}
	}
	wrongCA := filepath.Join(t.TempDir(), "other-ca.crt")
	writeSelfSignedCA(t, wrongCA)
	pool := open(t, withParams(t, runtimeURL, map[string]string{"sslrootcert": wrongCA}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pool.Ping(ctx); err == nil {
		t.Fatal("connected although the server certificate is not from sslrootcert's CA")
	}
	good := open(t, runtimeURL)
	if err := good.Ping(ctx); err != nil {
		t.Fatalf("verified TLS connection failed: %v", err)
	}
}

// Concurrent writers of one version: exactly one update wins, the others
// get ErrConflict; concurrent deletes: one wins, the others ErrNotFound.
func TestIntegrationConcurrentPatchDelete(t *testing.T) {
	p, _, _ := migrated(t)
	ctx := context.Background()
	n := store.Note{ID: newID(t), Owner: "alice", Title: "t", Body: []byte{1}}
	if err := p.Create(ctx, n); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	results := map[string]int{}
	record := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			results["ok"]++
		case errors.Is(err, store.ErrConflict):
			results["conflict"]++
		case errors.Is(err, store.ErrNotFound):
			results["notfound"]++
		default:
			results["other"]++
			t.Errorf("unexpected error: %v", err)
		}
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			u := n
			u.Title, u.Version = fmt.Sprintf("w%d", i), 1
			_, err := p.Update(ctx, u)
			record(err)
		})
	}
	wg.Wait()
	if results["ok"] != 1 || results["conflict"] != 19 {
		t.Fatalf("concurrent updates of version 1: %v; want 1 ok and 19 conflicts", results)
	}
	clear(results)
	for range 20 {
		wg.Go(func() { record(p.Delete(ctx, n.ID, store.AnyVersion)) })
	}
	wg.Wait()
	if results["ok"] != 1 || results["notfound"] != 19 {
		t.Fatalf("concurrent deletes: %v; want 1 ok and 19 not found", results)
	}
	if _, err := p.Update(ctx, store.Note{ID: n.ID, Title: "late", Version: 2}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update after delete: %v, want ErrNotFound", err)
	}
}

// The per-owner quota holds in PostgreSQL as in memory, and across
// replicas: of 20 concurrent creates by one owner on two pools, exactly the
// quota succeeds; deleting frees room; an update may not grow past it.
func TestIntegrationOwnerQuota(t *testing.T) {
	_, runtime, _ := migrated(t)
	_, runtimeURL := integrationURLs(t)
	other := open(t, runtimeURL)
	l := store.Limits{NotesPerOwner: 5, BytesPerOwner: 400}
	replicas := []*store.Postgres{store.NewPostgresWithLimits(runtime, l), store.NewPostgresWithLimits(other, l)}
	ctx := context.Background()
	owner := "quota-" + newID(t)
	var mu sync.Mutex
	var ids []string
	quota := 0
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			n := store.Note{ID: newID(t), Owner: owner, Title: "t", Body: make([]byte, 10)}
			err := replicas[i%2].Create(ctx, n)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ids = append(ids, n.ID)
			case errors.Is(err, store.ErrQuota):
				quota++
			default:
				t.Errorf("create: %v", err)
			}
		})
	}
	wg.Wait()
	if len(ids) != 5 || quota != 15 {
		t.Fatalf("20 concurrent creates with a quota of 5: %d stored, %d refused", len(ids), quota)
	}
	p := replicas[0]
	if err := p.Create(ctx, store.Note{ID: newID(t), Owner: "someone-else-" + newID(t), Title: "t", Body: []byte{1}}); err != nil {
		t.Fatalf("another owner is refused: %v", err)
	}
	if err := p.Delete(ctx, ids[0], store.AnyVersion); err != nil {
		t.Fatal(err)
	}
	big := store.Note{ID: newID(t), Owner: owner, Title: "t", Body: make([]byte, 200)}
	if err := replicas[1].Create(ctx, big); err != nil {
		t.Fatalf("create after a delete freed room: %v", err)
	}
	// 4 x 11 + 201 bytes are stored; growing a note by 200 more would pass 400.
	grow := store.Note{ID: ids[1], Owner: owner, Title: "t", Body: make([]byte, 210), Version: 1}
	if _, err := p.Update(ctx, grow); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("an update past the byte quota: %v, want ErrQuota", err)
	}
	grow.Body = make([]byte, 20)
	if _, err := p.Update(ctx, grow); err != nil {
		t.Fatalf("an update within the quota: %v", err)
	}
	if err := p.Create(ctx, store.Note{ID: newID(t), Owner: owner, Title: "t", Body: make([]byte, 500)}); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("a note larger than the quota: %v", err)
	}
}

// writeSelfSignedCA writes the certificate of a fresh, unrelated CA.
func writeSelfSignedCA(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "unrelated test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
