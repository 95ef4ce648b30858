// Package logging builds the service's structured logger (APP-10).
//
// Every attribute whose key looks like it names a secret (password, token,
// authorization, cookie, secret, key, ...) is replaced by "[REDACTED]" before
// it is written, whatever its value, and in every group.
package logging

import (
	"io"
	"log/slog"
	"strings"
)

// Redacted is what replaces a secret value in the log output.
const Redacted = "[REDACTED]"

// secretKeyParts are matched case-insensitively against attribute keys.
var secretKeyParts = []string{
	"password", "passwd", "secret", "token", "authorization", "cookie",
	"session", "api_key", "apikey", "private", "credential", "key", "code_verifier",
	"dsn", "database_url",
}

// IsSecretKey reports whether an attribute key names a secret value.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, part := range secretKeyParts {
		if strings.Contains(k, part) {
			return true
		}
	}
	return false
}

// New returns a JSON logger writing to w at level that redacts secrets.
func New(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       level,
		ReplaceAttr: redact,
	}))
}

func redact(_ []string, a slog.Attr) slog.Attr {
	if IsSecretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	return a
}
