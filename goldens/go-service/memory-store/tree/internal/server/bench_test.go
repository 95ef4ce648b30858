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

	"example.com/scratchpad/internal/auth"
	"example.com/scratchpad/internal/server"
	"example.com/scratchpad/internal/store"
)

// BenchmarkAuthenticatedGet measures GET /v1/notes/{id} end to end over
// loopback HTTP: the whole middleware chain, RS256 access-token
// verification against a JWKS served by a local issuer, authorization, the
// store and AES-256-GCM decryption. It reports requests per second
// (`make bench`). The rate limit is off: every request comes from one peer.
func BenchmarkAuthenticatedGet(b *testing.B) {
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
	defer jwks.Close()
	const issuer, audience = "https://issuer.bench.test", "scratchpad"
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
		Logger: slog.New(slog.DiscardHandler), Notes: store.NewMemory(), AEAD: mustAEAD(b),
		Verifier: verifier, RateLimit: rate.Inf,
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/notes", strings.NewReader(`{"title":"bench","body":"a note body"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		b.Fatalf("create: %v %v", resp, err)
	}
	note := srv.URL + resp.Header.Get("Location")
	_ = resp.Body.Close()

	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, note, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
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
