package answers

import "github.com/secgen/secgen/generator/lazyre"

// secretPatterns recognise values that look like credentials. secgen refuses
// them as answers (SEC-02): a secret must live in a secret store, and a
// generator that accepted one would write it into files and git history.
var secretPatterns = []struct {
	kind string
	re   *lazyre.Regexp
}{
	{"a private key", lazyre.New(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----`)},
	{"an AWS access key ID", lazyre.New(`\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b`)},
	{"a GitHub token", lazyre.New(`\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})\b`)},
	{"a Slack token", lazyre.New(`\bxox[abposr]-[A-Za-z0-9-]{10,}`)},
	{"a JSON Web Token", lazyre.New(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)},
	{"a password assignment", lazyre.New(`(?i)\b(password|passwd|pwd|secret|token|api[_-]?key)\s*[:=]\s*\S{4,}`)},
	{"credentials in a URL", lazyre.New(`(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@`)},
}

// LooksLikeSecret returns what kind of secret s appears to contain, or "".
func LooksLikeSecret(s string) string {
	for _, p := range secretPatterns {
		if p.re.MatchString(s) {
			return p.kind
		}
	}
	return ""
}
