// Package auth authenticates callers: bearer access tokens (JWT, APP-12)
// and, when enabled, the OIDC login flow (Authorization Code + PKCE, APP-11).
package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/example-org/notes-api/internal/authz"
)

// AllowedAlgorithms is the explicit allowlist of JWT signature algorithms:
// asymmetric only. "none" and every HS* algorithm are rejected by the parser
// before any key is looked at (APP-12).
var AllowedAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// Leeway is the clock skew tolerated on exp, nbf and iat.
const Leeway = 30 * time.Second

// maxTokenBytes bounds the size of a token before it is parsed.
const maxTokenBytes = 8 << 10

// ErrInvalidToken is the only error a client ever learns about: the details
// are for the logs.
var ErrInvalidToken = errors.New("auth: invalid token")

// maxVerifiedTokens bounds the cache of verified tokens; past it, tokens
// are verified in full without being remembered.
const maxVerifiedTokens = 10_000

// Verifier verifies access tokens of one issuer for one audience.
//
// A signature check is the most expensive step of a request, and a client
// sends the same token with every request until it expires, so the
// Verifier remembers the tokens it verified, by SHA-256 of the whole
// token. Only a token that passed every check is remembered, and a
// remembered token is accepted only while the answer of a full
// verification would be the same (APP-12): its claims are validated again
// against the clock (expiry, not-before and issued-at, with Leeway), and
// the key set must still hold the very key object that verified it, so a
// key withdrawn or replaced by a JWKS refresh ends every token it signed
// at once, as does a key set too old to use.
type Verifier struct {
	issuer   string
	audience string
	keys     *KeySet
	now      func() time.Time

	mu       sync.Mutex
	verified map[[sha256.Size]byte]verifiedToken
	limit    int // maxVerifiedTokens, lower in tests
}

// verifiedToken is what a full verification established about a token.
type verifiedToken struct {
	kid    string
	key    any // the *rsa.PublicKey or *ecdsa.PublicKey that verified it
	claims jwt.Claims
	roles  []string
}

// NewVerifier returns a Verifier. issuer and audience are required.
func NewVerifier(issuer, audience string, keys *KeySet) (*Verifier, error) {
	if issuer == "" || audience == "" || keys == nil {
		return nil, errors.New("auth: issuer, audience and keys are required")
	}
	return &Verifier{issuer: issuer, audience: audience, keys: keys, now: time.Now,
		verified: map[[sha256.Size]byte]verifiedToken{}, limit: maxVerifiedTokens}, nil
}

type accessClaims struct {
	Roles []string `json:"roles"`
}

// Verify checks the token's algorithm, signature, issuer, audience, expiry,
// not-before and issued-at, and returns its principal. Every failure wraps
// ErrInvalidToken.
func (v *Verifier) Verify(ctx context.Context, raw string) (*authz.Principal, error) {
	if len(raw) == 0 || len(raw) > maxTokenBytes {
		return nil, fmt.Errorf("%w: size", ErrInvalidToken)
	}
	sum := sha256.Sum256([]byte(raw))
	if p, ok := v.remembered(ctx, sum); ok {
		return p, nil
	}
	tok, err := jwt.ParseSigned(raw, AllowedAlgorithms)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return nil, fmt.Errorf("%w: exactly one signature with a key ID required", ErrInvalidToken)
	}
	header := tok.Headers[0]
	key, err := v.keys.Key(ctx, header.KeyID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	// A key that names its algorithm is used only with that algorithm.
	if key.Algorithm != "" && key.Algorithm != header.Algorithm {
		return nil, fmt.Errorf("%w: algorithm does not match key", ErrInvalidToken)
	}
	var std jwt.Claims
	var extra accessClaims
	if err := tok.Claims(key.Key, &std, &extra); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if std.Expiry == nil || std.Subject == "" || std.Issuer == "" {
		return nil, fmt.Errorf("%w: exp, sub and iss are required", ErrInvalidToken)
	}
	if err := v.validate(std); err != nil {
		return nil, err
	}
	v.remember(sum, verifiedToken{kid: header.KeyID, key: key.Key, claims: std, roles: slices.Clone(extra.Roles)})
	return &authz.Principal{Subject: std.Subject, Roles: slices.Clone(extra.Roles)}, nil
}

// validate checks issuer, audience and the times of claims against the
// clock, with Leeway.
func (v *Verifier) validate(claims jwt.Claims) error {
	err := claims.ValidateWithLeeway(jwt.Expected{
		Issuer:      v.issuer,
		AnyAudience: jwt.Audience{v.audience},
		Time:        v.now(),
	}, Leeway)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return nil
}

// remembered returns the principal of a token verified before, when a full
// verification would accept it now; otherwise the caller verifies it in
// full. An expired token is forgotten.
func (v *Verifier) remembered(ctx context.Context, sum [sha256.Size]byte) (*authz.Principal, bool) {
	v.mu.Lock()
	t, ok := v.verified[sum]
	v.mu.Unlock()
	if !ok {
		return nil, false
	}
	if err := v.validate(t.claims); err != nil {
		v.forget(sum)
		return nil, false
	}
	// The key set answers as it would for a full verification (a refresh
	// may start); a key object other than the one that verified the token
	// means the JWKS changed since: verify again.
	key, err := v.keys.Key(ctx, t.kid)
	if err != nil || key.Key != t.key {
		v.forget(sum)
		return nil, false
	}
	return &authz.Principal{Subject: t.claims.Subject, Roles: slices.Clone(t.roles)}, true
}

// remember records a verified token. When the cache is full, expired
// tokens are dropped first; a token that still finds no room is simply not
// remembered.
func (v *Verifier) remember(sum [sha256.Size]byte, t verifiedToken) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.verified) >= v.limit {
		cutoff := v.now().Add(-Leeway)
		for k, old := range v.verified {
			if cutoff.After(old.claims.Expiry.Time()) {
				delete(v.verified, k)
			}
		}
		if len(v.verified) >= v.limit {
			return
		}
	}
	v.verified[sum] = t
}

func (v *Verifier) forget(sum [sha256.Size]byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.verified, sum)
}
