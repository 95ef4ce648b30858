package store_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/acme-corp/ledger/internal/store"
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
	_ = p.Update(ctx, n)
	_ = p.Delete(ctx, hostile)

	if !errors.Is(getErr, store.ErrNotFound) {
		t.Fatalf("no rows must map to ErrNotFound, got %v", getErr)
	}
	if len(db.sql) != 4 {
		t.Fatalf("want 4 statements, got %d", len(db.sql))
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
	if err := p.Update(context.Background(), store.Note{ID: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update of a missing row = %v", err)
	}
	if err := p.Delete(context.Background(), "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete of a missing row = %v", err)
	}
}

type zeroRowsDB struct{ recordingDB }

func (*zeroRowsDB) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.NewCommandTag("UPDATE 0"), nil
}
