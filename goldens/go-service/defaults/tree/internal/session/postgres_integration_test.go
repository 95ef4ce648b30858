//go:build integration

// The integration tests run against a real PostgreSQL (`make test-postgres`),
// with the variables of internal/store's: TEST_DATABASE_ADMIN_URL (the
// schema owner, for migrate) and TEST_DATABASE_URL (the runtime role). They
// fail, never skip, when a variable is missing.
package session_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"example.com/demo-service/internal/authz"
	"example.com/demo-service/internal/session"
	"example.com/demo-service/internal/store"
)

// replicas migrates the schema and returns two stores on separate pools of
// the runtime role: two replicas of the service sharing one database.
func replicas(t *testing.T, l session.Limits) (*session.Postgres, *session.Postgres) {
	t.Helper()
	adminURL, runtimeURL := os.Getenv("TEST_DATABASE_ADMIN_URL"), os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" || runtimeURL == "" {
		t.Fatal("TEST_DATABASE_ADMIN_URL and TEST_DATABASE_URL must be set for the integration tests")
	}
	u, err := url.Parse(runtimeURL)
	if err != nil || u.User == nil {
		t.Fatal("TEST_DATABASE_URL must name its role")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	open := func(raw string) *pgxpool.Pool {
		pool, err := store.OpenPostgres(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return pool
	}
	admin := open(adminURL)
	if err := store.Migrate(ctx, admin, u.User.Username()); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "DELETE FROM session_families"); err != nil {
		t.Fatal(err)
	}
	return session.NewPostgresWithLimits(open(runtimeURL), time.Now, l),
		session.NewPostgresWithLimits(open(runtimeURL), time.Now, l)
}

// APP-13 across replicas: a login on one replica is a session on the other,
// a refresh there works, and replaying the old refresh token on the first
// revokes the family everywhere.
func TestIntegrationSessionsAcrossReplicas(t *testing.T) {
	a, b := replicas(t, session.DefaultLimits)
	ctx := context.Background()
	alice := authz.Principal{Subject: "alice", Roles: []string{"writer"}}
	t1, err := a.Create(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := b.Lookup(ctx, t1.SessionID); err != nil || p.Subject != "alice" || len(p.Roles) != 1 || p.Roles[0] != "writer" {
		t.Fatalf("replica b does not see replica a's session: %+v %v", p, err)
	}
	t2, err := b.Refresh(ctx, t1.RefreshToken)
	if err != nil {
		t.Fatalf("refresh on replica b: %v", err)
	}
	if _, err := a.Lookup(ctx, t1.SessionID); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("the rotated-out session still works on replica a: %v", err)
	}
	if p, err := a.Lookup(ctx, t2.SessionID); err != nil || p.Subject != "alice" {
		t.Fatalf("replica a does not see the rotated session: %v", err)
	}
	if _, err := a.Refresh(ctx, t1.RefreshToken); !errors.Is(err, session.ErrReuse) {
		t.Fatalf("replaying the old refresh token on replica a: %v, want ErrReuse", err)
	}
	if _, err := b.Lookup(ctx, t2.SessionID); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("the family survived the reuse on replica b: %v", err)
	}
	if _, err := b.Refresh(ctx, t2.RefreshToken); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("the revoked family's current token still refreshes: %v", err)
	}
	// What a session lookup on another replica costs (a figure, not a
	// check: timings belong in benchmarks).
	var took []time.Duration
	for range 500 {
		start := time.Now()
		if _, err := b.Lookup(ctx, t2.SessionID); !errors.Is(err, session.ErrInvalid) {
			t.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	t4, _ := a.Create(ctx, alice)
	took = took[:0]
	for range 500 {
		start := time.Now()
		if _, err := b.Lookup(ctx, t4.SessionID); err != nil {
			t.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	t.Logf("session lookup across replicas: p50 %s, p99 %s over %d lookups", took[len(took)/2], took[len(took)*99/100], len(took))
	// Logout on one replica ends the session on the other.
	t3, _ := a.Create(ctx, alice)
	if err := b.Revoke(ctx, t3.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Lookup(ctx, t3.SessionID); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("logout on replica b left the session live on replica a: %v", err)
	}
}

// APP-13 across replicas with the lookup cache the service puts in front of
// PostgreSQL: a logout or a rotation ends the old session at once on the
// replica that made it and within LookupCacheTTL on the other, and a reused
// refresh token still revokes the family in the database.
func TestIntegrationCachedSessionsAcrossReplicas(t *testing.T) {
	pa, pb := replicas(t, session.DefaultLimits)
	var clock atomic.Int64 // the caches' clock; the database keeps real time
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	a := session.NewCachedWithClock(pa, session.LookupCacheTTL, now)
	b := session.NewCachedWithClock(pb, session.LookupCacheTTL, now)
	ctx := context.Background()
	alice := authz.Principal{Subject: "alice", Roles: []string{"writer"}}
	lookup := func(s *session.Cached, sid string) error {
		p, err := s.Lookup(ctx, sid)
		if err == nil && (p.Subject != "alice" || len(p.Roles) != 1 || p.Roles[0] != "writer") {
			t.Fatalf("wrong principal %+v", p)
		}
		return err
	}

	t1, err := a.Create(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if err := lookup(a, t1.SessionID); err != nil {
		t.Fatal(err)
	}
	if err := lookup(b, t1.SessionID); err != nil {
		t.Fatalf("replica b does not see replica a's session: %v", err)
	}
	t2, err := b.Refresh(ctx, t1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := lookup(b, t1.SessionID); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("the rotated-out session on the refreshing replica: %v", err)
	}
	if err := lookup(a, t1.SessionID); err != nil {
		t.Fatalf("within the cache TTL replica a still serves the old session (the documented bound): %v", err)
	}
	clock.Add(int64(session.LookupCacheTTL))
	if err := lookup(a, t1.SessionID); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("the rotated-out session one cache TTL later: %v", err)
	}
	if err := lookup(a, t2.SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Refresh(ctx, t1.RefreshToken); !errors.Is(err, session.ErrReuse) {
		t.Fatalf("replaying the old refresh token on replica a: %v, want ErrReuse", err)
	}
	if err := lookup(a, t2.SessionID); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("the family survived the reuse on replica a: %v", err)
	}
	if _, err := pb.Lookup(ctx, t2.SessionID); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("the family survived the reuse in the database: %v", err)
	}

	// Logout on one replica: at once there, within the TTL on the other.
	t3, err := a.Create(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if err := lookup(b, t3.SessionID); err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(ctx, t3.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if err := lookup(a, t3.SessionID); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("logout left the session live on its own replica: %v", err)
	}
	clock.Add(int64(session.LookupCacheTTL))
	if err := lookup(b, t3.SessionID); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("logout on replica a left the session live on replica b one cache TTL later: %v", err)
	}
}

// The same refresh token presented to both replicas at once rotates once:
// one caller gets new tokens, the other a reuse, and the family ends.
func TestIntegrationConcurrentRefreshRotatesOnce(t *testing.T) {
	a, b := replicas(t, session.DefaultLimits)
	ctx := context.Background()
	for range 20 {
		tok, err := a.Create(ctx, authz.Principal{Subject: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range []*session.Postgres{a, b} {
			wg.Go(func() { _, errs[i] = s.Refresh(ctx, tok.RefreshToken) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, session.ErrReuse) && !errors.Is(err, session.ErrInvalid):
				t.Fatalf("concurrent refresh: %v", err)
			}
		}
		if ok > 1 {
			t.Fatal("one refresh token rotated twice")
		}
	}
}

// The limits hold in the shared table: a subject's oldest login ends past
// FamiliesPerUser, whichever replica took the logins.
func TestIntegrationFamiliesPerUserAcrossReplicas(t *testing.T) {
	a, b := replicas(t, session.Limits{Families: 100, FamiliesPerUser: 3})
	ctx := context.Background()
	var all []session.Tokens
	for i := range 5 {
		s := a
		if i%2 == 1 {
			s = b
		}
		tok, err := s.Create(ctx, authz.Principal{Subject: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, tok)
	}
	var live []int
	for i, tok := range all {
		if _, err := a.Lookup(ctx, tok.SessionID); err == nil {
			live = append(live, i)
		}
	}
	sort.Ints(live)
	if len(live) != 3 || live[0] != 2 {
		t.Fatalf("live logins %v, want the newest 3 of 5", live)
	}
}
