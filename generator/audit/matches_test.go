package audit

import (
	"regexp"
	"strings"
	"testing"
)

// Splitting a pattern at its top-level alternation changes no result: for
// every pattern the catalog's rules use (and a few with flags, anchors and
// nesting), every branch set matches exactly the texts the whole pattern
// matches.
func TestSplitMatchesAgreesWithTheWholePattern(t *testing.T) {
	patterns := []string{
		`-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|xox[abpr]-[A-Za-z0-9-]{10,}`,
		`-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|[a-zA-Z][a-zA-Z0-9+.-]*://[A-Za-z0-9._~%-]+:[^@/\s]{3,}@`,
		`HttpOnly:\s+false|Secure:\s+false|SameSiteNoneMode|MaxAge:\s+0\b`,
		`(?i)password\s*=|token:`,
		`(?m)^a$|^b`,
		`^x|y$`,
		`(a|b)c|d`,
		`abc|abd|x`,
		`@sha256:[0-9a-f]{64}$`,
		`(?i:A)|B`,
		`a|`,
	}
	texts := []string{
		"", "a", "b\n", "x", "zzzy", "ac", "bc", "d", "abd", "A", "B", "c\nb", "a\nz",
		"-----BEGIN RSA PRIVATE KEY-----", "key: AKIA" + strings.Repeat("A", 16), "ghp_" + strings.Repeat("a", 36),
		"xoxb-0123456789", "https://user:pass@host", "HttpOnly: false", "Secure:  true", "MaxAge: 0 ",
		"PASSWORD = x", "Token:", "img@sha256:" + strings.Repeat("0", 64), "img@sha256:" + strings.Repeat("0", 64) + "\n",
		strings.Repeat("filler text ", 1000) + "AKIA" + strings.Repeat("Z", 16),
	}
	for _, p := range patterns {
		whole := regexp.MustCompile(p)
		branches, err := compileBranches(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, s := range texts {
			got := false
			for _, re := range branches {
				got = got || re.MatchString(s)
			}
			if want := whole.MatchString(s); got != want {
				t.Errorf("pattern %q on %q: the branches say %v, the whole pattern %v", p, s, got, want)
			}
		}
	}
	if _, err := compileBranches(`(`); err == nil {
		t.Error("an invalid pattern compiled")
	}
	if b, _ := compileBranches(`AKIA[0-9]|gh_`); len(b) != 2 {
		t.Errorf("a two-branch alternation split into %d expressions", len(b))
	}
}
