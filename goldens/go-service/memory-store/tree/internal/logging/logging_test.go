package logging_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"example.com/scratchpad/internal/config"
	"example.com/scratchpad/internal/logging"
)

// APP-10: secret values never reach the log output, whatever the key, the
// nesting or the type that carries them.
func TestLoggerRedactsSecrets(t *testing.T) {
	const leak = "s3cr3t-value-that-must-not-leak"
	var buf bytes.Buffer
	log := logging.New(&buf, slog.LevelDebug)

	log.Info("login",
		"password", leak,
		"Authorization", "Bearer "+leak,
		"refresh_token", leak,
		slog.Group("request", "cookie", "__Host-session="+leak, "client_secret", leak),
		"wrapped", config.NewSecret(leak),
		"config", config.Config{EncryptionKey: config.NewSecret(leak)},
	)
	log.With("api_key", leak).Warn("with", "DATABASE_URL", leak)
	log.Error("failed", "err", errors.New("generic failure"), "session_id", leak)

	out := buf.String()
	if strings.Contains(out, leak) {
		t.Fatalf("secret leaked into log output:\n%s", out)
	}
	if got := strings.Count(out, logging.Redacted); got < 8 {
		t.Fatalf("want at least 8 redactions, got %d:\n%s", got, out)
	}
}

func TestLoggerKeepsOrdinaryFields(t *testing.T) {
	var buf bytes.Buffer
	logging.New(&buf, slog.LevelInfo).Info("request", "method", "GET", "status", 200)
	if !strings.Contains(buf.String(), `"method":"GET"`) {
		t.Fatalf("ordinary field missing: %s", buf.String())
	}
}

func TestLevelFiltersDebug(t *testing.T) {
	var buf bytes.Buffer
	logging.New(&buf, slog.LevelInfo).Debug("noise")
	if buf.Len() != 0 {
		t.Fatalf("debug record written at info level: %s", buf.String())
	}
}
