// Command ledger runs the service: configuration from the environment,
// access tokens verified against the issuer's JWKS,
// and the hardened HTTP server. See README.md for the controls and where they live.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/time/rate"

	"github.com/acme-corp/ledger/internal/about"
	"github.com/acme-corp/ledger/internal/auth"
	"github.com/acme-corp/ledger/internal/config"
	"github.com/acme-corp/ledger/internal/crypto"
	"github.com/acme-corp/ledger/internal/logging"
	"github.com/acme-corp/ledger/internal/server"
	"github.com/acme-corp/ledger/internal/store"
)

func main() {
	os.Exit(run(os.Getenv, os.Stderr))
}

// run starts the service and returns the process exit code. A configuration
// error is printed as one line naming the variable, never its value, and
// exits 1 (APP-16).
func run(getenv func(string) string, stderr io.Writer) int {
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, about.Name+": configuration:", err)
		return 1
	}
	log := logging.New(stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("service stopped", "err", err)
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
	if err := provider.Claims(&meta); err != nil || !strings.HasPrefix(meta.JWKSURI, "https://") {
		return errors.Join(errors.New("oidc discovery: no https jwks_uri"), err)
	}
	verifier, err := auth.NewVerifier(cfg.Issuer, cfg.Audience, auth.NewKeySet(meta.JWKSURI, client, time.Minute))
	if err != nil {
		return err
	}

	// APP-04: the pool only ever runs the store's parameterized statements.
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		return errors.New("database: invalid DATABASE_URL") // pgx's error could quote the URL
	}
	defer pool.Close()
	notes := store.NewPostgres(pool)
	if err := notes.Migrate(startCtx); err != nil {
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
	})
	if err != nil {
		return err
	}
	srv := server.NewHTTPServer(cfg.Port, h, log)

	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("listening", "service", about.Name, "port", cfg.Port, "issuer", cfg.Issuer, "audience", cfg.Audience)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancelShutdown()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
