package catsource

import (
	"bytes"
	"encoding/hex"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/secgen/secgen/generator/failure"
)

// MaxKeyringSize bounds a keyring file.
const MaxKeyringSize = 1 << 20

// CheckKeyring parses an armored OpenPGP keyring: it must hold at least
// one public key and no private key material.
func CheckKeyring(data []byte) error {
	if len(data) > MaxKeyringSize {
		return failure.Invalidf("the keyring is larger than %d bytes", MaxKeyringSize)
	}
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	if err != nil {
		return failure.Invalidf("the keyring is not an armored OpenPGP public key block: %w", err)
	}
	if len(ring) == 0 {
		return failure.Invalidf("the keyring holds no key")
	}
	for _, e := range ring {
		if e.PrivateKey != nil {
			return failure.Invalidf("the keyring holds a private key; give only public keys")
		}
	}
	return nil
}

// verify checks the signature that trust rests on: the annotated tag's
// when the ref is one, else the commit's. It returns the signer's primary
// key fingerprint (upper-case hex).
func verify(keyring []byte, c *object.Commit, tag *object.Tag) (string, error) {
	what, signature := "commit "+short(c.Hash.String()), c.PGPSignature
	if tag != nil {
		what, signature = "tag "+failure.Quote(tag.Name), tag.PGPSignature
	}
	if strings.TrimSpace(signature) == "" {
		return "", failure.Invalidf("catalog %s is not signed, and a keyring requires a signature", what)
	}
	var (
		entity *openpgp.Entity
		err    error
	)
	if tag != nil {
		entity, err = tag.Verify(string(keyring))
	} else {
		entity, err = c.Verify(string(keyring))
	}
	if err != nil || entity == nil {
		return "", failure.Invalidf("catalog %s is not signed by a key in the keyring", what)
	}
	return strings.ToUpper(hex.EncodeToString(entity.PrimaryKey.Fingerprint)), nil
}
