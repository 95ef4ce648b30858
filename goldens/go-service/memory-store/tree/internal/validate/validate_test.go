package validate_test

import (
	"errors"
	"strings"
	"testing"

	"example.com/scratchpad/internal/validate"
)

// APP-01: the security tests of the validators come first.
func TestFileNameRejectsHostileInput(t *testing.T) {
	for name, in := range map[string]string{
		"traversal":         "../etc/passwd",
		"traversal deep":    "a/../../etc/passwd",
		"dot dot":           "..",
		"dot":               ".",
		"hidden":            ".env",
		"absolute":          "/etc/passwd",
		"backslash":         `..\windows\win.ini`,
		"separator":         "a/b",
		"nul":               "report.txt\x00.png",
		"empty":             "",
		"over-long":         strings.Repeat("a", 129),
		"invalid utf-8":     "caf\xe9",
		"space":             "my file",
		"embedded dot dot":  "a..b",
		"url-encoded":       "%2e%2e%2fetc",
		"newline":           "a\nb",
		"unicode lookalike": "\u2024\u2024/etc",
		"leading dash":      "-rf",
	} {
		t.Run(name, func(t *testing.T) {
			err := validate.FileName("name", in)
			if err == nil {
				t.Fatalf("FileName(%q) accepted hostile input", in)
			}
			if !errors.Is(err, validate.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			if len(in) > 2 && strings.Contains(err.Error(), in) {
				t.Fatalf("error echoes the input: %v", err)
			}
		})
	}
}

func TestFileNameAcceptsPlainNames(t *testing.T) {
	for _, in := range []string{"report.txt", "a", "data_2026-01.json", strings.Repeat("a", 128)} {
		if err := validate.FileName("name", in); err != nil {
			t.Errorf("FileName(%q) = %v, want nil", in, err)
		}
	}
}

func TestIDRejectsMalformed(t *testing.T) {
	for _, in := range []string{
		"", "1", strings.Repeat("A", 32), strings.Repeat("0", 31), strings.Repeat("0", 33),
		strings.Repeat("0", 31) + "\x00", strings.Repeat("g", 32), "../" + strings.Repeat("0", 29),
		"' OR '1'='1", strings.Repeat("0", 10000),
	} {
		if err := validate.ID("id", in); err == nil {
			t.Errorf("ID(%q) accepted malformed input", in)
		}
	}
	if err := validate.ID("id", "0123456789abcdef0123456789abcdef"); err != nil {
		t.Fatalf("valid ID rejected: %v", err)
	}
}

func TestTextBounds(t *testing.T) {
	cases := []struct {
		name      string
		in        string
		multiline bool
		ok        bool
	}{
		{"ok", "Hello, 世界", false, true},
		{"empty", "", false, false},
		{"nul", "a\x00b", true, false},
		{"control", "a\x1bb", true, false},
		{"newline single-line", "a\nb", false, false},
		{"newline multiline", "a\nb", true, true},
		{"over-long", strings.Repeat("é", 101), false, false},
		{"at limit in runes", strings.Repeat("é", 100), false, true},
		{"invalid utf-8", "\xff\xfe", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := validate.Text("title", c.in, 1, 100, c.multiline)
			if (err == nil) != c.ok {
				t.Fatalf("Text(%q) error = %v, want ok=%v", c.in, err, c.ok)
			}
		})
	}
}

func TestOneOfIsAnAllowlist(t *testing.T) {
	if err := validate.OneOf("role", "admin", "reader", "writer"); err == nil {
		t.Fatal("value outside the enum accepted")
	}
	if err := validate.OneOf("role", "Reader", "reader", "writer"); err == nil {
		t.Fatal("enum comparison must be exact")
	}
	if err := validate.OneOf("role", "writer", "reader", "writer"); err != nil {
		t.Fatalf("allowed value rejected: %v", err)
	}
}
