package config_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"example.com/scratchpad/internal/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func valid() map[string]string {
	return map[string]string{
		"ENCRYPTION_KEY": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",

		"OIDC_CLIENT_ID":     "test-client",
		"OIDC_CLIENT_SECRET": "s3cret",
		"OIDC_REDIRECT_URL":  "https://app.example.com/auth/callback",
	}
}

// APP-16: defaults come from the generated project, secrets from the environment.
func TestLoadDefaults(t *testing.T) {
	cfg, err := config.Load(env(valid()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != config.DefaultPort || cfg.Issuer != config.DefaultIssuer || cfg.Audience != config.DefaultAudience ||
		cfg.RateLimit != config.DefaultRateLimit {
		t.Fatalf("defaults: %+v", cfg)
	}
	if len(cfg.EncryptionKey.Reveal()) != 32 {
		t.Fatal("encryption key not decoded to 32 bytes")
	}
}

func TestMissingVariablesAreNamed(t *testing.T) {
	for name := range valid() {
		e := valid()
		delete(e, name)
		_, err := config.Load(env(e))
		var missing *config.MissingError
		if !errors.As(err, &missing) || missing.Name != name {
			t.Errorf("without %s: %v", name, err)
		}
	}
}

// APP-12, APP-11: only https issuers and redirect URLs.
func TestRejectsInsecureURLsAndBadValues(t *testing.T) {
	for k, v := range map[string]string{
		"OIDC_ISSUER":     "http://issuer.example.com",
		"PORT":            "http",
		"LOG_LEVEL":       "verbose",
		"ENCRYPTION_KEY":  "dG9vIHNob3J0",
		"CORS_ORIGINS":    "https://a.example.com,*",
		"RATE_LIMIT":      "0",
		"INTERNAL_PORT":   "8080",
		"TRUSTED_PROXIES": "0.0.0.0/0",

		"OIDC_REDIRECT_URL": "http://app.example.com/cb",
	} {
		e := valid()
		e[k] = v
		_, err := config.Load(env(e))
		var invalid *config.InvalidError
		if !errors.As(err, &invalid) || invalid.Name != k {
			t.Errorf("%s=%q: %v", k, v, err)
		}
		if len(v) > 3 && strings.Contains(err.Error(), v) {
			t.Errorf("%s: error echoes the value: %v", k, err)
		}
	}
}

// APP-10: a Secret never shows its value, however it is printed.
func TestSecretRedacts(t *testing.T) {
	s := config.NewSecret("hunter2")
	j, _ := json.Marshal(struct{ S config.Secret }{s})
	for _, out := range []string{s.String(), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), string(j), s.LogValue().String()} {
		if strings.Contains(out, "hunter2") {
			t.Fatalf("secret revealed: %q", out)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Fatal("Reveal lost the value")
	}
}

// LISTEN_HOST binds the public listener to one address (a test on
// loopback); anything but an IP address is refused by name.
func TestListenHost(t *testing.T) {
	e := valid()
	if cfg, err := config.Load(env(e)); err != nil || cfg.ListenHost != "" {
		t.Fatalf("default ListenHost %q, %v: want every interface", cfg.ListenHost, err)
	}
	e["LISTEN_HOST"] = "127.0.0.1"
	if cfg, err := config.Load(env(e)); err != nil || cfg.ListenHost != "127.0.0.1" {
		t.Fatalf("LISTEN_HOST=127.0.0.1: %q, %v", cfg.ListenHost, err)
	}
	for _, bad := range []string{"localhost", "127.0.0.1:80", "fe80::1%eth0", "0"} {
		e["LISTEN_HOST"] = bad
		var invalid *config.InvalidError
		if _, err := config.Load(env(e)); !errors.As(err, &invalid) || invalid.Name != "LISTEN_HOST" {
			t.Errorf("LISTEN_HOST=%q: %v", bad, err)
		}
	}
}

func TestCORSOriginsFromEnvironment(t *testing.T) {
	e := valid()
	e["CORS_ORIGINS"] = "https://a.example.com, https://b.example.com"
	cfg, err := config.Load(env(e))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.CORSOrigins) != 2 || cfg.CORSOrigins[1] != "https://b.example.com" {
		t.Fatalf("CORSOrigins = %q", cfg.CORSOrigins)
	}
	// Anything but an origin is refused here, naming the variable, rather
	// than by the server at startup with an error that does not.
	for _, bad := range []string{"https://a.example.com/app", "https://a.example.com?x", "https://a.example.com#f", "https://*.example.com", "http://a.example.com", "*"} {
		e["CORS_ORIGINS"] = bad
		var invalid *config.InvalidError
		if _, err := config.Load(env(e)); !errors.As(err, &invalid) || invalid.Name != "CORS_ORIGINS" {
			t.Errorf("CORS_ORIGINS=%q: %v", bad, err)
		}
	}
}

// Trusted proxies are validated CIDRs; anything else, /0 included, is refused.
func TestTrustedProxies(t *testing.T) {
	e := valid()
	e["TRUSTED_PROXIES"] = "127.0.0.6/32, 10.0.0.0/8,fd00::/32"
	cfg, err := config.Load(env(e))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.TrustedProxies) != 3 || cfg.TrustedProxies[0].String() != "127.0.0.6/32" {
		t.Fatalf("TrustedProxies = %v", cfg.TrustedProxies)
	}
	// Wider than /8 or /32 only when explicitly allowed.
	e["TRUSTED_PROXIES"] = "0.0.0.0/1,128.0.0.0/1,fd00::/8"
	e["TRUSTED_PROXIES_ALLOW_WIDE"] = "true"
	if cfg, err := config.Load(env(e)); err != nil || len(cfg.TrustedProxies) != 3 {
		t.Fatalf("TRUSTED_PROXIES_ALLOW_WIDE=true: %v %v", cfg.TrustedProxies, err)
	}
	delete(e, "TRUSTED_PROXIES_ALLOW_WIDE")
	for _, bad := range []string{"::/0", "10.0.0.1", "10.0.0.1/8", "proxy.internal", "10.0.0.0/8,", "0.0.0.0/1,128.0.0.0/1", "10.0.0.0/7", "fd00::/8", "2001::/31"} {
		e["TRUSTED_PROXIES"] = bad
		var invalid *config.InvalidError
		if _, err := config.Load(env(e)); !errors.As(err, &invalid) || invalid.Name != "TRUSTED_PROXIES" {
			t.Errorf("TRUSTED_PROXIES=%q: %v", bad, err)
		}
	}
}

// Production refuses what development mode accepts: plain-http issuers and
// redirect URLs of this machine and the published development key.
func TestProductionRefusesDevelopmentSettings(t *testing.T) {
	for k, v := range map[string]string{
		"OIDC_ISSUER":    "http://127.0.0.1:5556",
		"ENCRYPTION_KEY": config.DevelopmentKey,

		"OIDC_REDIRECT_URL": "http://127.0.0.1:8080/auth/callback",
	} {
		for _, mode := range []string{"", "false"} {
			e := valid()
			e[k] = v
			e["DEV_MODE"] = mode
			_, err := config.Load(env(e))
			var invalid *config.InvalidError
			if !errors.As(err, &invalid) || invalid.Name != k {
				t.Errorf("DEV_MODE=%q, %s=%q: %v", mode, k, v, err)
			}
		}
	}
}

// Development mode (make dev) accepts the development issuer on this machine
// and nothing further away, and listens on loopback only.
func TestDevelopmentModeStaysOnThisMachine(t *testing.T) {
	dev := func() map[string]string {
		e := valid()
		e["DEV_MODE"] = "true"
		e["OIDC_ISSUER"] = "http://127.0.0.1:5556"
		e["ENCRYPTION_KEY"] = config.DevelopmentKey
		e["OIDC_REDIRECT_URL"] = "http://127.0.0.1:8080/auth/callback"
		return e
	}
	cfg, err := config.Load(env(dev()))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Dev || cfg.ListenHost != "127.0.0.1" {
		t.Fatalf("development mode: Dev %v, ListenHost %q, want true and 127.0.0.1", cfg.Dev, cfg.ListenHost)
	}
	for _, u := range []string{"http://localhost:5556", "http://[::1]:5556", "https://login.example.com"} {
		if !cfg.TrustedURL(u) {
			t.Errorf("development mode refuses %s", u)
		}
	}
	for k, v := range map[string]string{
		"LISTEN_HOST": "0.0.0.0",
		"OIDC_ISSUER": "http://issuer.example.com",
		"DEV_MODE":    "yes please",

		"OIDC_REDIRECT_URL": "http://app.example.com/auth/callback",
	} {
		e := dev()
		e[k] = v
		_, err := config.Load(env(e))
		var invalid *config.InvalidError
		if !errors.As(err, &invalid) || invalid.Name != k {
			t.Errorf("development mode, %s=%q: %v", k, v, err)
		}
	}
}
