package audit

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// matchPatterns are the patterns the catalog's rules match against, and a
// few with flags, anchors, folding and nesting.
var matchPatterns = []string{
	`-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|xox[abpr]-[A-Za-z0-9-]{10,}`,
	`-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|[a-zA-Z][a-zA-Z0-9+.-]*://[A-Za-z0-9._~%-]+:[^@/\s]{3,}@`,
	`(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+]{40}([^A-Za-z0-9/+=]|$)`,
	`[a-zA-Z][a-zA-Z0-9+.-]*://[A-Za-z0-9._~%-]+:[A-Za-z0-9._~%!*'()+,;=-]{3,}@[A-Za-z0-9.-]+`,
	`(Sprintf|\+)\s*\(?\s*"\s*(?i:SELECT\s[^"]*\sFROM|INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM)\s`,
	`(?i)Header\.(Get|Values)\("(X-Forwarded-For|X-Real-Ip|Forwarded)"\)`,
	`exec\.Command(Context)?\((ctx,\s*)?"(/bin/|/usr/bin/)?(sh|bash|zsh|dash)"`,
	`(?i)^(ENV|ARG)\s+.*(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY)[A-Z0-9_]*(\s*=\s*|\s+)[^\s$]`,
	`HttpOnly:\s+false|Secure:\s+false|SameSiteNoneMode|MaxAge:\s+0\b`,
	`(?i)password\s*=|token:`,
	`(?m)^a$|^b`,
	`^x|y$`,
	`(a|b)c|d`,
	`abc|abd|x`,
	`@sha256:[0-9a-f]{64}$`,
	`[a-z]+@[0-9a-f]{4}$`,
	`[a-z]*(?i:kes)\b`,
	`\bx+key=[0-9]`,
	`(?i:A)|B`,
	`a|`,
}

// matchTexts are texts to try matchPatterns on.
var matchTexts = []string{
	"", "a", "b\n", "x", "zzzy", "ac", "bc", "d", "abd", "A", "B", "c\nb", "a\nz",
	"-----BEGIN RSA PRIVATE KEY-----", "key: AKIA" + strings.Repeat("A", 16), "ghp_" + strings.Repeat("a", 36),
	"xoxb-0123456789", "https://user:pass@host", "see https://example.org\nand ftp://u:pwd@h", "https://user:\npass@host",
	"HttpOnly: false", "Secure:  true", "MaxAge: 0 ",
	"PASSWORD = x", "Token:", "img@sha256:" + strings.Repeat("0", 64), "img@sha256:" + strings.Repeat("0", 64) + "\n",
	"AWS_SECRET_ACCESS_KEY=" + strings.Repeat("a", 40), "aws_ſecret_access_\u212aey: " + strings.Repeat("B", 40) + "\n", "AWſ_SECRET_ACCESS_KEY=" + strings.Repeat("d", 40),
	"aws_secret_access_key:\n  " + strings.Repeat("c", 40), "r.Header.Get(\"X-Forwarded-For\")", "r.HEADER.values(\"forwarded\")",
	"fmt.Sprintf(\"select a from t where x\", v)", "q := \"x\" + \"\n  SELECT * FROM t \"", "exec.Command(\"sh\", \"-c\")",
	"exec.CommandContext(ctx, \"/bin/bash\")", "ENV API_TOKEN=x", "FROM a\nARG password x", "abcd@beef", "abcd@beef\n",
	"aaaKES", "aa\u212aES b", "xxkey=1", "a xkey=2", "akey=3",
	strings.Repeat("filler text ", 1000) + "AKIA" + strings.Repeat("Z", 16),
}

// Splitting a pattern at its top-level alternation, and guarding each
// branch with a literal it requires (searched line by line when no match
// spans lines), changes no result: for every pattern the catalog's rules
// use and a few more, the branches match exactly the texts the whole
// pattern matches, on chosen texts and on random ones built from the
// patterns' own pieces.
func TestSplitMatchesAgreesWithTheWholePattern(t *testing.T) {
	t.Parallel()
	pieces := []string{"\n", " ", "a", "K", "\u212a", "ſ", "s", "key", "://", "u:", "pass", "@h", "=", "\"", "SELECT ", " FROM ", "+",
		"Sprintf(", "aws_", "secret_", "access_", "AKIA", "0123456789abcdef", "Header.", "Get(", "\"Forwarded\")", "x", "y", "é"}
	rng := rand.New(rand.NewPCG(1, 2))
	texts := matchTexts
	for range 3000 {
		var sb strings.Builder
		for range rng.IntN(24) {
			sb.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, sb.String())
	}
	for _, p := range matchPatterns {
		whole := regexp.MustCompile(p)
		branches, err := compileBranches(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, s := range texts {
			got := false
			for _, b := range branches {
				got = got || b.match(s)
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

// The guards are found where they make the search cheap: the URL pattern
// of the secret rule, which starts with no literal, is guarded by one and
// searched line by line, the AWS one starts with a case-insensitive
// literal (which the regexp package does not search for), the SQL one
// with one of two literals, and one whose \s spans lines is guarded but
// searched whole.
func TestMatchGuards(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		pattern, guard, lead string
		lineLocal            bool
	}{
		{`[a-zA-Z][a-zA-Z0-9+.-]*://[A-Za-z0-9._~%-]+:[A-Za-z0-9._~%!*'()+,;=-]{3,}@[A-Za-z0-9.-]+`, "://", "", true},
		{`(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+]{40}([^A-Za-z0-9/+=]|$)`, "", "aws", false},
		{`(Sprintf|\+)\s*\(?\s*"\s*(?i:SELECT\s[^"]*\sFROM|INSERT\s+INTO)\s`, "", "Sprintf +", false},
		{`[a-z]+\s@[0-9a-f]{4}$`, "@", "", false},
	} {
		b, err := compileBranches(c.pattern)
		if err != nil || len(b) != 1 {
			t.Fatalf("%s: %d branches, %v", c.pattern, len(b), err)
		}
		guard, lead := "", []string{}
		if b[0].guard != nil {
			guard = string(b[0].guard.runes)
		}
		for _, l := range b[0].lead {
			lead = append(lead, string(l.runes))
		}
		if !strings.EqualFold(guard, c.guard) || !strings.EqualFold(strings.Join(lead, " "), c.lead) || b[0].lineLocal != c.lineLocal {
			t.Errorf("%s: guard %q, lead %q, line-local %v; want %q, %q, %v", c.pattern, guard, lead, b[0].lineLocal, c.guard, c.lead, c.lineLocal)
		}
	}
}

// BenchmarkSecretPatterns is the secret rule's three patterns over a Go
// file of 2,000 lines that holds URLs but no secret.
func BenchmarkSecretPatterns(b *testing.B) {
	text := strings.Repeat("\t// See https://example.org/docs for the API (secretly fine).\n\treturn fmt.Errorf(\"x: %w\", err)\n", 1000)
	var all [][]branch
	var plain []*regexp.Regexp
	for _, p := range matchPatterns[:4] {
		br, err := compileBranches(p)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, br)
		plain = append(plain, regexp.MustCompile(p))
	}
	b.Run("regexp", func(b *testing.B) {
		for b.Loop() {
			for _, re := range plain {
				if re.MatchString(text) {
					b.Fatal("matched")
				}
			}
		}
	})
	b.Run("guarded", func(b *testing.B) {
		for b.Loop() {
			for _, br := range all {
				for _, x := range br {
					if x.match(text) {
						b.Fatal("matched")
					}
				}
			}
		}
	})
}
