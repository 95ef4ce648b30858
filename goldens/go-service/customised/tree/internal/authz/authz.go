// Package authz decides whether a principal may perform an action (APP-14).
//
// Every request is checked at every layer: is there an authenticated
// principal (else 401)? Does one of its roles grant the action (RBAC)? Does
// it own the resource? Anything not explicitly granted is denied (403).
package authz

import (
	"context"
	"errors"
	"net/http"
	"slices"
)

// Principal is an authenticated caller.
type Principal struct {
	Subject string
	Roles   []string
}

// Action is something a principal may be allowed to do.
type Action string

// Actions of the service. A new action is denied to everyone until a role
// grants it below.
const (
	NotesRead   Action = "notes:read"
	NotesWrite  Action = "notes:write"
	NotesDelete Action = "notes:delete"
	AnyOwner    Action = "notes:any-owner" // act on notes owned by others
)

// rolePermissions is the RBAC table. Roles not listed grant nothing.
var rolePermissions = map[string][]Action{
	"reader": {NotesRead},
	"writer": {NotesRead, NotesWrite, NotesDelete},
	"admin":  {NotesRead, NotesWrite, NotesDelete, AnyOwner},
}

// Errors returned by Authorize.
var (
	ErrUnauthenticated = errors.New("authz: authentication required")
	ErrForbidden       = errors.New("authz: forbidden")
)

// Can reports whether one of p's roles grants action.
func Can(p *Principal, action Action) bool {
	if p == nil {
		return false
	}
	for _, role := range p.Roles {
		if slices.Contains(rolePermissions[role], action) {
			return true
		}
	}
	return false
}

// Authorize returns nil only when p is authenticated, allowed to perform
// action, and either owns the resource (owner) or may act on any owner's.
// Pass owner "" for actions that do not concern an existing resource.
func Authorize(p *Principal, action Action, owner string) error {
	if p == nil || p.Subject == "" {
		return ErrUnauthenticated
	}
	if !Can(p, action) {
		return ErrForbidden
	}
	if owner != "" && owner != p.Subject && !Can(p, AnyOwner) {
		return ErrForbidden
	}
	return nil
}

// Status maps an authorization error to its HTTP status: 401 when the caller
// is not authenticated, 403 for everything else (fail secure, APP-19).
func Status(err error) int {
	if errors.Is(err, ErrUnauthenticated) {
		return http.StatusUnauthorized
	}
	return http.StatusForbidden
}

type ctxKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal of the request, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}
