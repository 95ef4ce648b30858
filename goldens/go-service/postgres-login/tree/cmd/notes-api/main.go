// Command notes-api runs the service: configuration from the environment,
// access tokens verified against the issuer's JWKS, browser login through OIDC,
// and the hardened HTTP server. See README.md for the controls and where they live.
//
// Usage:
//
//	notes-api           serve (configuration from the environment)
//	notes-api migrate   create or upgrade the schema, then exit; run it with
//	                      an administrative DATABASE_URL before each release
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/time/rate"

	"github.com/example-org/notes-api/internal/about"
	"github.com/example-org/notes-api/internal/auth"
	"github.com/example-org/notes-api/internal/config"
	"github.com/example-org/notes-api/internal/crypto"
	"github.com/example-org/notes-api/internal/logging"
	"github.com/example-org/notes-api/internal/server"
	"github.com/example-org/notes-api/internal/session"
	"github.com/example-org/notes-api/internal/store"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
}

// run runs the command of args and returns the process exit code. A
// configuration error is printed as one line naming the variable, never its
// value, and exits 1 (APP-16); a usage error exits 2.
func run(args []string, getenv func(string) string, stderr io.Writer) int {
	switch {
	case len(args) == 0:
	case len(args) == 1 && args[0] == "migrate":
		return runMigrate(getenv, stderr)
	default:
		fmt.Fprintln(stderr, "usage: "+about.Name+" [migrate]")
		return 2
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, about.Name+": configuration:", err)
		return 1
	}
	log := logging.New(stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, log); err != nil {
		var busy *portInUseError
		if errors.As(err, &busy) {
			fmt.Fprintln(stderr, about.Name+":", busy)
			return 1
		}
		log.Error("service stopped", "err", err)
		return 1
	}
	return 0
}

// portInUseError reports a listener whose port another program holds, and
// the variable that moves it.
type portInUseError struct {
	port     int
	variable string
}

func (e *portInUseError) Error() string {
	return fmt.Sprintf("port %d is already in use; set %s to another port", e.port, e.variable)
}

// listen binds addr before the service says it listens, so that a busy port
// is one sentence naming the port and its variable.
func listen(ctx context.Context, addr string, port int, variable string) (net.Listener, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, &portInUseError{port: port, variable: variable}
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s (%s): %w", addr, variable, err)
	}
	return ln, nil
}

// runMigrate applies the schema with the administrative DATABASE_URL and
// grants DATABASE_RUNTIME_ROLE read and write on it, so the running service
// needs no DDL privilege.
func runMigrate(getenv func(string) string, stderr io.Writer) int {
	cfg, err := config.LoadMigrate(getenv)
	if err != nil {
		fmt.Fprintln(stderr, about.Name+": configuration:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pool, err := store.OpenPostgres(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		fmt.Fprintln(stderr, about.Name+": migrate:", err)
		return 1
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool, cfg.RuntimeRole); err != nil {
		fmt.Fprintln(stderr, about.Name+": migrate:", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	aead, err := crypto.NewAEAD([]byte(cfg.EncryptionKey.Reveal()))
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second}

	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// APP-12: the issuer's discovery document names its JWKS endpoint.
	provider, err := oidc.NewProvider(oidc.ClientContext(startCtx, client), cfg.Issuer)
	if err != nil {
		return fmt.Errorf("oidc discovery: %w", err)
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := provider.Claims(&meta); err != nil || !cfg.TrustedURL(meta.JWKSURI) {
		return errors.Join(errors.New("oidc discovery: no https jwks_uri"), err)
	}
	keys := auth.NewKeySet(meta.JWKSURI, client, time.Minute)
	// A warm cache: no request waits for the first JWKS fetch.
	if err := keys.Warm(startCtx); err != nil {
		return err
	}
	verifier, err := auth.NewVerifier(cfg.Issuer, cfg.Audience, keys)
	if err != nil {
		return err
	}

	// APP-04: the pool only ever runs the store's parameterized statements.
	// It verifies the server (sslmode=verify-full) and bounds connecting and
	// every statement; the schema comes from `migrate`, never from here, so
	// the runtime role needs no DDL privilege.
	var pool *pgxpool.Pool
	var notes store.Notes
	if cfg.DatabaseURL.IsZero() {
		// Only in development mode (config requires DATABASE_URL otherwise):
		// `make dev` without a database keeps everything in this process.
		log.Warn("development mode without DATABASE_URL: notes and sessions live in memory until the process exits")
		notes = store.NewMemory()
	} else {
		pool, err = store.OpenPostgres(ctx, cfg.DatabaseURL.Reveal())
		if err != nil {
			return err // never quotes the URL
		}
		defer pool.Close()
		notes = store.NewPostgres(pool)
	}

	// APP-11: Authorization Code + PKCE login; sessions with rotating refresh tokens (APP-13).
	// Sessions live in PostgreSQL, so every replica serves every session: a
	// refresh may land on any pod. Each replica answers a session it looked
	// up less than session.LookupCacheTTL (1 s) ago from memory, so a
	// request costs one database round trip, not two; a logout or refresh
	// on another replica reaches this one within that second, and refresh
	// rotation and reuse detection always ask the database (APP-13).
	var sessions session.Store = session.NewManager()
	if pool != nil {
		sessions = session.NewCached(session.NewPostgres(pool))
	}
	stateKey, err := crypto.DeriveKey([]byte(cfg.EncryptionKey.Reveal()), about.Name+" login-state")
	if err != nil {
		return err
	}
	login, err := auth.NewLogin(startCtx, auth.LoginConfig{
		Issuer:       cfg.Issuer,
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret.Reveal(),
		RedirectURL:  cfg.RedirectURL,
		StateKey:     stateKey,
		HTTPClient:   client,
	}, sessions, log)
	if err != nil {
		return err
	}

	h, err := server.New(server.Options{
		Logger:      log,
		Notes:       notes,
		AEAD:        aead,
		Verifier:    verifier,
		CORSOrigins: cfg.CORSOrigins,
		RateLimit:   rate.Limit(cfg.RateLimit),
		RateBurst:   2 * cfg.RateLimit,

		TrustedProxies: cfg.TrustedProxies,

		Sessions: sessions,
		Login:    login,
	})
	if err != nil {
		return err
	}
	srv := server.NewHTTPServer(cfg.Port, h, log)
	if cfg.ListenHost != "" {
		srv.Addr = net.JoinHostPort(cfg.ListenHost, strconv.Itoa(cfg.Port))
	}
	// APP-15: internal routes live on their own listener on 127.0.0.1.
	ih, err := server.NewInternal(log)
	if err != nil {
		return err
	}
	internal := server.NewInternalHTTPServer(cfg.InternalPort, ih, log)
	ln, err := listen(ctx, srv.Addr, cfg.Port, "PORT")
	if err != nil {
		return err
	}
	iln, err := listen(ctx, internal.Addr, cfg.InternalPort, "INTERNAL_PORT")
	if err != nil {
		_ = ln.Close()
		return err
	}
	if cfg.Dev {
		log.Warn("development mode (DEV_MODE=true): loopback only, plain http accepted from this machine; never deploy with it")
	}

	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	go func() { errc <- internal.Serve(iln) }()
	log.Info("listening", "service", about.Name, "port", cfg.Port, "internal_port", cfg.InternalPort,
		"issuer", cfg.Issuer, "audience", cfg.Audience)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancelShutdown()
	if err := errors.Join(srv.Shutdown(shutdownCtx), internal.Shutdown(shutdownCtx)); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
