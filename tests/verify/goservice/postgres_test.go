package goservice

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// integrationTests are the rendered postgres variant's integration tests; each must run
// and pass against the real server.
var integrationTests = []string{
	"TestIntegrationMigrationRoleSeparation",
	"TestIntegrationStatementTimeout",
	"TestIntegrationTLSRefusal",
	"TestIntegrationConcurrentPatchDelete",
	"TestIntegrationOwnerQuota",
	// internal/session, with browser login: the sessions every replica shares.
	"TestIntegrationSessionsAcrossReplicas",
	"TestIntegrationConcurrentRefreshRotatesOnce",
	"TestIntegrationFamiliesPerUserAcrossReplicas",
	"TestIntegrationCachedSessionsAcrossReplicas",
}

// pgServer is a throwaway PostgreSQL started by a test.
type pgServer struct {
	dir, socketDir, caFile string
	port                   int
	bin                    string
	cred                   *syscall.Credential // nil when the test already runs unprivileged
}

// pgBinDir returns the directory of Debian's PostgreSQL server binaries (installed
// by .ci/run), failing when there is none.
func pgBinDir(t testing.TB) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	t.Fatal("PostgreSQL server binaries are missing under /usr/lib/postgresql/*/bin: apt-get install postgresql (.ci/run does)")
	return ""
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// unprivileged returns the credentials PostgreSQL runs with: initdb and postgres
// refuse to run as root, so a root test runs them as the postgres system user (or
// nobody).
func unprivileged(t testing.TB) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 == nil && err2 == nil {
			return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
		}
	}
	t.Fatal("running as root with neither a postgres nor a nobody user to run PostgreSQL as")
	return nil
}

// cmd returns a command of the server's bin directory, run as its unprivileged user.
func (s *pgServer) cmd(name string, args ...string) *exec.Cmd {
	c := exec.Command(filepath.Join(s.bin, name), args...)
	c.Dir = s.dir
	c.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + s.dir, "PGTZ=UTC"}
	if s.cred != nil {
		c.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return c
}

func (s *pgServer) own(t testing.TB, path string) {
	t.Helper()
	if s.cred != nil {
		if err := os.Chown(path, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
}

func (s *pgServer) write(t testing.TB, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	s.own(t, path)
}

// startPostgres starts PostgreSQL on 127.0.0.1 with TLS from a CA made for the test,
// as an unprivileged user, in a temporary directory it owns. It listens on a unix
// socket in that directory too, for the superuser's setup only.
func startPostgres(t testing.TB) *pgServer {
	t.Helper()
	s := &pgServer{bin: pgBinDir(t), cred: unprivileged(t)}
	dir, err := os.MkdirTemp("", "secgen-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	s.dir, s.socketDir = dir, dir
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s.own(t, dir)

	caPEM, certPEM, keyPEM := testCertificates(t)
	s.caFile = filepath.Join(dir, "ca.crt")
	s.write(t, s.caFile, caPEM, 0o644)
	s.write(t, filepath.Join(dir, "server.crt"), certPEM, 0o644)
	s.write(t, filepath.Join(dir, "server.key"), keyPEM, 0o600)

	data := filepath.Join(dir, "data")
	if out, err := s.cmd("initdb", "-D", data, "-U", "postgres", "-E", "UTF8", "--auth=scram-sha-256", "--auth-local=trust", "--no-instructions").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	// TLS only over TCP, password (SCRAM) authentication; plaintext TCP is rejected.
	hba := "local all postgres trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhost all all 0.0.0.0/0 reject\n"
	s.write(t, filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600)

	s.port = freePort(t)
	srv := s.cmd("postgres", "-D", data, "-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir,
		"-c", "ssl=on", "-c", "ssl_cert_file="+filepath.Join(dir, "server.crt"), "-c", "ssl_key_file="+filepath.Join(dir, "server.key"),
		"-c", "fsync=off", "-c", "max_connections=50")
	logs := &serverLog{ready: make(chan struct{}), line: []byte("database system is ready to accept connections")}
	srv.Stdout, srv.Stderr = logs, logs
	if err := srv.Start(); err != nil {
		t.Fatalf("postgres: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = srv.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = srv.Process.Kill()
			<-exited
		}
	})
	// The postmaster logs this line once it accepts connections (messages
	// are in English: LC_ALL=C).
	select {
	case <-logs.ready:
	case <-exited:
		t.Fatalf("postgres exited:\n%s", logs)
	case <-time.After(2 * time.Minute):
		t.Fatalf("postgres did not start within 2 minutes:\n%s", logs)
	}
	if out, err := s.psql(t, "postgres", "SELECT 1"); err != nil || strings.TrimSpace(out) != "1" {
		t.Fatalf("postgres is ready but SELECT 1 gave %q, %v:\n%s", out, err, logs)
	}
	return s
}

// serverLog collects a server's output and closes ready when line first
// appears in it.
type serverLog struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	line  []byte
	ready chan struct{}
	seen  bool
}

func (l *serverLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if !l.seen && bytes.Contains(l.buf.Bytes(), l.line) {
		l.seen = true
		close(l.ready)
	}
	return len(p), nil
}

func (l *serverLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// psql runs SQL as the superuser over the unix socket.
func (s *pgServer) psql(t testing.TB, db, sql string) (string, error) {
	t.Helper()
	c := s.cmd("psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", s.socketDir, "-p", strconv.Itoa(s.port), "-U", "postgres", "-d", db, "-c", sql)
	out, err := c.CombinedOutput()
	return string(out), err
}

func (s *pgServer) mustPSQL(t testing.TB, db, sql string) {
	t.Helper()
	if out, err := s.psql(t, db, sql); err != nil {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
}

// url returns a verify-full URL of role on database app.
func (s *pgServer) url(role, password string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/app?sslmode=verify-full&sslrootcert=%s", role, password, s.port, s.caFile)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// testCertificates returns a throwaway CA and a server certificate it signed for
// 127.0.0.1 and localhost, with the server's key, all PEM.
func testCertificates(t testing.TB) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "secgen test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

var passLine = regexp.MustCompile(`(?m)^--- PASS: (TestIntegration\w+)`)

// TestRenderedPostgresStoreAgainstRealPostgres starts PostgreSQL (TLS, loopback,
// unprivileged, throwaway), creates a schema-owner role and a runtime role, and runs
// the rendered postgres variant's integration tests against it: migration role
// separation, statement_timeout, TLS refusal and concurrent PATCH/DELETE. Every one
// must have run and passed; gosec and staticcheck also see the tagged files.
func TestRenderedPostgresStoreAgainstRealPostgres(t *testing.T) {
	var trees []serviceTree
	for _, tr := range serviceTrees(t) {
		// With browser login too: its sessions live in PostgreSQL.
		if tr.answers.Database == "postgres" && tr.answers.OIDCLogin {
			trees = append(trees, tr)
		}
	}
	if len(trees) == 0 {
		t.Fatal("no golden tree renders the postgres store with browser login")
	}
	s := startPostgres(t)
	adminPW, runtimePW := randomHex(t), randomHex(t)
	s.mustPSQL(t, "postgres", "CREATE ROLE app_owner LOGIN PASSWORD '"+adminPW+"'")
	s.mustPSQL(t, "postgres", "CREATE ROLE app_runtime LOGIN PASSWORD '"+runtimePW+"'")
	s.mustPSQL(t, "postgres", "CREATE DATABASE app OWNER app_owner")
	// PUBLIC keeps only USAGE on schema public (the default since PostgreSQL 15); the
	// owner of the database owns the schema. Revoking CREATE makes this explicit on
	// older servers too.
	s.mustPSQL(t, "app", "REVOKE CREATE ON SCHEMA public FROM PUBLIC")
	s.mustPSQL(t, "app", "ALTER SCHEMA public OWNER TO app_owner")

	// The server refuses plaintext TCP: the fixture is no weaker than a production
	// database.
	plain := s.cmd("psql", "-X", "-t", "-A", "-c", "SELECT 1",
		fmt.Sprintf("host=127.0.0.1 port=%d dbname=app user=app_runtime password=%s sslmode=disable", s.port, runtimePW))
	if out, err := plain.CombinedOutput(); err == nil {
		t.Fatalf("the test server accepted a plaintext connection: %s", out)
	}

	tr := trees[0]
	dir := copyTree(t, tr.dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-race", "-count=1", "-tags", "integration", "-run", "^TestIntegration", "-v", "./internal/store", "./internal/session")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly",
		"TEST_DATABASE_ADMIN_URL="+s.url("app_owner", adminPW),
		"TEST_DATABASE_URL="+s.url("app_runtime", runtimePW))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: integration tests failed: %v\n%s", tr.name, err, out)
	}
	passed := map[string]bool{}
	for _, m := range passLine.FindAllStringSubmatch(string(out), -1) {
		passed[m[1]] = true
	}
	for _, name := range integrationTests {
		if !passed[name] {
			t.Errorf("%s: %s did not run and pass against PostgreSQL:\n%s", tr.name, name, out)
		}
	}
	if strings.Contains(string(out), "--- SKIP") {
		t.Errorf("%s: an integration test skipped:\n%s", tr.name, out)
	}
	t.Logf("%s: %d integration tests passed against PostgreSQL at 127.0.0.1:%d", tr.name, len(passed), s.port)
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "session lookup across replicas:") {
			t.Log(strings.TrimSpace(line))
		}
	}

	// The PostgreSQL benchmark (`make bench-postgres`) runs too, a few
	// iterations: every GET it compares reports requests per second.
	bench := exec.CommandContext(ctx, "go", "test", "-count=1", "-tags", "integration", "-run", "^$", "-bench", "BenchmarkPostgres", "-benchtime", "20x", "./internal/server")
	bench.Dir, bench.Env = dir, cmd.Env
	out, err = bench.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: BenchmarkPostgres: %v\n%s", tr.name, err, out)
	}
	for _, sub := range []string{"healthz", "bearer", "session"} {
		if !regexp.MustCompile(`BenchmarkPostgres/` + sub + `\S*\s+20\s+.* req/s`).Match(out) {
			t.Errorf("%s: BenchmarkPostgres/%s did not report req/s:\n%s", tr.name, sub, out)
		}
	}

	run(t, dir, tool(t, "gosec"), "-quiet", "-fmt=text", "-tags=integration", "./...")
	run(t, dir, tool(t, "staticcheck"), "-tags", "integration", "./...")
}
