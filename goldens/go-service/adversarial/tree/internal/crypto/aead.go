// Package crypto wraps the standard library and golang.org/x/crypto for the
// few primitives the service needs. Nothing here is hand-rolled.
//
//   - AEAD: AES-256-GCM with a fresh random 96-bit nonce per message (APP-17).
//   - HashPassword / VerifyPassword: argon2id (APP-18).
//   - Equal: constant-time comparison of secrets (APP-09).
//   - DeriveKey: a purpose-bound subkey of the service key (HKDF-SHA256).
//   - Token: random, URL-safe identifiers and secrets.
package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeySize is the AES-256 key length in bytes.
const KeySize = 32

// ErrDecrypt is returned for any ciphertext that does not authenticate. It
// says nothing about why, so it cannot be used as an oracle.
var ErrDecrypt = errors.New("crypto: message authentication failed")

// AEAD encrypts and authenticates messages with AES-256-GCM.
type AEAD struct {
	gcm cipher.AEAD
}

// NewAEAD returns an AEAD for a 32-byte key.
func NewAEAD(key []byte) (*AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("crypto: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("crypto: %w", err)
	}
	gcm, err := cipher.NewGCM(block) // standard 96-bit nonce, 128-bit tag
	if err != nil {
		return nil, fmt.Errorf("crypto: %w", err)
	}
	return &AEAD{gcm: gcm}, nil
}

// Seal encrypts plaintext bound to additionalData (for example the record's
// ID, so a ciphertext cannot be moved to another record). The result is
// nonce || ciphertext || tag.
func (a *AEAD) Seal(plaintext, additionalData []byte) ([]byte, error) {
	nonce := make([]byte, a.gcm.NonceSize(), a.gcm.NonceSize()+len(plaintext)+a.gcm.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("crypto: nonce: %w", err)
	}
	return a.gcm.Seal(nonce, nonce, plaintext, additionalData), nil
}

// Open authenticates and decrypts a message produced by Seal.
func (a *AEAD) Open(message, additionalData []byte) ([]byte, error) {
	n := a.gcm.NonceSize()
	if len(message) < n+a.gcm.Overhead() {
		return nil, ErrDecrypt
	}
	plaintext, err := a.gcm.Open(nil, message[:n], message[n:], additionalData)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plaintext, nil
}

// DeriveKey returns a KeySize-byte subkey of master bound to purpose with
// HKDF-SHA256, so one configured key can serve several uses without a
// ciphertext of one use ever opening under another.
func DeriveKey(master []byte, purpose string) ([]byte, error) {
	if len(master) != KeySize || purpose == "" {
		return nil, errors.New("crypto: derive: a 32-byte master key and a purpose are required")
	}
	key, err := hkdf.Key(sha256.New, master, nil, purpose, KeySize)
	if err != nil {
		return nil, fmt.Errorf("crypto: derive: %w", err)
	}
	return key, nil
}

// Equal reports whether a and b are equal in time that does not depend on
// where they differ (APP-09). Use it for every secret or token comparison.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Token returns n random bytes encoded as unpadded base64url.
func Token(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("crypto: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
