package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"example.com/scratchpad/internal/authz"
	"example.com/scratchpad/internal/server"
	"example.com/scratchpad/internal/session"
)

// bg is the context of the tests' session calls.
var bg = context.Background()

func withSessions(sm *session.Manager) option {
	return func(o *server.Options) { o.Sessions = sm }
}

// APP-08, APP-14: a live session cookie authenticates; a forged or revoked
// one is a 401.
func TestSessionCookieAuthentication(t *testing.T) {
	sm := session.NewManager()
	e := newEnv(t, withSessions(sm))
	tok, err := sm.Create(bg, authz.Principal{Subject: "alice", Roles: []string{"writer"}})
	if err != nil {
		t.Fatal(err)
	}
	cookie := session.NewCookie(session.SessionCookie, tok.SessionID, session.SessionTTL)
	resp := e.do(t, req{method: "POST", path: "/v1/notes", body: `{"title":"t"}`, cookies: []*http.Cookie{cookie},
		header: map[string]string{"Sec-Fetch-Site": "same-origin"}})
	if resp.StatusCode != 201 {
		t.Fatalf("session create: %d", resp.StatusCode)
	}
	forged := session.NewCookie(session.SessionCookie, "forged", session.SessionTTL)
	if resp := e.do(t, req{method: "POST", path: "/v1/notes", body: `{"title":"t"}`, cookies: []*http.Cookie{forged}}); resp.StatusCode != 401 {
		t.Fatalf("forged session: %d", resp.StatusCode)
	}
	sm.Revoke(bg, tok.RefreshToken)
	if resp := e.do(t, req{method: "POST", path: "/v1/notes", body: `{"title":"t"}`, cookies: []*http.Cookie{cookie}}); resp.StatusCode != 401 {
		t.Fatalf("revoked session: %d", resp.StatusCode)
	}
}

// APP-20: a cookie-authenticated request from another site is refused even
// with a valid session (CSRF), before it reaches the handler.
func TestSessionCookieCSRF(t *testing.T) {
	sm := session.NewManager()
	e := newEnv(t, withSessions(sm))
	tok, _ := sm.Create(bg, authz.Principal{Subject: "alice", Roles: []string{"writer"}})
	cookie := session.NewCookie(session.SessionCookie, tok.SessionID, session.SessionTTL)
	resp := e.do(t, req{method: "POST", path: "/v1/notes", body: `{"title":"t"}`, cookies: []*http.Cookie{cookie},
		header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}})
	if resp.StatusCode != 403 {
		t.Fatalf("cross-site POST with session: %d", resp.StatusCode)
	}
}

// APP-05: values in HTML are escaped by html/template.
func TestIndexEscapesHTML(t *testing.T) {
	sm := session.NewManager()
	e := newEnv(t, withSessions(sm))
	tok, _ := sm.Create(bg, authz.Principal{Subject: `<script>alert("x")</script>`})
	resp := e.do(t, req{method: "GET", path: "/", cookies: []*http.Cookie{session.NewCookie(session.SessionCookie, tok.SessionID, session.SessionTTL)}})
	body := readBody(t, resp)
	if strings.Contains(body, "<script>") {
		t.Fatalf("unescaped markup in page: %s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;") {
		t.Fatalf("subject missing or escaped wrongly: %s", body)
	}
}
