package config

import (
	"errors"
	"strings"
	"testing"
)

func env(m map[string]string) LookupFunc {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 8080 {
		t.Fatalf("Port = %d, want 8080", cfg.Port)
	}
}

func TestLoadRejectsMalformedPortWithoutEchoingIt(t *testing.T) {
	for _, v := range []string{"abc", "0", "70000", "80 ", "-1", "8080\x00"} {
		_, err := Load(env(map[string]string{"PORT": v}))
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("PORT=%q: err = %v, want ErrInvalid", v, err)
		}
		if strings.Contains(err.Error(), v) {
			t.Fatalf("error %q echoes the value", err)
		}
	}
}

func TestRequireNamesOnlyTheVariable(t *testing.T) {
	err := Require(env(map[string]string{"A": "set", "B": ""}), "A", "B")
	var missing *MissingError
	if !errors.As(err, &missing) || missing.Name != "B" {
		t.Fatalf("err = %v, want MissingError for B", err)
	}
	if Require(env(map[string]string{"A": "x"}), "A") != nil {
		t.Fatal("Require failed with every variable set")
	}
}
