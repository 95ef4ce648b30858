package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/time/rate"
)

// ErrUnknownKey is returned when no key of the JWKS has the token's key ID.
var ErrUnknownKey = errors.New("auth: unknown signing key")

const (
	maxJWKSBytes = 1 << 20
	// keysMaxAge bounds how long fetched keys are used before a refresh, so
	// a key the issuer withdrew stops being accepted.
	keysMaxAge = time.Hour
)

// KeySet caches the issuer's public signing keys from its JWKS endpoint
// (APP-12). An unknown key ID triggers a refresh (key rotation), at most
// once per minRefresh, so a flood of forged key IDs cannot hammer the
// issuer.
type KeySet struct {
	url     string
	client  *http.Client
	limiter *rate.Limiter
	now     func() time.Time

	mu      sync.Mutex
	keys    map[string]jose.JSONWebKey
	fetched time.Time
}

// NewKeySet returns a key set served at jwksURL. minRefresh is the least
// time between two fetches triggered by unknown key IDs.
func NewKeySet(jwksURL string, client *http.Client, minRefresh time.Duration) *KeySet {
	limit := rate.Inf
	if minRefresh > 0 {
		limit = rate.Every(minRefresh)
	}
	return &KeySet{url: jwksURL, client: client, limiter: rate.NewLimiter(limit, 1), now: time.Now}
}

// Key returns the public key with key ID kid.
func (k *KeySet) Key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	key, ok := k.keys[kid]
	stale := k.now().Sub(k.fetched) > keysMaxAge
	if ok && !stale {
		return key, nil
	}
	// Every fetch takes a token; only a stale cache may fetch without one.
	if !k.limiter.Allow() && !stale {
		return jose.JSONWebKey{}, ErrUnknownKey
	}
	keys, err := k.fetch(ctx)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	k.keys, k.fetched = keys, k.now()
	key, ok = k.keys[kid]
	if !ok {
		return jose.JSONWebKey{}, ErrUnknownKey
	}
	return key, nil
}

// fetch downloads the JWKS and keeps only public signing keys with an ID.
func (k *KeySet) fetch(ctx context.Context) (map[string]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, fmt.Errorf("auth: jwks request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("auth: fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("auth: fetch jwks: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes))
	if err != nil {
		return nil, fmt.Errorf("auth: read jwks: %w", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("auth: decode jwks: %w", err)
	}
	keys := make(map[string]jose.JSONWebKey, len(set.Keys))
	for _, key := range set.Keys {
		if key.KeyID == "" || !key.Valid() || !key.IsPublic() || (key.Use != "" && key.Use != "sig") {
			continue
		}
		keys[key.KeyID] = key
	}
	return keys, nil
}
