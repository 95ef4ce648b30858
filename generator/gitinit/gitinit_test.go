package gitinit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/secgen/secgen/generator/failure"
)

func TestParseAuthor(t *testing.T) {
	a, err := ParseAuthor("Ada Lovelace <ada@example.com>")
	if err != nil || a.Name != "Ada Lovelace" || a.Email != "ada@example.com" {
		t.Fatalf("ParseAuthor = %+v, %v", a, err)
	}
	for _, bad := range []string{"", "ada@example.com", "Ada", "Ada <ada@example.com>\nInjected: x", "<ada@example.com>"} {
		if _, err := ParseAuthor(bad); !failure.IsInvalidInput(err) {
			t.Errorf("ParseAuthor(%q) = %v, want invalid input", bad, err)
		}
	}
}

func TestGlobalAuthorReadsTheUsersConfig(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	if _, ok := GlobalAuthor(); ok {
		t.Fatal("an author was found without any configuration")
	}
	cfg := "[user]\n\tname = Grace Hopper\n\temail = grace@example.com\n"
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	a, ok := GlobalAuthor()
	if !ok || a.Name != "Grace Hopper" || a.Email != "grace@example.com" {
		t.Fatalf("GlobalAuthor = %+v, %v", a, ok)
	}
}

func TestReadSignKeyRefusals(t *testing.T) {
	dir := t.TempDir()
	notKey := filepath.Join(dir, "not.asc")
	if err := os.WriteFile(notKey, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing.asc"), notKey} {
		if _, err := ReadSignKey(p); !failure.IsInvalidInput(err) {
			t.Errorf("ReadSignKey(%s) = %v, want invalid input", p, err)
		}
	}
}
