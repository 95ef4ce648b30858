package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"example.com/scratchpad/internal/about"
	"example.com/scratchpad/internal/authz"
	"example.com/scratchpad/internal/crypto"
	"example.com/scratchpad/internal/logging"
	"example.com/scratchpad/internal/server"
	"example.com/scratchpad/internal/store"
)

const secretToken = "tok-alice-writer-0123456789-do-not-log"

// fakeVerifier maps opaque test tokens to principals; real JWT verification
// is proven in internal/auth.
type fakeVerifier map[string]*authz.Principal

func (f fakeVerifier) Verify(_ context.Context, raw string) (*authz.Principal, error) {
	if p, ok := f[raw]; ok {
		return p, nil
	}
	return nil, errors.New("invalid token")
}

var tokens = fakeVerifier{
	secretToken:  {Subject: "alice", Roles: []string{"writer"}},
	"tok-bob":    {Subject: "bob", Roles: []string{"writer"}},
	"tok-reader": {Subject: "rita", Roles: []string{"reader"}},
	"tok-admin":  {Subject: "root", Roles: []string{"admin"}},
	"tok-none":   {Subject: "nora"},
}

type env struct {
	h     http.Handler
	logs  *bytes.Buffer
	notes *store.Memory
}

type option func(*server.Options)

func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	logs := &bytes.Buffer{}
	aead, err := crypto.NewAEAD(bytes.Repeat([]byte{7}, crypto.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{logs: logs, notes: store.NewMemory()}
	o := server.Options{
		Logger:      logging.New(logs, slog.LevelDebug),
		Notes:       e.notes,
		AEAD:        aead,
		Verifier:    tokens,
		CORSOrigins: []string{"https://app.example.com"},
		RateLimit:   rate.Inf,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if sm, ok := o.Notes.(*store.Memory); ok {
		e.notes = sm
	}
	e.h, err = server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type req struct {
	method, path, body, bearer string
	header                     map[string]string
	remote                     string
	cookies                    []*http.Cookie
}

func (e *env) do(t *testing.T, r req) *http.Response {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	for _, c := range r.cookies {
		hr.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, hr)
	return rec.Result()
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func assertSecurityHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	for k, v := range server.SecurityHeaders {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("status %d: %s = %q, want %q", resp.StatusCode, k, got, v)
		}
	}
	if got := resp.Header.Get("Cross-Origin-Resource-Policy"); got != "same-origin" {
		t.Errorf("status %d: Cross-Origin-Resource-Policy = %q, want same-origin", resp.StatusCode, got)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("weak CSP %q", csp)
	}
}

// panicDetail stands for request data or a secret carried by a panic value.
const panicDetail = "hunter2-panic-detail"

// panicStore panics on readiness checks with panicDetail in the panic value.
type panicStore struct{ *store.Memory }

func (panicStore) Ping(context.Context) error { panic("database failure: " + panicDetail) }

// APP-07: the headers are on every response: pages, JSON, errors, 404s,
// 405s, 413s and recovered panics.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	e := newEnv(t)
	p := newEnv(t, func(o *server.Options) { o.Notes = panicStore{store.NewMemory()} })
	cases := []struct {
		name   string
		env    *env
		r      req
		status int
	}{
		{"index", e, req{method: "GET", path: "/"}, 200},
		{"health", e, req{method: "GET", path: "/healthz"}, 200},
		{"not found", e, req{method: "GET", path: "/no/such/route"}, 404},
		{"unauthenticated", e, req{method: "GET", path: "/v1/notes/0123456789abcdef0123456789abcdef"}, 401},
		{"too large", e, req{method: "POST", path: "/v1/notes", bearer: secretToken, body: `{"title":"` + strings.Repeat("a", server.MaxBodyBytes) + `"}`}, 413},
		{"recovered panic", p, req{method: "GET", path: "/readyz"}, 500},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := c.env.do(t, c.r)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
			}
			assertSecurityHeaders(t, resp)
		})
	}
}

// APP-19: a panic becomes a generic 500 that reveals nothing, and the panic
// value (which may hold secrets) is not logged either.
func TestPanicIsGeneric500(t *testing.T) {
	e := newEnv(t, func(o *server.Options) { o.Notes = panicStore{store.NewMemory()} })
	resp := e.do(t, req{method: "GET", path: "/readyz"})
	body := readBody(t, resp)
	if resp.StatusCode != 500 || strings.Contains(body, panicDetail) || strings.Contains(body, "goroutine") {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
	if strings.Contains(e.logs.String(), panicDetail) {
		t.Fatalf("panic value logged: %s", e.logs.String())
	}
	if !strings.Contains(e.logs.String(), "panic recovered") {
		t.Fatal("panic not logged at all")
	}
}

// APP-20, APP-06: oversized bodies get 413, with or without Content-Length.
func TestOversizedBody413(t *testing.T) {
	e := newEnv(t)
	big := `{"title":"` + strings.Repeat("a", server.MaxBodyBytes+1) + `"}`
	if resp := e.do(t, req{method: "POST", path: "/v1/notes", bearer: secretToken, body: big}); resp.StatusCode != 413 {
		t.Fatalf("with Content-Length: status %d", resp.StatusCode)
	}
	hr := httptest.NewRequest("POST", "/v1/notes", io.MultiReader(strings.NewReader(big)))
	hr.ContentLength = -1 // chunked: the limit must hold while reading
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+secretToken)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, hr)
	if rec.Code != 413 {
		t.Fatalf("chunked: status %d", rec.Code)
	}
}

// APP-06, APP-01: strict decoding: unknown fields, wrong types, trailing
// data, wrong media type and invalid values are all rejected.
func TestStrictJSONDecoding(t *testing.T) {
	e := newEnv(t)
	cases := map[string]struct {
		body   string
		ctype  string
		status int
	}{
		"unknown field":            {`{"title":"t","body":"b","admin":true}`, "", 400},
		"mass assignment of owner": {`{"title":"t","owner":"mallory"}`, "", 400},
		"mass assignment of id":    {`{"title":"t","id":"0123456789abcdef0123456789abcdef"}`, "", 400},
		"number for string":        {`{"title":123}`, "", 400},
		"array for string":         {`{"title":["a"]}`, "", 400},
		"trailing data":            {`{"title":"t"}{"title":"u"}`, "", 400},
		"not json":                 {`title=t`, "", 400},
		"nul in title":             {`{"title":"a\u0000b"}`, "", 400},
		"control char in title":    {`{"title":"a\u001bb"}`, "", 400},
		"empty title":              {`{"title":""}`, "", 400},
		"over-long title":          {`{"title":"` + strings.Repeat("a", 201) + `"}`, "", 400},
		"wrong media type":         {`{"title":"t"}`, "text/plain", 415},
		"duplicate key":            {`{"title":"t","title":"u"}`, "", 400},
		"case-mismatched key":      {`{"Title":"t"}`, "", 400},
		"case-mismatched body key": {`{"title":"t","BODY":"b"}`, "", 400},
		"invalid UTF-8":            {"{\"title\":\"a\xffb\"}", "", 400},
		"lone high surrogate":      {`{"title":"a\ud800b"}`, "", 400},
		"lone low surrogate":       {`{"title":"a\udc00b"}`, "", 400},
		"reversed surrogate pair":  {`{"title":"\ude00\ud83d"}`, "", 400},
		"surrogate pair":           {`{"title":"smile \ud83d\ude00","body":"\\u0041 is text"}`, "", 201},
		"ok":                       {`{"title":"t","body":"b"}`, "", 201},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := req{method: "POST", path: "/v1/notes", bearer: secretToken, body: c.body}
			if c.ctype != "" {
				r.header = map[string]string{"Content-Type": c.ctype}
			}
			resp := e.do(t, r)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, readBody(t, resp))
			}
		})
	}
}

// APP-06: nesting is bounded in arrays as in objects: a body of a million
// '[' is refused without the checker recursing into it (before the bound it
// took over 50 MiB of stack per request).
func TestNestedArraysBounded(t *testing.T) {
	e := newEnv(t)
	for name, body := range map[string]string{
		"arrays":            `{"title":"t","body":` + strings.Repeat("[", server.MaxBodyBytes-64),
		"arrays in objects": `{"title":"t","body":` + strings.Repeat(`[{"a":`, (server.MaxBodyBytes-64)/6),
		"33 levels":         `{"title":"t","body":` + strings.Repeat("[", 33) + strings.Repeat("]", 33) + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			resp := e.do(t, req{method: "POST", path: "/v1/notes", bearer: secretToken, body: body})
			runtime.ReadMemStats(&after)
			if resp.StatusCode != 400 {
				t.Fatalf("status %d, want 400", resp.StatusCode)
			}
			if grown := int64(after.StackSys) - int64(before.StackSys); grown > 8<<20 {
				t.Fatalf("checking one body grew the stacks by %d MiB", grown>>20)
			}
		})
	}
}

func create(t *testing.T, e *env, token, body string) string {
	t.Helper()
	resp := e.do(t, req{method: "POST", path: "/v1/notes", bearer: token, body: body})
	if resp.StatusCode != 201 {
		t.Fatalf("create: status %d %s", resp.StatusCode, readBody(t, resp))
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/v1/notes/") {
		t.Fatalf("Location %q", loc)
	}
	return loc
}

// APP-14: 401 without or with bad credentials, 403 without permission or
// ownership, denied by default.
func TestAuthorization401vs403(t *testing.T) {
	e := newEnv(t)
	note := create(t, e, secretToken, `{"title":"alice's","body":"private"}`)
	cases := []struct {
		name   string
		r      req
		status int
	}{
		{"no credentials", req{method: "GET", path: note}, 401},
		{"bad token", req{method: "GET", path: note, bearer: "forged"}, 401},
		{"basic auth", req{method: "GET", path: note, header: map[string]string{"Authorization": "Basic YWxpY2U6cHc="}}, 401},
		{"empty bearer", req{method: "GET", path: note, header: map[string]string{"Authorization": "Bearer "}}, 401},
		{"no roles: denied by default", req{method: "GET", path: note, bearer: "tok-none"}, 403},
		{"reader cannot create", req{method: "POST", path: "/v1/notes", bearer: "tok-reader", body: `{"title":"x"}`}, 403},
		{"reader cannot read others'", req{method: "GET", path: note, bearer: "tok-reader"}, 403},
		{"other writer cannot read", req{method: "GET", path: note, bearer: "tok-bob"}, 403},
		{"other writer cannot update", req{method: "PATCH", path: note, bearer: "tok-bob", body: `{"title":"pwned"}`}, 403},
		{"other writer cannot delete", req{method: "DELETE", path: note, bearer: "tok-bob"}, 403},
		{"owner reads", req{method: "GET", path: note, bearer: secretToken}, 200},
		{"admin reads any", req{method: "GET", path: note, bearer: "tok-admin"}, 200},
		{"malformed id", req{method: "GET", path: "/v1/notes/..%2f..%2fetc", bearer: secretToken}, 400},
		{"missing note", req{method: "GET", path: "/v1/notes/ffffffffffffffffffffffffffffffff", bearer: secretToken}, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := e.do(t, c.r)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
			}
			if c.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}

// APP-06: PATCH changes only allowlisted fields.
func TestUpdateAllowlistedFieldsOnly(t *testing.T) {
	e := newEnv(t)
	note := create(t, e, secretToken, `{"title":"t","body":"b"}`)
	v1 := map[string]string{"If-Match": `"1"`}
	if resp := e.do(t, req{method: "PATCH", path: note, bearer: secretToken, body: `{"owner":"mallory"}`, header: v1}); resp.StatusCode != 400 {
		t.Fatalf("owner change: status %d", resp.StatusCode)
	}
	if resp := e.do(t, req{method: "PATCH", path: note, bearer: secretToken, body: `{"title":"new"}`, header: v1}); resp.StatusCode != 200 {
		t.Fatalf("title change: status %d", resp.StatusCode)
	}
	n, err := e.notes.Get(context.Background(), strings.TrimPrefix(note, "/v1/notes/"))
	if err != nil || n.Owner != "alice" || n.Title != "new" {
		t.Fatalf("stored note %+v, %v", n, err)
	}
	if resp := e.do(t, req{method: "DELETE", path: note, bearer: secretToken}); resp.StatusCode != 204 {
		t.Fatalf("delete: status %d", resp.StatusCode)
	}
}

// APP-17: note bodies are stored encrypted and bound to their ID.
func TestBodiesEncryptedAtRest(t *testing.T) {
	e := newEnv(t)
	note := create(t, e, secretToken, `{"title":"t","body":"the launch codes"}`)
	n, err := e.notes.Get(context.Background(), strings.TrimPrefix(note, "/v1/notes/"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(n.Body, []byte("launch codes")) {
		t.Fatal("plaintext body in the store")
	}
	resp := e.do(t, req{method: "GET", path: note, bearer: secretToken})
	if body := readBody(t, resp); !strings.Contains(body, "the launch codes") {
		t.Fatalf("round trip: %s", body)
	}
}

// APP-15: only the socket peer makes a request local, and internal routes
// exist only on the internal listener, bound to 127.0.0.1: behind a
// same-host proxy every public request has a loopback peer.
func TestForwardedHeadersCannotMakeRequestLocal(t *testing.T) {
	public := newEnv(t)
	ih, err := server.NewInternal(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{h: ih, logs: &bytes.Buffer{}}
	spoofs := []map[string]string{
		{"X-Forwarded-For": "127.0.0.1"},
		{"X-Real-IP": "127.0.0.1"},
		{"Forwarded": "for=127.0.0.1"},
		{"X-Forwarded-For": "::1, 127.0.0.1"},
		{"X-Forwarded-Host": "localhost"},
		{"Host": "localhost"},
	}
	for _, h := range spoofs {
		resp := e.do(t, req{method: "GET", path: "/internal/status", remote: "203.0.113.7:40000", header: h})
		if resp.StatusCode != 403 {
			t.Errorf("spoofed %v: status %d", h, resp.StatusCode)
		}
	}
	for _, peer := range []string{"127.0.0.1:40000", "[::1]:40000"} {
		if resp := e.do(t, req{method: "GET", path: "/internal/status", remote: peer}); resp.StatusCode != 200 {
			t.Errorf("peer %s: status %d", peer, resp.StatusCode)
		}
		// A sidecar proxy connects from loopback (Istio: 127.0.0.6): the
		// public port must not serve internal routes to it.
		if resp := public.do(t, req{method: "GET", path: "/internal/status", remote: peer}); resp.StatusCode != 404 {
			t.Errorf("public port serves /internal/status to peer %s: status %d", peer, resp.StatusCode)
		}
	}
	if addr := server.NewInternalHTTPServer(9090, ih, slog.New(slog.DiscardHandler)).Addr; addr != "127.0.0.1:9090" {
		t.Errorf("internal listener address %q, want 127.0.0.1:9090", addr)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "garbage"
	if server.IsLocal(r) {
		t.Error("unparsable peer treated as local")
	}
}

// APP-20: CORS answers only allowlisted origins, by name, never "*".
func TestCORSAllowlist(t *testing.T) {
	e := newEnv(t)
	pre := func(origin string) *http.Response {
		return e.do(t, req{method: "OPTIONS", path: "/v1/notes", header: map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST",
		}})
	}
	resp := pre("https://app.example.com")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("allowed origin: %d %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	for _, o := range []string{"https://evil.example", "null", "https://app.example.com.evil.example", "http://app.example.com"} {
		resp := pre(o)
		if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("origin %q: %d %q", o, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	// A cross-origin PATCH sends If-Match and reads ETag: both must pass.
	if got := resp.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(got, "If-Match") {
		t.Errorf("preflight allows headers %q, not If-Match", got)
	}
	resp = e.do(t, req{method: "GET", path: "/healthz", header: map[string]string{"Origin": "https://app.example.com"}})
	if got := resp.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(got, "ETag") {
		t.Errorf("exposed headers %q, not ETag", got)
	}
	resp = e.do(t, req{method: "GET", path: "/healthz", header: map[string]string{"Origin": "https://evil.example"}})
	if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Expose-Headers") != "" {
		t.Fatal("CORS header for a foreign origin")
	}
	for _, bad := range []string{"*", "null", "https://*.example.com", "http://app.example.com", "https://app.example.com/path"} {
		_, err := server.New(server.Options{
			Logger: slog.New(slog.DiscardHandler), Notes: store.NewMemory(), AEAD: mustAEAD(t),
			Verifier: tokens, CORSOrigins: []string{"https://app.example.com", bad},
		})
		if err == nil {
			t.Errorf("CORS origins %q accepted", bad)
		}
	}
}

func mustAEAD(t testing.TB) *crypto.AEAD {
	a, err := crypto.NewAEAD(make([]byte, crypto.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// APP-20: cross-site state-changing browser requests are refused (CSRF).
func TestCrossOriginProtection(t *testing.T) {
	e := newEnv(t)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	} {
		resp := e.do(t, req{method: "POST", path: "/v1/notes", bearer: secretToken, body: `{"title":"t"}`, header: h})
		if resp.StatusCode != 403 {
			t.Errorf("cross-origin POST %v: status %d", h, resp.StatusCode)
		}
	}
	resp := e.do(t, req{method: "POST", path: "/v1/notes", bearer: secretToken, body: `{"title":"t"}`,
		header: map[string]string{"Sec-Fetch-Site": "same-origin"}})
	if resp.StatusCode != 201 {
		t.Fatalf("same-origin POST: status %d", resp.StatusCode)
	}
	resp = e.do(t, req{method: "POST", path: "/v1/notes", bearer: secretToken, body: `{"title":"t"}`,
		header: map[string]string{"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"}})
	if resp.StatusCode != 201 {
		t.Fatalf("trusted-origin POST: status %d", resp.StatusCode)
	}
}

// APP-20: the limiter forgets the least recently seen client when it is
// full, so a flood of fresh addresses never resets an active client's budget.
func TestRateLimitEvictsLeastRecentlySeen(t *testing.T) {
	e := newEnv(t, func(o *server.Options) { o.RateLimit, o.RateBurst = 0.001, 1 })
	const active = "198.51.100.1:1"
	if resp := e.do(t, req{method: "GET", path: "/healthz", remote: active}); resp.StatusCode != 200 {
		t.Fatalf("first request: %d", resp.StatusCode)
	}
	for i := range 30_000 {
		// One IPv6 /64 each, as from one /48.
		e.do(t, req{method: "GET", path: "/healthz", remote: fmt.Sprintf("[2001:db8:1:%x::1]:1", i)})
		if i%1000 == 0 {
			if resp := e.do(t, req{method: "GET", path: "/healthz", remote: active}); resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("after %d other clients the active client's budget was reset: %d", i, resp.StatusCode)
			}
		}
	}
}

// APP-20: requests per peer are rate-limited.
func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(o *server.Options) { o.RateLimit, o.RateBurst = 1, 3 })
	var limited bool
	for range 10 {
		if e.do(t, req{method: "GET", path: "/healthz"}).StatusCode == http.StatusTooManyRequests {
			limited = true
		}
	}
	if !limited {
		t.Fatal("10 requests in a burst of 3 were never limited")
	}
	// Another peer keeps its own budget; X-Forwarded-For does not pick one.
	if resp := e.do(t, req{method: "GET", path: "/healthz", remote: "198.51.100.9:1"}); resp.StatusCode != 200 {
		t.Fatalf("other peer limited: %d", resp.StatusCode)
	}
}

// APP-20: behind a trusted proxy the client is the right-most untrusted
// X-Forwarded-For address; X-Forwarded-For from anyone else is ignored, and
// IPv6 clients are grouped by /64.
func TestRateLimitBehindTrustedProxy(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.6/32"), netip.MustParsePrefix("10.0.0.0/8")}
	e := newEnv(t, func(o *server.Options) { o.RateLimit, o.RateBurst, o.TrustedProxies = 1, 2, proxies })
	status := func(remote, xff string) int {
		r := req{method: "GET", path: "/healthz", remote: remote}
		if xff != "" {
			r.header = map[string]string{"X-Forwarded-For": xff}
		}
		return e.do(t, r).StatusCode
	}
	exhaust := func(remote, xff string) {
		t.Helper()
		for range 3 {
			status(remote, xff)
		}
		if got := status(remote, xff); got != http.StatusTooManyRequests {
			t.Fatalf("%s via %s not limited: %d", xff, remote, got)
		}
	}
	// Two clients behind the sidecar keep separate budgets.
	exhaust("127.0.0.6:5000", "198.51.100.1")
	if got := status("127.0.0.6:5001", "198.51.100.2"); got != 200 {
		t.Fatalf("second client behind the proxy limited: %d", got)
	}
	// A client cannot pick a fresh budget by prepending addresses, nor hide
	// behind an address of a trusted proxy chain.
	if got := status("127.0.0.6:5002", "203.0.113.99, 198.51.100.1"); got != http.StatusTooManyRequests {
		t.Fatalf("prepended X-Forwarded-For picked a new budget: %d", got)
	}
	if got := status("127.0.0.6:5003", "198.51.100.1, 10.1.2.3"); got != http.StatusTooManyRequests {
		t.Fatalf("trusted hop not skipped: %d", got)
	}
	// An untrusted peer's X-Forwarded-For is ignored.
	exhaust("192.0.2.50:1", "")
	if got := status("192.0.2.50:2", "198.51.100.77"); got != http.StatusTooManyRequests {
		t.Fatalf("X-Forwarded-For from an untrusted peer honoured: %d", got)
	}
	// One IPv6 /64 is one client; another /64 is another.
	exhaust("[2001:db8:1:2::1]:1", "")
	if got := status("[2001:db8:1:2:ffff::9]:1", ""); got != http.StatusTooManyRequests {
		t.Fatalf("same /64 got a fresh budget: %d", got)
	}
	if got := status("[2001:db8:1:3::1]:1", ""); got != 200 {
		t.Fatalf("another /64 limited: %d", got)
	}
	if _, err := server.New(server.Options{Logger: slog.New(slog.DiscardHandler), Notes: store.NewMemory(), AEAD: mustAEAD(t),
		Verifier: tokens, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}}); err == nil {
		t.Fatal("a /0 trusted proxy was accepted")
	}
}

// blockingStore never answers until its context ends: a frozen database.
type blockingStore struct{ *store.Memory }

func (blockingStore) Get(ctx context.Context, _ string) (store.Note, error) {
	<-ctx.Done()
	return store.Note{}, ctx.Err()
}

// unavailableStore fails like a database that is down.
type unavailableStore struct{ *store.Memory }

func (unavailableStore) Create(context.Context, store.Note) error {
	return fmt.Errorf("store: create: %w: connection refused", store.ErrUnavailable)
}

// A frozen or unreachable database costs a request at most the store
// timeout and answers 503 with Retry-After, never a hang or a 500.
func TestStoreTimeoutAnswers503(t *testing.T) {
	e := newEnv(t, func(o *server.Options) {
		o.Notes = blockingStore{store.NewMemory()}
		o.StoreTimeout = 50 * time.Millisecond
	})
	start := time.Now()
	resp := e.do(t, req{method: "GET", path: "/v1/notes/0123456789abcdef0123456789abcdef", bearer: secretToken})
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("frozen store: status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("request took %s with a 50ms store timeout", d)
	}
	u := newEnv(t, func(o *server.Options) { o.Notes = unavailableStore{store.NewMemory()} })
	if resp := u.do(t, req{method: "POST", path: "/v1/notes", bearer: secretToken, body: `{"title":"t"}`}); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("unavailable store: status %d", resp.StatusCode)
	}
}

// vanishingStore deletes the note between the handler's read and its write,
// the way a concurrent DELETE does.
type vanishingStore struct{ *store.Memory }

func (v vanishingStore) Update(ctx context.Context, n store.Note) (int64, error) {
	_ = v.Memory.Delete(ctx, n.ID, store.AnyVersion)
	return v.Memory.Update(ctx, n)
}

func (v vanishingStore) Delete(ctx context.Context, id string, version int64) error {
	_ = v.Memory.Delete(ctx, id, store.AnyVersion)
	return v.Memory.Delete(ctx, id, version)
}

// A note deleted by a concurrent request is 404 for the PATCH or DELETE
// that lost the race, never 500.
func TestConcurrentDeleteIs404(t *testing.T) {
	e := newEnv(t, func(o *server.Options) { o.Notes = vanishingStore{store.NewMemory()} })
	for _, method := range []string{"PATCH", "DELETE"} {
		note := create(t, e, secretToken, `{"title":"t"}`)
		resp := e.do(t, req{method: method, path: note, bearer: secretToken, body: `{"title":"u"}`, header: map[string]string{"If-Match": `"1"`}})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s of a note deleted meanwhile: status %d, want 404", method, resp.StatusCode)
		}
	}

	// The real race: concurrent PATCHes of one version and DELETEs.
	m := newEnv(t)
	note := create(t, m, secretToken, `{"title":"t"}`)
	statuses := make(chan int, 40)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			r := req{method: "PATCH", path: note, bearer: secretToken, body: fmt.Sprintf(`{"title":"w%d"}`, i), header: map[string]string{"If-Match": `"1"`}}
			if i%2 == 1 {
				r = req{method: "DELETE", path: note, bearer: secretToken}
			}
			statuses <- m.do(t, r).StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st >= 500 {
			t.Fatalf("concurrent PATCH/DELETE answered %d", st)
		}
	}
}

// Lost updates are impossible: GET gives an ETag, PATCH requires If-Match
// (428 without it), a stale ETag is 412, and of concurrent PATCHes of one
// version exactly one wins. DELETE honours If-Match when sent.
func TestETagIfMatchPreventsLostUpdates(t *testing.T) {
	e := newEnv(t)
	note := create(t, e, secretToken, `{"title":"t"}`)
	get := e.do(t, req{method: "GET", path: note, bearer: secretToken})
	tag := get.Header.Get("ETag")
	if tag != `"1"` {
		t.Fatalf("ETag %q, want \"1\"", tag)
	}
	patch := func(ifMatch, title string) *http.Response {
		r := req{method: "PATCH", path: note, bearer: secretToken, body: `{"title":"` + title + `"}`}
		if ifMatch != "" {
			r.header = map[string]string{"If-Match": ifMatch}
		}
		return e.do(t, r)
	}
	for ifMatch, want := range map[string]int{"": 428, "*": 428, `"7"`: 412, "1": 412, `W/"1"`: 412} {
		if resp := patch(ifMatch, "x"); resp.StatusCode != want {
			t.Errorf("If-Match %q: status %d, want %d", ifMatch, resp.StatusCode, want)
		}
	}
	var wins, conflicts atomic.Int64
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			switch st := patch(tag, fmt.Sprintf("w%d", i)).StatusCode; st {
			case 200:
				wins.Add(1)
			case 412:
				conflicts.Add(1)
			default:
				t.Errorf("concurrent PATCH: status %d", st)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 29 {
		t.Fatalf("%d PATCHes of one version won and %d got 412; want exactly 1 winner", wins.Load(), conflicts.Load())
	}
	newTag := e.do(t, req{method: "GET", path: note, bearer: secretToken}).Header.Get("ETag")
	if newTag != `"2"` {
		t.Fatalf("ETag after one update %q", newTag)
	}
	if resp := e.do(t, req{method: "DELETE", path: note, bearer: secretToken, header: map[string]string{"If-Match": tag}}); resp.StatusCode != 412 {
		t.Fatalf("DELETE with a stale ETag: %d", resp.StatusCode)
	}
	if resp := e.do(t, req{method: "DELETE", path: note, bearer: secretToken, header: map[string]string{"If-Match": newTag}}); resp.StatusCode != 204 {
		t.Fatalf("DELETE with the current ETag: %d", resp.StatusCode)
	}
}

// The development store's per-owner quota answers 507.
func TestQuotaAnswers507(t *testing.T) {
	e := newEnv(t, func(o *server.Options) {
		o.Notes = store.NewMemoryWithLimits(store.MemoryLimits{NotesPerOwner: 2, BytesPerOwner: 1 << 20})
	})
	create(t, e, secretToken, `{"title":"a"}`)
	create(t, e, secretToken, `{"title":"b"}`)
	if resp := e.do(t, req{method: "POST", path: "/v1/notes", bearer: secretToken, body: `{"title":"c"}`}); resp.StatusCode != http.StatusInsufficientStorage {
		t.Fatalf("note over quota: status %d", resp.StatusCode)
	}
	create(t, e, "tok-bob", `{"title":"bob's"}`)
}

// APP-20: the server has timeouts and a header limit.
func TestHTTPServerLimits(t *testing.T) {
	s := server.NewHTTPServer(8080, http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 {
		t.Fatalf("missing timeouts: %+v", s)
	}
	if s.MaxHeaderBytes <= 0 || s.MaxHeaderBytes > 64<<10 {
		t.Fatalf("MaxHeaderBytes %d", s.MaxHeaderBytes)
	}
	if s.Addr != ":8080" {
		t.Fatalf("Addr %q", s.Addr)
	}
}

// APP-05: JSON responses declare their type; HTML is escaped by html/template.
func TestResponsesDeclareContentType(t *testing.T) {
	e := newEnv(t)
	resp := e.do(t, req{method: "GET", path: "/healthz"})
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("JSON Content-Type %q", ct)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("JSON without nosniff")
	}
	resp = e.do(t, req{method: "GET", path: "/"})
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("HTML Content-Type %q", ct)
	}
	if body := readBody(t, resp); !strings.Contains(body, about.Name) {
		t.Fatalf("index lacks the service name: %s", body)
	}
}

// APP-10: tokens, cookies and bodies never reach the logs; client errors are generic.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	e := newEnv(t)
	create(t, e, secretToken, `{"title":"t","body":"b"}`)
	resp := e.do(t, req{method: "GET", path: "/v1/notes/0123456789abcdef0123456789abcdef?code=secret-code", bearer: "forged-" + secretToken})
	body := readBody(t, resp)
	if strings.Contains(body, secretToken) || strings.Contains(body, "invalid token") {
		t.Fatalf("error body reveals detail: %q", body)
	}
	logs := e.logs.String()
	for _, s := range []string{secretToken, "secret-code", "Bearer"} {
		if strings.Contains(logs, s) {
			t.Fatalf("%q leaked into logs:\n%s", s, logs)
		}
	}
	if !strings.Contains(logs, `"path":"/v1/notes"`) {
		t.Fatalf("requests not logged at all:\n%s", logs)
	}
}
