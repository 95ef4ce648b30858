package authz_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"example.com/scratchpad/internal/authz"
)

// APP-14: 401 for no principal, 403 for a principal without the right role
// or ownership, and nothing granted by default.
func TestAuthorize(t *testing.T) {
	alice := &authz.Principal{Subject: "alice", Roles: []string{"writer"}}
	reader := &authz.Principal{Subject: "rita", Roles: []string{"reader"}}
	admin := &authz.Principal{Subject: "root", Roles: []string{"admin"}}
	nobody := &authz.Principal{Subject: "nora"}
	unknownRole := &authz.Principal{Subject: "mallory", Roles: []string{"superuser", "Admin", ""}}

	cases := []struct {
		name   string
		p      *authz.Principal
		action authz.Action
		owner  string
		want   error
	}{
		{"anonymous", nil, authz.NotesRead, "", authz.ErrUnauthenticated},
		{"empty subject", &authz.Principal{Roles: []string{"admin"}}, authz.NotesRead, "", authz.ErrUnauthenticated},
		{"no roles denied by default", nobody, authz.NotesRead, "", authz.ErrForbidden},
		{"unknown roles grant nothing", unknownRole, authz.NotesRead, "", authz.ErrForbidden},
		{"unknown action denied", admin, authz.Action("notes:export"), "", authz.ErrForbidden},
		{"reader cannot write", reader, authz.NotesWrite, "", authz.ErrForbidden},
		{"reader reads own", reader, authz.NotesRead, "rita", nil},
		{"reader cannot read others'", reader, authz.NotesRead, "alice", authz.ErrForbidden},
		{"writer writes own", alice, authz.NotesWrite, "alice", nil},
		{"writer cannot write others'", alice, authz.NotesWrite, "bob", authz.ErrForbidden},
		{"writer cannot delete others'", alice, authz.NotesDelete, "bob", authz.ErrForbidden},
		{"admin acts on others'", admin, authz.NotesDelete, "bob", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := authz.Authorize(c.p, c.action, c.owner)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("Authorize = %v, want %v", err, c.want)
			}
		})
	}
}

func TestStatusDistinguishes401From403(t *testing.T) {
	if got := authz.Status(authz.ErrUnauthenticated); got != http.StatusUnauthorized {
		t.Fatalf("unauthenticated -> %d", got)
	}
	if got := authz.Status(authz.ErrForbidden); got != http.StatusForbidden {
		t.Fatalf("forbidden -> %d", got)
	}
	// Fail secure: an unexpected error never becomes a success.
	if got := authz.Status(errors.New("boom")); got != http.StatusForbidden {
		t.Fatalf("unknown error -> %d", got)
	}
}

func TestPrincipalContext(t *testing.T) {
	if authz.FromContext(context.Background()) != nil {
		t.Fatal("principal out of nowhere")
	}
	p := &authz.Principal{Subject: "alice"}
	if authz.FromContext(authz.WithPrincipal(context.Background(), p)) != p {
		t.Fatal("principal lost")
	}
}
