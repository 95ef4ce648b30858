package store_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/example-org/notes-api/internal/store"
)

// recordingDB records every statement and its arguments instead of talking
// to PostgreSQL.
type recordingDB struct {
	sql  []string
	args [][]any
}

func (r *recordingDB) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	r.sql, r.args = append(r.sql, sql), append(r.args, args)
	return pgconn.NewCommandTag("UPDATE 1"), nil
}

func (r *recordingDB) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	r.sql, r.args = append(r.sql, sql), append(r.args, args)
	return errRow{}
}

func (r *recordingDB) Ping(context.Context) error { return nil }

type errRow struct{}

func (errRow) Scan(...any) error { return pgx.ErrNoRows }

var placeholder = regexp.MustCompile(`\$[0-9]+`)

// APP-04: hostile input never becomes part of the SQL text; it travels only
// as a bound argument, and the statement text is the same for any input.
func TestPostgresQueriesAreParameterized(t *testing.T) {
	const hostile = `x'); DROP TABLE notes; --`
	db := &recordingDB{}
	p := store.NewPostgres(db)
	ctx := context.Background()
	n := store.Note{ID: hostile, Owner: hostile, Title: hostile, Body: []byte(hostile)}

	_ = p.Create(ctx, n)
	_, getErr := p.Get(ctx, hostile)
	_, _ = p.Update(ctx, n) // the update, then the version probe
	_ = p.Delete(ctx, hostile, 1)

	if !errors.Is(getErr, store.ErrNotFound) {
		t.Fatalf("no rows must map to ErrNotFound, got %v", getErr)
	}
	if len(db.sql) != 5 {
		t.Fatalf("want 5 statements, got %d", len(db.sql))
	}
	for i, sql := range db.sql {
		if strings.Contains(sql, "DROP") || strings.Contains(sql, hostile) {
			t.Fatalf("input spliced into SQL: %q", sql)
		}
		if n := len(placeholder.FindAllString(sql, -1)); n != len(db.args[i]) {
			t.Fatalf("%q has %d placeholders for %d arguments", sql, n, len(db.args[i]))
		}
		if !slices.ContainsFunc(db.args[i], func(a any) bool { s, ok := a.(string); return ok && s == hostile }) {
			t.Fatalf("hostile value not passed as an argument of %q", sql)
		}
	}

	// Same statement text for benign input: nothing is built from values.
	db2 := &recordingDB{}
	_ = store.NewPostgres(db2).Create(ctx, store.Note{ID: "a", Owner: "b", Title: "c"})
	if db2.sql[0] != db.sql[0] {
		t.Fatalf("statement text depends on input: %q vs %q", db2.sql[0], db.sql[0])
	}
}

func TestPostgresUpdateMissingRowIsNotFound(t *testing.T) {
	p := store.NewPostgres(&zeroRowsDB{})
	if _, err := p.Update(context.Background(), store.Note{ID: "x", Version: 1}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update of a missing row = %v", err)
	}
	if err := p.Delete(context.Background(), "x", store.AnyVersion); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete of a missing row = %v", err)
	}
}

type zeroRowsDB struct{ recordingDB }

func (*zeroRowsDB) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.NewCommandTag("UPDATE 0"), nil
}

// Database TLS is required and verified: every sslmode but verify-full is
// refused before any connection, and the error never quotes the URL.
func TestOpenPostgresRequiresVerifyFull(t *testing.T) {
	const base = "postgres://app:$S3CRET_PASSWORD@db.internal:5432/app?sslmode="
	for _, mode := range []string{"disable", "allow", "prefer", "require", "verify-ca"} {
		_, err := store.OpenPostgres(context.Background(), base+mode)
		if !errors.Is(err, store.ErrInsecureURL) {
			t.Errorf("sslmode=%s: %v, want ErrInsecureURL", mode, err)
		}
		if err != nil && strings.Contains(err.Error(), "S3CRET") {
			t.Errorf("error quotes the URL: %v", err)
		}
	}
	pool, err := store.OpenPostgres(context.Background(), base+"verify-full")
	if err != nil {
		t.Fatalf("verify-full refused: %v", err)
	}
	defer pool.Close()
	cc := pool.Config().ConnConfig
	if cc.ConnectTimeout != store.DefaultConnectTimeout || cc.RuntimeParams["statement_timeout"] != "5000" {
		t.Fatalf("default timeouts not applied: connect %s, statement_timeout %q", cc.ConnectTimeout, cc.RuntimeParams["statement_timeout"])
	}
	pool2, err := store.OpenPostgres(context.Background(), base+"verify-full&connect_timeout=2&statement_timeout=750")
	if err != nil {
		t.Fatal(err)
	}
	defer pool2.Close()
	if cc := pool2.Config().ConnConfig; cc.ConnectTimeout != 2*time.Second || cc.RuntimeParams["statement_timeout"] != "750" {
		t.Fatalf("URL timeouts overridden: connect %s, statement_timeout %q", cc.ConnectTimeout, cc.RuntimeParams["statement_timeout"])
	}
}

// failingDB fails every statement with err.
type failingDB struct{ err error }

func (f failingDB) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, f.err
}
func (f failingDB) QueryRow(context.Context, string, ...any) pgx.Row { return failingRow(f) }
func (f failingDB) Ping(context.Context) error                       { return f.err }

type failingRow struct{ err error }

func (f failingRow) Scan(...any) error { return f.err }

// Timeouts, cancelled statements and lost connections are ErrUnavailable
// (the service answers 503); a constraint violation is not.
func TestDatabaseFailuresAreClassified(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{context.DeadlineExceeded, true},
		{&pgconn.PgError{Code: "57014"}, true}, // statement_timeout
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "23505"}, false},
	} {
		p := store.NewPostgres(failingDB{tc.err})
		_, err := p.Get(context.Background(), "x")
		if got := errors.Is(err, store.ErrUnavailable); got != tc.want {
			t.Errorf("%v: unavailable = %v, want %v", tc.err, got, tc.want)
		}
		if err := p.Ping(context.Background()); errors.Is(err, store.ErrUnavailable) != tc.want {
			t.Errorf("Ping with %v: %v", tc.err, err)
		}
	}
}
