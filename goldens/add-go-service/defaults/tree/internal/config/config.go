// Package config loads the service's configuration from the environment
// (twelve-factor) and validates it at startup (APP-16).
package config

import (
	"errors"
	"fmt"
	"strconv"
)

// Config is the validated configuration.
type Config struct {
	// Port is the TCP port to listen on.
	Port int
}

// LookupFunc reads one environment variable (os.LookupEnv in production).
type LookupFunc func(key string) (string, bool)

// MissingError names a required variable that is not set. It never carries
// the value of any variable.
type MissingError struct{ Name string }

func (e *MissingError) Error() string { return "missing required environment variable " + e.Name }

// ErrInvalid is returned, wrapped with the variable's name, for a malformed value.
var ErrInvalid = errors.New("invalid value")

// Load reads and validates the configuration. Errors name the variable at
// fault and never echo its value.
func Load(lookup LookupFunc) (Config, error) {
	cfg := Config{Port: 8080}
	if v, ok := lookup("PORT"); ok {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return Config{}, fmt.Errorf("PORT: %w: must be an integer between 1 and 65535", ErrInvalid)
		}
		cfg.Port = p
	}
	return cfg, nil
}

// Require checks that every named variable is set and not empty, and reports
// the first one missing.
func Require(lookup LookupFunc, names ...string) error {
	for _, name := range names {
		if v, ok := lookup(name); !ok || v == "" {
			return &MissingError{Name: name}
		}
	}
	return nil
}
