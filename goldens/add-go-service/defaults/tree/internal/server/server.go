// Package server builds the HTTP server: routes, middleware and the
// hardening every response gets.
package server

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"example.com/demo-service/internal/config"
)

// Limits of the HTTP server (APP-20).
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 15 * time.Second
	IdleTimeout       = 60 * time.Second
	MaxHeaderBytes    = 16 << 10
	MaxBodyBytes      = 1 << 20
)

// New returns the configured server.
func New(cfg config.Config, logger *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              ":" + strconv.Itoa(cfg.Port),
		Handler:           Handler(logger),
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// Handler returns the routes wrapped in the middleware chain. Security
// headers are outermost so they are set even on 404s and recovered panics.
func Handler(logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", health)
	var h http.Handler = mux
	h = limitBody(h)
	h = recoverPanics(logger, h)
	h = securityHeaders(h)
	return h
}

func health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}`))
}

// limitBody caps every request body (APP-20).
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}
