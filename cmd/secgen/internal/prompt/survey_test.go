package prompt

import (
	"strings"
	"testing"
)

func TestShownIsOneBoundedPrintableLine(t *testing.T) {
	for in, want := range map[string]string{
		"shop":                       "shop",
		"":                           `""`,
		"two words":                  `"two words"`,
		"first\nsecond":              "first…",
		"a\x1b[2Jb":                  "a[2Jb",
		strings.Repeat("x", 120):     strings.Repeat("x", maxShown) + "…",
		"ENCRYPTION_KEY,OIDC_ISSUER": "ENCRYPTION_KEY,OIDC_ISSUER",
	} {
		if got := Shown(in); got != want {
			t.Errorf("Shown(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Printable("Kube\x1b]0;owned\x07rnetes\nnext"); got != "Kube]0;ownedrnetes\nnext" {
		t.Errorf("Printable kept a control character: %q", got)
	}
}
