package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/example-org/notes-api/internal/auth"
)

const audience = "notes-api"

func newVerifier(t *testing.T, is *testIssuer, minRefresh time.Duration) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(is.url(), audience, auth.NewKeySet(is.jwksURL(), is.srv.Client(), minRefresh))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type rolesClaim struct {
	Roles []string `json:"roles"`
}

// APP-12: RS256 and ES256 tokens of the right issuer and audience pass.
func TestVerifyAcceptsValidTokens(t *testing.T) {
	is := newTestIssuer(t, false)
	v := newVerifier(t, is, 0)
	now := time.Now()
	for name, raw := range map[string]string{
		"RS256": is.sign(jose.RS256, is.rsa, "rsa-1", is.claims(audience, now), rolesClaim{Roles: []string{"writer"}}),
		"ES256": is.sign(jose.ES256, is.ec, "ec-1", is.claims(audience, now), rolesClaim{Roles: []string{"writer"}}),
	} {
		p, err := v.Verify(context.Background(), raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Subject != "alice" || len(p.Roles) != 1 || p.Roles[0] != "writer" {
			t.Fatalf("%s: principal %+v", name, p)
		}
	}
}

// APP-12: every forged, misdirected or stale token is rejected.
func TestVerifyRejectsBadTokens(t *testing.T) {
	is := newTestIssuer(t, false)
	v := newVerifier(t, is, 0)
	now := time.Now()
	valid := is.claims(audience, now)

	wrongIss := valid
	wrongIss.Issuer = "https://evil.example"
	wrongAud := valid
	wrongAud.Audience = jwt.Audience{"another-service"}
	noAud := valid
	noAud.Audience = nil
	expired := valid
	expired.Expiry = jwt.NewNumericDate(now.Add(-auth.Leeway - 5*time.Second))
	noExp := valid
	noExp.Expiry = nil
	notYet := valid
	notYet.NotBefore = jwt.NewNumericDate(now.Add(auth.Leeway + 30*time.Second))
	futureIat := valid
	futureIat.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour))
	noSub := valid
	noSub.Subject = ""

	pubDER, err := x509.MarshalPKIXPublicKey(is.rsa.Public())
	if err != nil {
		t.Fatal(err)
	}
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherEC, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	good := is.sign(jose.RS256, is.rsa, "rsa-1", valid)
	parts := strings.Split(good, ".")
	tamperedPayload := parts[0] + "." + strings.TrimSuffix(parts[1], parts[1][len(parts[1])-2:]) + "AA." + parts[2]

	cases := map[string]string{
		"alg none":              unsigned(map[string]string{"alg": "none", "kid": "rsa-1", "typ": "JWT"}, valid),
		"alg None":              unsigned(map[string]string{"alg": "None", "kid": "rsa-1"}, valid),
		"HS256 with public key": is.sign(jose.HS256, pubDER, "rsa-1", valid),
		"HS256 with secret":     is.sign(jose.HS256, []byte("0123456789abcdef0123456789abcdef"), "rsa-1", valid),
		"PS256 not allowlisted": is.sign(jose.PS256, is.rsa, "rsa-1", valid),
		"RS512 not allowlisted": is.sign(jose.RS512, is.rsa, "rsa-1", valid),
		"wrong issuer":          is.sign(jose.RS256, is.rsa, "rsa-1", wrongIss),
		"wrong audience":        is.sign(jose.RS256, is.rsa, "rsa-1", wrongAud),
		"no audience":           is.sign(jose.RS256, is.rsa, "rsa-1", noAud),
		"expired":               is.sign(jose.RS256, is.rsa, "rsa-1", expired),
		"no expiry":             is.sign(jose.RS256, is.rsa, "rsa-1", noExp),
		"not yet valid":         is.sign(jose.RS256, is.rsa, "rsa-1", notYet),
		"issued in the future":  is.sign(jose.RS256, is.rsa, "rsa-1", futureIat),
		"no subject":            is.sign(jose.RS256, is.rsa, "rsa-1", noSub),
		"unknown kid":           is.sign(jose.RS256, is.rsa, "rsa-999", valid),
		"no kid":                is.sign(jose.RS256, is.rsa, "", valid),
		"foreign RSA key":       is.sign(jose.RS256, otherRSA, "rsa-1", valid),
		"foreign EC key":        is.sign(jose.ES256, otherEC, "ec-1", valid),
		"EC alg on RSA kid":     is.sign(jose.ES256, is.ec, "rsa-1", valid),
		"tampered payload":      tamperedPayload,
		"garbage":               "not.a.jwt",
		"empty":                 "",
		"over-long":             strings.Repeat("a", 9000),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), raw)
			if err == nil {
				t.Fatalf("accepted, principal %+v", p)
			}
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("error %v does not wrap ErrInvalidToken", err)
			}
		})
	}
}

// APP-12: the tolerated clock skew is at most 30 s, and it is applied.
func TestLeewayIsAtMost30s(t *testing.T) {
	if auth.Leeway > 30*time.Second {
		t.Fatalf("leeway %v exceeds 30s", auth.Leeway)
	}
	is := newTestIssuer(t, false)
	v := newVerifier(t, is, 0)
	c := is.claims(audience, time.Now())
	c.Expiry = jwt.NewNumericDate(time.Now().Add(-10 * time.Second))
	if _, err := v.Verify(context.Background(), is.sign(jose.RS256, is.rsa, "rsa-1", c)); err != nil {
		t.Fatalf("token expired 10s ago (within leeway) rejected: %v", err)
	}
}

// APP-12: a rotated key is fetched from the JWKS when its kid first appears,
// and a withdrawn key stops working after the refresh.
func TestKeyRotation(t *testing.T) {
	is := newTestIssuer(t, false)
	v := newVerifier(t, is, 0)
	now := time.Now()
	if _, err := v.Verify(context.Background(), is.sign(jose.RS256, is.rsa, "rsa-1", is.claims(audience, now))); err != nil {
		t.Fatal(err)
	}
	newKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	is.setKeys(jose.JSONWebKey{Key: newKey.Public(), KeyID: "rsa-2", Algorithm: string(jose.RS256), Use: "sig"})
	if _, err := v.Verify(context.Background(), is.sign(jose.RS256, newKey, "rsa-2", is.claims(audience, now))); err != nil {
		t.Fatalf("rotated key not picked up: %v", err)
	}
	if _, err := v.Verify(context.Background(), is.sign(jose.RS256, is.rsa, "rsa-1", is.claims(audience, now))); err == nil {
		t.Fatal("withdrawn key still accepted after refresh")
	}
}

// APP-12: a remembered token is accepted only while a full verification
// would accept it: past its expiry (and the leeway) it is refused, and it
// was verified once, not on every request.
func TestRememberedTokenExpires(t *testing.T) {
	is := newTestIssuer(t, false)
	v := newVerifier(t, is, 0)
	var clock atomic.Int64
	now := time.Now()
	clock.Store(now.UnixNano())
	v.SetClock(func() time.Time { return time.Unix(0, clock.Load()) })
	c := is.claims(audience, now)
	c.Expiry = jwt.NewNumericDate(now.Add(time.Minute))
	raw := is.sign(jose.RS256, is.rsa, "rsa-1", c, rolesClaim{Roles: []string{"writer"}})
	for range 3 {
		p, err := v.Verify(context.Background(), raw)
		if err != nil || p.Subject != "alice" || len(p.Roles) != 1 || p.Roles[0] != "writer" {
			t.Fatalf("a valid token gave %+v, %v", p, err)
		}
		p.Roles[0] = "admin" // a caller's change never reaches the cache
	}
	if n := v.Remembered(); n != 1 {
		t.Fatalf("%d tokens remembered, want 1", n)
	}
	clock.Add(int64(time.Minute + auth.Leeway - time.Second))
	if _, err := v.Verify(context.Background(), raw); err != nil {
		t.Fatalf("token within its expiry and leeway refused: %v", err)
	}
	clock.Add(int64(2 * time.Second))
	if _, err := v.Verify(context.Background(), raw); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("remembered token accepted past its expiry: %v", err)
	}
	if n := v.Remembered(); n != 0 {
		t.Fatalf("an expired token stays remembered (%d)", n)
	}
}

// APP-12: a remembered token ends with its key: once a JWKS refresh has
// withdrawn the key, or published another key under its ID, the very token
// that verified before is refused.
func TestRememberedTokenEndsWithItsKey(t *testing.T) {
	is := newTestIssuer(t, false)
	v := newVerifier(t, is, 0)
	now := time.Now()
	raw := is.sign(jose.RS256, is.rsa, "rsa-1", is.claims(audience, now))
	for range 2 {
		if _, err := v.Verify(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.Remembered(); n != 1 {
		t.Fatalf("%d tokens remembered, want 1", n)
	}
	// Another key under the same ID: the refresh an unknown key ID starts
	// replaces the set, and the remembered token no longer matches it.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	is.setKeys(jose.JSONWebKey{Key: other.Public(), KeyID: "rsa-1", Algorithm: string(jose.RS256), Use: "sig"})
	if _, err := v.Verify(context.Background(), is.sign(jose.RS256, other, "rsa-x", is.claims(audience, now))); err == nil {
		t.Fatal("unknown key ID accepted")
	}
	if _, err := v.Verify(context.Background(), raw); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("remembered token accepted after its key was replaced: %v", err)
	}
	// Withdrawn altogether.
	is.setKeys(jose.JSONWebKey{Key: is.rsa.Public(), KeyID: "rsa-1", Algorithm: string(jose.RS256), Use: "sig"})
	if _, err := v.Verify(context.Background(), is.sign(jose.RS256, is.rsa, "rsa-y", is.claims(audience, now))); err == nil {
		t.Fatal("unknown key ID accepted")
	}
	if _, err := v.Verify(context.Background(), raw); err != nil {
		t.Fatalf("token of the republished key refused: %v", err)
	}
	is.setKeys(jose.JSONWebKey{Key: is.ec.Public(), KeyID: "ec-1", Algorithm: string(jose.ES256), Use: "sig"})
	if _, err := v.Verify(context.Background(), is.sign(jose.RS256, is.rsa, "rsa-z", is.claims(audience, now))); err == nil {
		t.Fatal("unknown key ID accepted")
	}
	if _, err := v.Verify(context.Background(), raw); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("remembered token accepted after its key was withdrawn: %v", err)
	}
}

// The verified-token cache is bounded: past its limit, expired tokens make
// room, and a valid token that finds none is verified but not remembered.
func TestRememberedTokensAreBounded(t *testing.T) {
	is := newTestIssuer(t, false)
	v := newVerifier(t, is, 0)
	v.SetRememberLimit(3)
	var clock atomic.Int64
	now := time.Now()
	clock.Store(now.UnixNano())
	v.SetClock(func() time.Time { return time.Unix(0, clock.Load()) })
	token := func(exp time.Duration) string {
		c := is.claims(audience, now)
		c.Expiry = jwt.NewNumericDate(now.Add(exp))
		return is.sign(jose.ES256, is.ec, "ec-1", c)
	}
	for i := range 5 {
		if _, err := v.Verify(context.Background(), token(time.Duration(i+1)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.Remembered(); n != 3 {
		t.Fatalf("%d tokens remembered, want the limit of 3", n)
	}
	clock.Add(int64(2*time.Minute + auth.Leeway + time.Second)) // the first two have expired
	if _, err := v.Verify(context.Background(), token(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := v.Remembered(); n != 2 {
		t.Fatalf("%d tokens remembered, want 2 (the third and the new one)", n)
	}
}

// APP-12: unknown key IDs cannot make the service hammer the JWKS endpoint.
func TestUnknownKidRefreshIsRateLimited(t *testing.T) {
	is := newTestIssuer(t, false)
	v := newVerifier(t, is, time.Hour)
	now := time.Now()
	for i := range 50 {
		kid := "forged-" + string(rune('a'+i%26))
		if _, err := v.Verify(context.Background(), is.sign(jose.RS256, is.rsa, kid, is.claims(audience, now))); err == nil {
			t.Fatal("forged kid accepted")
		}
	}
	if hits := is.hits.Load(); hits > 1 {
		t.Fatalf("JWKS fetched %d times for 50 unknown kids, want at most 1", hits)
	}
}

// Private keys published by mistake are never used.
func TestPrivateKeysInJWKSIgnored(t *testing.T) {
	is := newTestIssuer(t, false)
	is.setKeys(jose.JSONWebKey{Key: is.rsa, KeyID: "rsa-1", Algorithm: string(jose.RS256), Use: "sig"})
	v := newVerifier(t, is, 0)
	if _, err := v.Verify(context.Background(), is.sign(jose.RS256, is.rsa, "rsa-1", is.claims(audience, time.Now()))); err == nil {
		t.Fatal("token verified with a private key from the JWKS")
	}
}

func TestNewVerifierRequiresIssuerAndAudience(t *testing.T) {
	ks := auth.NewKeySet("https://issuer.invalid/jwks", nil, 0)
	if _, err := auth.NewVerifier("", audience, ks); err == nil {
		t.Fatal("empty issuer accepted")
	}
	if _, err := auth.NewVerifier("https://issuer.invalid", "", ks); err == nil {
		t.Fatal("empty audience accepted")
	}
}

// waitHits waits until the JWKS endpoint has been hit n times.
func waitHits(t *testing.T, is *testIssuer, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for is.hits.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("JWKS endpoint hit %d times, waited for %d", is.hits.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A hung issuer cannot couple the API to it: while a forged key ID waits on
// a JWKS fetch that never returns, valid tokens keep verifying from the
// warm cache, and further forged key IDs share the one fetch in flight.
func TestSlowIssuerDoesNotStallValidRequests(t *testing.T) {
	is := newTestIssuer(t, false)
	ks := auth.NewKeySet(is.jwksURL(), is.srv.Client(), 0)
	v, err := auth.NewVerifier(is.url(), audience, ks)
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	is.stall.Store(true)
	now := time.Now()
	forged := is.sign(jose.RS256, is.rsa, "forged", is.claims(audience, now))
	go func() { _, _ = v.Verify(context.Background(), forged) }()
	waitHits(t, is, 2) // the forged kid's fetch is now hung in the issuer

	valid := is.sign(jose.RS256, is.rsa, "rsa-1", is.claims(audience, now))
	done := make(chan error, 1)
	start := time.Now()
	go func() { _, err := v.Verify(context.Background(), valid); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("valid token refused while the issuer hangs: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a valid request stalled behind a JWKS fetch for a forged key ID")
	}
	t.Logf("valid request served in %s while the issuer hangs", time.Since(start).Round(time.Millisecond))

	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		if _, err := v.Verify(ctx, forged); err == nil {
			t.Fatal("forged kid accepted")
		}
		cancel()
	}
	if hits := is.hits.Load(); hits != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (warm-up and one shared fetch)", hits)
	}
}

// A failing issuer never empties the cache: stale keys keep serving while
// refreshes fail, and failed refreshes back off instead of running on
// every request.
func TestFailedFetchKeepsCachedKeys(t *testing.T) {
	is := newTestIssuer(t, false)
	ks := auth.NewKeySet(is.jwksURL(), is.srv.Client(), 0)
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	ks.SetClock(func() time.Time { return time.Unix(0, clock.Load()) })
	v, err := auth.NewVerifier(is.url(), audience, ks)
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	is.fail.Store(true)
	clock.Add(int64(2 * time.Hour)) // the cache is now stale
	valid := is.sign(jose.RS256, is.rsa, "rsa-1", is.claims(audience, time.Now()))
	if _, err := v.Verify(context.Background(), valid); err != nil {
		t.Fatalf("stale cached key refused: %v", err)
	}
	waitHits(t, is, 2) // the background refresh ran and failed
	for i := range 50 {
		if _, err := v.Verify(context.Background(), valid); err != nil {
			t.Fatalf("request %d: cached key dropped after a failed fetch: %v", i, err)
		}
		forged := is.sign(jose.RS256, is.rsa, "forged", is.claims(audience, time.Now()))
		if _, err := v.Verify(context.Background(), forged); err == nil {
			t.Fatal("forged kid accepted")
		}
	}
	if hits := is.hits.Load(); hits > 3 {
		t.Fatalf("JWKS fetched %d times by 100 requests during a failure, want back-off", hits)
	}
}
