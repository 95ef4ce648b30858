package server_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/time/rate"

	"example.com/minimal-svc/internal/auth"
	"example.com/minimal-svc/internal/server"
	"example.com/minimal-svc/internal/store"
)

// benchService is the service under benchmark, served over loopback HTTP
// with a local issuer's JWKS, and what a client needs to call it: a bearer
// access token for alice and the URL of a note she
// owns.
type benchService struct {
	url, note string
	client    *http.Client
	bearer    string
}

// startBench serves a handler with the given store. The rate
// limit is off: every request comes from one peer.
func startBench(b *testing.B, notes store.Notes) *benchService {
	b.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: key.Public(), KeyID: "bench", Algorithm: string(jose.RS256), Use: "sig"},
		}})
	}))
	b.Cleanup(jwks.Close)
	const issuer, audience = "https://issuer.bench.test", "minimal-svc"
	keys := auth.NewKeySet(jwks.URL, jwks.Client(), time.Minute)
	if err := keys.Warm(context.Background()); err != nil {
		b.Fatal(err)
	}
	verifier, err := auth.NewVerifier(issuer, audience, keys)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "bench"))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	token, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: issuer, Subject: "alice", Audience: jwt.Audience{audience},
		Expiry: jwt.NewNumericDate(now.Add(time.Hour)), IssuedAt: jwt.NewNumericDate(now),
	}).Claims(map[string]any{"roles": []string{"writer"}}).Serialize()
	if err != nil {
		b.Fatal(err)
	}

	h, err := server.New(server.Options{
		Logger: slog.New(slog.DiscardHandler), Notes: notes, AEAD: mustAEAD(b),
		Verifier: verifier, RateLimit: rate.Inf,
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	s := &benchService{url: srv.URL, client: srv.Client(), bearer: token}
	s.client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/notes", strings.NewReader(`{"title":"bench","body":"a note body"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		b.Fatalf("create: %v %v", resp, err)
	}
	s.note = srv.URL + resp.Header.Get("Location")
	_ = resp.Body.Close()
	return s
}

// get runs GET u from GOMAXPROCS goroutines until b.N requests are done,
// each one prepared by auth, and reports requests per second.
func (s *benchService) get(b *testing.B, u string, auth func(*http.Request)) {
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			auth(req)
			resp, err := s.client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
func (s *benchService) withBearer(r *http.Request) { r.Header.Set("Authorization", "Bearer "+s.bearer) }
func anonymous(*http.Request)                      {}

// benchGets runs the GETs the performance goal compares on one service, at
// the same concurrency: /healthz (no authentication, no store: the
// baseline), then the note with a bearer token.
func benchGets(b *testing.B, s *benchService) {
	b.Run("healthz", func(b *testing.B) { s.get(b, s.url+"/healthz", anonymous) })
	b.Run("bearer", func(b *testing.B) { s.get(b, s.note, s.withBearer) })
}

// BenchmarkAuthenticatedGet measures GET /v1/notes/{id} end to end over
// loopback HTTP with the memory store: the whole middleware chain, RS256
// access-token verification against a JWKS served by a local issuer, authorization, the store and AES-256-GCM decryption,
// next to GET /healthz on the same server (`make bench`).
func BenchmarkAuthenticatedGet(b *testing.B) {
	benchGets(b, startBench(b, store.NewMemory()))
}
