package crypto_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"example.com/scratchpad/internal/crypto"
)

func testKey() []byte { return bytes.Repeat([]byte{0x42}, crypto.KeySize) }

// APP-17: AES-256-GCM round-trips.
func TestAEADRoundTrip(t *testing.T) {
	a, err := crypto.NewAEAD(testKey())
	if err != nil {
		t.Fatal(err)
	}
	msg, err := a.Seal([]byte("attack at dawn"), []byte("note-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(msg, []byte("attack at dawn")) {
		t.Fatal("plaintext visible in ciphertext")
	}
	got, err := a.Open(msg, []byte("note-1"))
	if err != nil || string(got) != "attack at dawn" {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

// APP-17: any change to nonce, ciphertext, tag or associated data is detected.
func TestAEADDetectsTampering(t *testing.T) {
	a, _ := crypto.NewAEAD(testKey())
	msg, _ := a.Seal([]byte("attack at dawn"), []byte("note-1"))
	for i := range msg {
		tampered := bytes.Clone(msg)
		tampered[i] ^= 0x01
		if _, err := a.Open(tampered, []byte("note-1")); !errors.Is(err, crypto.ErrDecrypt) {
			t.Fatalf("flipping byte %d not detected: %v", i, err)
		}
	}
	if _, err := a.Open(msg, []byte("note-2")); !errors.Is(err, crypto.ErrDecrypt) {
		t.Fatal("ciphertext moved to another record not detected")
	}
	if _, err := a.Open(msg[:len(msg)-1], []byte("note-1")); !errors.Is(err, crypto.ErrDecrypt) {
		t.Fatal("truncation not detected")
	}
	if _, err := a.Open(nil, nil); !errors.Is(err, crypto.ErrDecrypt) {
		t.Fatal("empty message accepted")
	}
	other, _ := crypto.NewAEAD(bytes.Repeat([]byte{0x43}, crypto.KeySize))
	if _, err := other.Open(msg, []byte("note-1")); !errors.Is(err, crypto.ErrDecrypt) {
		t.Fatal("wrong key not detected")
	}
}

// APP-17: a fresh 96-bit nonce per message.
func TestAEADNonceIsFreshPerMessage(t *testing.T) {
	a, _ := crypto.NewAEAD(testKey())
	seen := map[string]bool{}
	for range 1000 {
		msg, err := a.Seal([]byte("same"), nil)
		if err != nil {
			t.Fatal(err)
		}
		nonce := string(msg[:12])
		if seen[nonce] {
			t.Fatal("nonce reused")
		}
		seen[nonce] = true
	}
}

// APP-17: only 256-bit keys.
func TestAEADRejectsShortKeys(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := crypto.NewAEAD(make([]byte, n)); err == nil {
			t.Errorf("key of %d bytes accepted", n)
		}
	}
}

// APP-18: argon2id, salted, verified; other schemes refused.
func TestPasswordHashing(t *testing.T) {
	h1, err := crypto.HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("unexpected hash format %q", h1)
	}
	h2, _ := crypto.HashPassword("correct horse battery staple")
	if h1 == h2 {
		t.Fatal("same hash twice: salt is not random")
	}
	if err := crypto.VerifyPassword("correct horse battery staple", h1); err != nil {
		t.Fatalf("right password rejected: %v", err)
	}
	if err := crypto.VerifyPassword("wrong", h1); !errors.Is(err, crypto.ErrPasswordMismatch) {
		t.Fatalf("wrong password not reported as a mismatch: %v", err)
	}
	for _, legacy := range []string{
		"5f4dcc3b5aa765d61d8327deb882cf99",         // MD5
		"5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", // SHA-1
		"$2a$10$abcdefghijklmnopqrstuuN8n7QX1bM3mQ3v7K3o0xJY5m4Q6a2fy",
		"$argon2i$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if err := crypto.VerifyPassword("password", legacy); err == nil {
			t.Errorf("hash %q accepted", legacy)
		}
	}
}

// APP-09: Equal is exact.
func TestEqual(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"state-123", "state-123", true},
		{"state-123", "state-124", false},
		{"state-123", "state-12", false},
		{"", "x", false},
		{"", "", true},
	}
	for _, c := range cases {
		if got := crypto.Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

func TestTokenIsRandomAndURLSafe(t *testing.T) {
	a, _ := crypto.Token(32)
	b, _ := crypto.Token(32)
	if a == b || len(a) != 43 || strings.ContainsAny(a, "+/=") {
		t.Fatalf("tokens %q %q", a, b)
	}
}
