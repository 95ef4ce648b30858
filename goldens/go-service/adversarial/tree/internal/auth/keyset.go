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
)

// ErrUnknownKey is returned when no key of the JWKS has the token's key ID.
var ErrUnknownKey = errors.New("auth: unknown signing key")

const (
	maxJWKSBytes = 1 << 20
	// keysMaxAge is the age after which a request that uses a cached key
	// starts a background refresh, so a key the issuer withdrew stops being
	// accepted; the request itself is served from the cache.
	keysMaxAge = time.Hour
	// keysHardMaxAge is the age after which cached keys are no longer used
	// at all: an issuer unreachable for this long fails closed.
	keysHardMaxAge = 24 * time.Hour
	// fetchTimeout bounds one JWKS download, whoever waits for it.
	fetchTimeout = 10 * time.Second
	// maxBackoff is the longest wait after repeated failed fetches.
	maxBackoff = 5 * time.Minute
)

// KeySet caches the issuer's public signing keys from its JWKS endpoint
// (APP-12) without coupling requests to the issuer's health:
//
//   - a request whose key is cached never waits for the issuer: the lock is
//     never held during a fetch, and a cache older than keysMaxAge is
//     refreshed in the background while the cached keys keep serving;
//   - one fetch at a time: concurrent callers share the fetch in flight;
//   - fetches triggered by unknown key IDs (rotation) are spaced by
//     minRefresh, and failures back off exponentially up to maxBackoff, so a
//     flood of forged key IDs can neither hammer the issuer nor stall anyone
//     but the forged requests;
//   - a failed fetch keeps the cached keys.
type KeySet struct {
	url        string
	client     *http.Client
	minRefresh time.Duration
	now        func() time.Time

	mu        sync.Mutex
	keys      map[string]jose.JSONWebKey
	fetched   time.Time
	inflight  chan struct{} // closed when the fetch in flight ends
	nextFetch time.Time     // no fetch starts before this time
	failures  int
	lastErr   error
}

// NewKeySet returns a key set served at jwksURL. minRefresh is the least
// time between two fetches.
func NewKeySet(jwksURL string, client *http.Client, minRefresh time.Duration) *KeySet {
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout}
	}
	return &KeySet{url: jwksURL, client: client, minRefresh: max(minRefresh, 0), now: time.Now}
}

// Warm fetches the keys once and returns the error of that fetch, so the
// service starts with a full cache (call it at startup).
func (k *KeySet) Warm(ctx context.Context) error {
	k.mu.Lock()
	done := k.startLocked(true)
	k.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("auth: warm jwks: %w", ctx.Err())
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		return errors.Join(errors.New("auth: warm jwks: no keys"), k.lastErr)
	}
	return nil
}

// Key returns the public key with key ID kid.
func (k *KeySet) Key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	k.mu.Lock()
	key, ok := k.lookupLocked(kid)
	if ok {
		if k.now().Sub(k.fetched) > keysMaxAge {
			k.startLocked(false) // background refresh; this request goes on
		}
		k.mu.Unlock()
		return key, nil
	}
	done := k.startLocked(false)
	k.mu.Unlock()
	if done == nil {
		return jose.JSONWebKey{}, ErrUnknownKey // a fetch is not due yet
	}
	select {
	case <-done:
	case <-ctx.Done():
		return jose.JSONWebKey{}, fmt.Errorf("auth: waiting for jwks: %w", ctx.Err())
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.lookupLocked(kid); ok {
		return key, nil
	}
	return jose.JSONWebKey{}, ErrUnknownKey
}

// lookupLocked returns the cached key kid unless the cache is too old to
// use. k.mu is held.
func (k *KeySet) lookupLocked(kid string) (jose.JSONWebKey, bool) {
	key, ok := k.keys[kid]
	if !ok || k.now().Sub(k.fetched) > keysHardMaxAge {
		return jose.JSONWebKey{}, false
	}
	return key, true
}

// startLocked returns the channel of the fetch in flight, starting one when
// none is and one is due (or force is set); nil means no fetch is due.
// k.mu is held.
func (k *KeySet) startLocked(force bool) chan struct{} {
	if k.inflight != nil {
		return k.inflight
	}
	if !force && k.now().Before(k.nextFetch) {
		return nil
	}
	done := make(chan struct{})
	k.inflight = done
	go k.refresh(done)
	return done
}

// refresh runs one fetch on its own deadline, detached from the request
// that triggered it, and stores the result.
func (k *KeySet) refresh(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	keys, err := k.fetch(ctx)

	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if err != nil {
		// Keep the cached keys; wait longer after each failure.
		k.failures++
		k.lastErr = err
		k.nextFetch = now.Add(k.backoff())
	} else {
		k.keys, k.fetched, k.failures, k.lastErr = keys, now, 0, nil
		k.nextFetch = now.Add(k.minRefresh)
	}
	k.inflight = nil
	close(done)
}

// backoff is min(maxBackoff, max(minRefresh, 1s) * 2^(failures-1)).
func (k *KeySet) backoff() time.Duration {
	d := max(k.minRefresh, time.Second)
	for i := 1; i < k.failures && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
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
