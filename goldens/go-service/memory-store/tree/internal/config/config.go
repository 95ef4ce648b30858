// Package config loads the service configuration from the environment (APP-16).
//
// Secrets come only from environment variables, never from files in the
// repository or from flags. Required variables are checked at startup; a
// missing one is reported by name only, never with any value.
package config

import (
	"encoding/base64"
	"errors"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Default values baked in when the project was generated. Each can be
// overridden by the environment variable of the same purpose.
const (
	DefaultPort     = 8080
	DefaultIssuer   = "https://issuer.example.com"
	DefaultAudience = "scratchpad"
	// DefaultRateLimit is the requests per second allowed to one peer address
	// (APP-20). Behind a proxy every client shares the proxy's address, so
	// RATE_LIMIT is the knob to size it for the real traffic.
	DefaultRateLimit = 50
	// DefaultInternalPort is the port of the internal listener, bound to
	// 127.0.0.1 only (APP-15).
	DefaultInternalPort = 9090
)

// DefaultCORSOrigins are the browser origins allowed to call the API
// cross-origin (APP-20); CORS_ORIGINS (comma-separated) replaces them.
var DefaultCORSOrigins = []string{}

// DevelopmentKey is the ENCRYPTION_KEY of .env.example: 32 bytes spelling
// "dev-only-key-never-use-elsewhere", base64-encoded. Everyone who has the
// template knows it, so Load accepts it only with DEV_MODE=true.
const DevelopmentKey = "ZGV2LW9ubHkta2V5LW5ldmVyLXVzZS1lbHNld2hlcmU="

// Secret holds a secret configuration value. Its String, GoString, LogValue
// and MarshalText methods never reveal the value (APP-10); call Reveal where
// the value is really needed.
type Secret struct{ value string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{value: s} }

// Reveal returns the secret value. Never log or return it to a client.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

const redacted = "[REDACTED]"

// String implements fmt.Stringer without revealing the value.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer without revealing the value.
func (s Secret) GoString() string { return redacted }

// LogValue implements slog.LogValuer without revealing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText implements encoding.TextMarshaler without revealing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Config is the validated configuration of the service.
type Config struct {
	// Dev is the development mode of `make dev` (DEV_MODE=true): the public
	// listener must be loopback, and in exchange the issuer, the redirect
	// URL may be plain http on this machine
	// (the development issuer, cmd/devissuer, serves nothing else). Never set
	// it in a deployment: a pod bound to 127.0.0.1 receives no traffic.
	Dev bool

	// ListenHost is the address the public listener binds; empty (the
	// default, what a pod needs) binds every interface.
	ListenHost   string
	Port         int
	InternalPort int
	LogLevel     slog.Level
	RateLimit    int

	// TrustedProxies are the proxies whose X-Forwarded-For the rate limit
	// believes (APP-20); empty means none.
	TrustedProxies []netip.Prefix

	// OIDC issuer and audience of the access tokens this service accepts (APP-12).
	Issuer   string
	Audience string

	// CORSOrigins is the explicit allowlist of cross-origin callers (APP-20).
	CORSOrigins []string

	// EncryptionKey is the 32-byte AES-256-GCM key for application-level
	// encryption (APP-17).
	EncryptionKey Secret

	// OIDC login (APP-11).
	ClientID     string
	ClientSecret Secret
	RedirectURL  string
}

// MissingError reports a required environment variable that is not set.
// Its message names the variable and nothing else.
type MissingError struct{ Name string }

func (e *MissingError) Error() string {
	return "missing required environment variable " + e.Name
}

// InvalidError reports an environment variable whose value is malformed.
// Its message names the variable and the rule, never the value.
type InvalidError struct {
	Name string
	Rule string
}

func (e *InvalidError) Error() string {
	return "invalid environment variable " + e.Name + ": " + e.Rule
}

// Load reads the configuration through getenv (os.Getenv in production, a
// map in tests). It returns a *MissingError or *InvalidError on failure.
func Load(getenv func(string) string) (Config, error) {
	cfg := Config{
		Port:         DefaultPort,
		InternalPort: DefaultInternalPort,
		LogLevel:     slog.LevelInfo,
		RateLimit:    DefaultRateLimit,
		Issuer:       DefaultIssuer,
		Audience:     DefaultAudience,

		CORSOrigins: slices.Clone(DefaultCORSOrigins),
	}
	var errs []error

	if v := getenv("DEV_MODE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, &InvalidError{Name: "DEV_MODE", Rule: "must be true or false"})
		}
		cfg.Dev = b
	}
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			errs = append(errs, &InvalidError{Name: "PORT", Rule: "must be an integer between 1 and 65535"})
		} else {
			cfg.Port = p
		}
	}
	if v := getenv("LISTEN_HOST"); v != "" {
		if a, err := netip.ParseAddr(v); err != nil || a.Zone() != "" {
			errs = append(errs, &InvalidError{Name: "LISTEN_HOST", Rule: "must be an IP address such as 127.0.0.1"})
		} else {
			cfg.ListenHost = a.String()
		}
	}
	if cfg.Dev {
		// Development mode relaxes TLS towards this machine only, so it
		// serves this machine only.
		if cfg.ListenHost == "" {
			cfg.ListenHost = "127.0.0.1"
		}
		if a, err := netip.ParseAddr(cfg.ListenHost); err == nil && !a.IsLoopback() {
			errs = append(errs, &InvalidError{Name: "LISTEN_HOST", Rule: "must be a loopback address such as 127.0.0.1 when DEV_MODE=true"})
		}
	}
	if v := getenv("INTERNAL_PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			errs = append(errs, &InvalidError{Name: "INTERNAL_PORT", Rule: "must be an integer between 1 and 65535"})
		} else {
			cfg.InternalPort = p
		}
	}
	if cfg.InternalPort == cfg.Port {
		errs = append(errs, &InvalidError{Name: "INTERNAL_PORT", Rule: "must differ from PORT"})
	}
	// A trusted proxy's X-Forwarded-For picks the rate-limit bucket, so a
	// range wider than /8 (IPv4) or /32 (IPv6) would let most of a network
	// choose its own: refused unless TRUSTED_PROXIES_ALLOW_WIDE=true.
	allowWide := false
	if v := getenv("TRUSTED_PROXIES_ALLOW_WIDE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, &InvalidError{Name: "TRUSTED_PROXIES_ALLOW_WIDE", Rule: "must be true or false"})
		}
		allowWide = b
	}
	if v := getenv("TRUSTED_PROXIES"); v != "" {
		for _, c := range strings.Split(v, ",") {
			p, err := netip.ParsePrefix(strings.TrimSpace(c))
			if err != nil || p.Bits() == 0 || p != p.Masked() {
				errs = append(errs, &InvalidError{Name: "TRUSTED_PROXIES", Rule: "must be a comma-separated list of network CIDRs such as 127.0.0.6/32 or 10.0.0.0/8, never /0"})
				cfg.TrustedProxies = nil
				break
			}
			if !allowWide && (p.Addr().Is4() && p.Bits() < 8 || p.Addr().Is6() && p.Bits() < 32) {
				errs = append(errs, &InvalidError{Name: "TRUSTED_PROXIES", Rule: "must not hold a CIDR wider than /8 (IPv4) or /32 (IPv6) unless TRUSTED_PROXIES_ALLOW_WIDE=true"})
				cfg.TrustedProxies = nil
				break
			}
			cfg.TrustedProxies = append(cfg.TrustedProxies, p)
		}
	}
	if v := getenv("RATE_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100_000 {
			errs = append(errs, &InvalidError{Name: "RATE_LIMIT", Rule: "must be an integer between 1 and 100000"})
		} else {
			cfg.RateLimit = n
		}
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, &InvalidError{Name: "LOG_LEVEL", Rule: "must be debug, info, warn or error"})
		}
	}
	if v := getenv("OIDC_ISSUER"); v != "" {
		cfg.Issuer = v
	}
	if err := cfg.checkURL("OIDC_ISSUER", cfg.Issuer); err != nil {
		errs = append(errs, err)
	}
	if v := getenv("OIDC_AUDIENCE"); v != "" {
		cfg.Audience = v
	}

	if v := getenv("CORS_ORIGINS"); v != "" {
		cfg.CORSOrigins = nil
		for _, o := range strings.Split(v, ",") {
			o = strings.TrimSpace(o)
			if !isOrigin(o) {
				errs = append(errs, &InvalidError{Name: "CORS_ORIGINS", Rule: "must be a comma-separated list of https origins (scheme, host and port only: no path, query or wildcard), never *"})
				break
			}
			cfg.CORSOrigins = append(cfg.CORSOrigins, o)
		}
	}

	key, err := requiredSecret(getenv, "ENCRYPTION_KEY")
	if err != nil {
		errs = append(errs, err)
	} else if raw, err := base64.StdEncoding.DecodeString(key.Reveal()); err != nil || len(raw) != 32 {
		errs = append(errs, &InvalidError{Name: "ENCRYPTION_KEY", Rule: "must be 32 random bytes, base64-encoded"})
	} else if key.Reveal() == DevelopmentKey && !cfg.Dev {
		errs = append(errs, &InvalidError{Name: "ENCRYPTION_KEY", Rule: "must not be the development key of .env.example outside DEV_MODE=true"})
	} else {
		cfg.EncryptionKey = NewSecret(string(raw))
	}

	cfg.ClientID, err = required(getenv, "OIDC_CLIENT_ID")
	errs = appendErr(errs, err)
	cfg.ClientSecret, err = requiredSecret(getenv, "OIDC_CLIENT_SECRET")
	errs = appendErr(errs, err)
	cfg.RedirectURL, err = required(getenv, "OIDC_REDIRECT_URL")
	if err != nil {
		errs = append(errs, err)
	} else if err := cfg.checkURL("OIDC_REDIRECT_URL", cfg.RedirectURL); err != nil {
		errs = append(errs, err)
	}

	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
}
func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

func required(getenv func(string) string, name string) (string, error) {
	v := getenv(name)
	if strings.TrimSpace(v) == "" {
		return "", &MissingError{Name: name}
	}
	return v, nil
}

func requiredSecret(getenv func(string) string, name string) (Secret, error) {
	v, err := required(getenv, name)
	return NewSecret(v), err
}

// isOrigin reports whether raw is an explicit https origin: scheme, host and
// optional port, nothing else (the server refuses any other at startup).
func isOrigin(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && u.Path == "" &&
		!u.ForceQuery && u.RawQuery == "" && u.Fragment == "" && !strings.Contains(raw, "*")
}

// checkURL requires an absolute https URL; in development mode an http URL
// of this machine (the development issuer, the local callback) as well.
func (c Config) checkURL(name, raw string) error {
	if c.TrustedURL(raw) {
		return nil
	}
	if c.Dev {
		return &InvalidError{Name: name, Rule: "must be an absolute https URL, or with DEV_MODE=true an http URL of 127.0.0.1, [::1] or localhost"}
	}
	return &InvalidError{Name: name, Rule: "must be an absolute https URL"}
}

// TrustedURL reports whether the service may talk to raw: an absolute https
// URL, or in development mode an http URL whose host is this machine.
func (c Config) TrustedURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return false
	}
	return u.Scheme == "https" || c.Dev && u.Scheme == "http" && isLoopbackHost(u.Hostname())
}

// isLoopbackHost reports whether host names this machine: localhost or a
// loopback IP address.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
