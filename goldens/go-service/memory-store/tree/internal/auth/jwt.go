// Package auth authenticates callers: bearer access tokens (JWT, APP-12)
// and, when enabled, the OIDC login flow (Authorization Code + PKCE, APP-11).
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"example.com/scratchpad/internal/authz"
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

// Verifier verifies access tokens of one issuer for one audience.
type Verifier struct {
	issuer   string
	audience string
	keys     *KeySet
	now      func() time.Time
}

// NewVerifier returns a Verifier. issuer and audience are required.
func NewVerifier(issuer, audience string, keys *KeySet) (*Verifier, error) {
	if issuer == "" || audience == "" || keys == nil {
		return nil, errors.New("auth: issuer, audience and keys are required")
	}
	return &Verifier{issuer: issuer, audience: audience, keys: keys, now: time.Now}, nil
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
	err = std.ValidateWithLeeway(jwt.Expected{
		Issuer:      v.issuer,
		AnyAudience: jwt.Audience{v.audience},
		Time:        v.now(),
	}, Leeway)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return &authz.Principal{Subject: std.Subject, Roles: slices.Clone(extra.Roles)}, nil
}
