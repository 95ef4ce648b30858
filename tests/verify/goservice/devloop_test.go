package goservice

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// devRun is one `make dev` in a copy of a golden tree, in a process group of
// its own so the test can stop make, the issuer and the service together.
type devRun struct {
	cmd  *exec.Cmd
	out  *lineWatch
	done chan struct{}
}

// lineWatch collects a process's output and closes a channel when a line
// containing a wanted string appears.
type lineWatch struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	waits map[string]chan struct{}
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for s, c := range w.waits {
		if bytes.Contains(w.buf.Bytes(), []byte(s)) {
			close(c)
			delete(w.waits, s)
		}
	}
	return len(p), nil
}

// when returns a channel closed once s has appeared in the output.
func (w *lineWatch) when(s string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := make(chan struct{})
	if bytes.Contains(w.buf.Bytes(), []byte(s)) {
		close(c)
		return c
	}
	w.waits[s] = c
	return c
}

func (w *lineWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// startMakeDev writes .env (what a developer would change after cp
// .env.example .env) and runs `make dev` in dir, as the README says.
func startMakeDev(t *testing.T, dir string, env map[string]string) *devRun {
	t.Helper()
	var dotenv strings.Builder
	for k, v := range env {
		if strings.Contains(v, "'") {
			t.Fatalf("%s: a value the test cannot quote for the shell", k)
		}
		// make dev reads .env with the shell: a URL's & must be quoted.
		fmt.Fprintf(&dotenv, "%s='%s'\n", k, v)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &devRun{out: &lineWatch{waits: map[string]chan struct{}{}}, done: make(chan struct{})}
	r.cmd = exec.Command("make", "dev")
	r.cmd.Dir = dir
	r.cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly")
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
			<-r.done
		}
	})
	return r
}

// await waits until the output holds s; it fails the test when make exits
// first or builds and starts take longer than the timeout.
func (r *devRun) await(t *testing.T, s string, timeout time.Duration) {
	t.Helper()
	select {
	case <-r.out.when(s):
	case <-r.done:
		t.Fatalf("make dev exited (%d) before printing %q:\n%s", r.cmd.ProcessState.ExitCode(), s, r.out)
	case <-time.After(timeout):
		t.Fatalf("make dev did not print %q within %s:\n%s", s, timeout, r.out)
	}
}

// devPorts returns free loopback ports for .env: the service, its internal
// listener and the development issuer.
func devPorts(t *testing.T) map[string]string {
	return map[string]string{
		"PORT":            strconv.Itoa(freePort(t)),
		"INTERNAL_PORT":   strconv.Itoa(freePort(t)),
		"DEV_ISSUER_ADDR": "127.0.0.1:" + strconv.Itoa(freePort(t)),
	}
}

// TestMakeDevLoop runs `make dev` headless in every golden service, as the
// generated README tells a developer to: the development issuer and the
// service start on 127.0.0.1, a full login goes through the issuer
// (authorization code with PKCE, then session cookies) when the service has
// browser login, or a token from the issuer's /dev/token otherwise, and a
// note is created and read back through the API. Services with PostgreSQL
// run twice: on the memory store (no DATABASE_URL) and on a real PostgreSQL
// (the suite's fixture, migrated by make dev), whose notes table then holds
// the note.
func TestMakeDevLoop(t *testing.T) {
	for _, tr := range serviceTrees(t) {
		t.Run(tr.name+"/memory", func(t *testing.T) { devLoop(t, tr, nil) })
		if tr.answers.Database == "postgres" {
			t.Run(tr.name+"/postgres", func(t *testing.T) {
				pg := startPostgres(t)
				pw := randomHex(t)
				pg.mustPSQL(t, "postgres", "CREATE ROLE app_owner LOGIN PASSWORD '"+pw+"'")
				pg.mustPSQL(t, "postgres", "CREATE DATABASE app OWNER app_owner")
				pg.mustPSQL(t, "app", "ALTER SCHEMA public OWNER TO app_owner")
				devLoop(t, tr, map[string]string{"DATABASE_URL": pg.url("app_owner", pw)})
				if out, err := pg.psql(t, "app", "SELECT count(*) FROM notes"); err != nil || strings.TrimSpace(out) != "1" {
					t.Errorf("PostgreSQL holds %q notes (%v), want the one the API created", strings.TrimSpace(out), err)
				}
			})
		}
	}
}

func devLoop(t *testing.T, tr serviceTree, extra map[string]string) {
	dir := copyTree(t, tr.dir)
	env := devPorts(t)
	for k, v := range extra {
		env[k] = v
	}
	r := startMakeDev(t, dir, env)
	issuer := "http://" + env["DEV_ISSUER_ADDR"]
	r.await(t, "devissuer: development issuer "+issuer+" listening", 10*time.Minute)
	r.await(t, `"msg":"listening"`, 2*time.Minute)
	base := "http://127.0.0.1:" + env["PORT"]
	waitStatus(t, base+"/readyz", http.StatusOK, time.Minute)
	if inMemory := strings.Contains(r.out.String(), "live in memory"); tr.answers.Database == "postgres" && inMemory != (extra["DATABASE_URL"] == "") {
		t.Errorf("DATABASE_URL %q, yet the service says notes live in memory: %v\n%s", extra["DATABASE_URL"], inMemory, r.out)
	}

	user := browser{}
	bearer := ""
	if tr.answers.OIDCLogin {
		resp := user.do(t, "GET", base+"/auth/login", "")
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || loc.Scheme+"://"+loc.Host != issuer || loc.Query().Get("code_challenge_method") != "S256" {
			t.Fatalf("login: %d to %q, want a redirect to %s with PKCE S256\n%s", resp.StatusCode, resp.Header.Get("Location"), issuer, r.out)
		}
		idp := browser{}
		back := idp.do(t, "GET", loc.String(), "")
		cb, err := url.Parse(back.Header.Get("Location"))
		if back.StatusCode != http.StatusFound || err != nil || cb.Host != "127.0.0.1:"+env["PORT"] || cb.Path != "/auth/callback" {
			t.Fatalf("the development issuer's authorization: %d to %q\n%s", back.StatusCode, back.Header.Get("Location"), r.out)
		}
		resp = user.do(t, "GET", cb.String(), "")
		if resp.StatusCode != http.StatusFound || user["__Host-session"] == "" || user["__Host-refresh"] == "" {
			t.Fatalf("callback: %d, cookies %v\n%s", resp.StatusCode, keys(user), r.out)
		}
	} else {
		resp, err := http.Get(issuer + "/dev/token")
		if err != nil {
			t.Fatal(err)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		err = json.NewDecoder(resp.Body).Decode(&tok)
		resp.Body.Close()
		if err != nil || tok.AccessToken == "" {
			t.Fatalf("/dev/token: %v", err)
		}
		bearer = tok.AccessToken
	}
	call := func(method, path, body string) *http.Response {
		t.Helper()
		if bearer == "" {
			return user.do(t, method, base+path, body)
		}
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+bearer)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := call("POST", "/v1/notes", `{"title":"make dev","body":"a local loop"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d\n%s", resp.StatusCode, r.out)
	}
	resp = call("GET", resp.Header.Get("Location"), "")
	var note struct {
		Title string `json:"title"`
		Body  string `json:"body"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&note) != nil || note.Title != "make dev" || note.Body != "a local loop" {
		t.Fatalf("read: %d %+v\n%s", resp.StatusCode, note, r.out)
	}
	t.Logf("%s: make dev, %s, note created and read", tr.name, map[bool]string{true: "login through the development issuer", false: "a /dev/token bearer"}[tr.answers.OIDCLogin])
}

// TestMakeDevBusyPort: make dev on a busy port stops with one sentence naming
// the port and the variable that moves it, for the service's port, its
// internal port and the development issuer's.
func TestMakeDevBusyPort(t *testing.T) {
	var tr serviceTree
	for _, s := range serviceTrees(t) {
		if s.name == "go-service/minimal" {
			tr = s
		}
	}
	if tr.dir == "" {
		t.Fatal("no go-service/minimal golden")
	}
	dir := copyTree(t, tr.dir)
	for _, c := range []struct{ variable, want string }{
		{"PORT", tr.cmdName + ": port %s is already in use; set PORT to another port\n"},
		{"INTERNAL_PORT", tr.cmdName + ": port %s is already in use; set INTERNAL_PORT to another port\n"},
		{"DEV_ISSUER_ADDR", "devissuer: port %s is already in use; set DEV_ISSUER_ADDR to 127.0.0.1 and another port\n"},
	} {
		t.Run(c.variable, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			env := devPorts(t)
			if c.variable == "DEV_ISSUER_ADDR" {
				env[c.variable] = ln.Addr().String()
			} else {
				env[c.variable] = port
			}
			r := startMakeDev(t, dir, env)
			select {
			case <-r.done:
			case <-time.After(10 * time.Minute):
				t.Fatalf("make dev kept running on a busy %s:\n%s", c.variable, r.out)
			}
			want := fmt.Sprintf(c.want, port)
			if r.cmd.ProcessState.ExitCode() == 0 || !strings.Contains(r.out.String(), want) {
				t.Fatalf("make dev on a busy %s: exit %d, want non-zero and %q in:\n%s", c.variable, r.cmd.ProcessState.ExitCode(), want, r.out)
			}
		})
	}
}
