// Package secrets scans rendered trees for anything that looks like a secret value
// (SEC-01): private keys, cloud access keys, tokens, credentials in URLs and
// password/secret assignments with a literal value. Its tests run it over every
// golden tree of every component and over the catalog's templates.
package secrets

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
)

// Finding is one secret-looking match. It carries the rule and the place, never the
// matched text, so that a report cannot leak what it found.
type Finding struct {
	Path string
	Line int
	Rule string
}

func (f Finding) String() string { return fmt.Sprintf("%s:%d: %s", f.Path, f.Line, f.Rule) }

// rule is one pattern. A rule with assignment set reports only when the value group
// (named "value") is a literal rather than a reference or placeholder.
type rule struct {
	id         string
	re         *regexp.Regexp
	assignment bool
	// bareLiteral: a bare value is a literal in every file type (a URL's password).
	bareLiteral bool
}

var rules = []rule{
	{id: "private key", re: regexp.MustCompile(`-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----`)},
	{id: "AWS access key ID", re: regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}\b`)},
	{id: "GitHub token", re: regexp.MustCompile(`\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b`)},
	{id: "GitHub fine-grained token", re: regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{22,}`)},
	{id: "Slack token", re: regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}`)},
	{id: "Slack webhook", re: regexp.MustCompile(`hooks\.slack\.com/services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]+`)},
	{id: "Google API key", re: regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`)},
	{id: "Stripe live key", re: regexp.MustCompile(`\b[rs]k_live_[0-9A-Za-z]{16,}`)},
	{id: "JWT", re: regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)},
	{id: "credentials in URL", assignment: true, bareLiteral: true, re: regexp.MustCompile(
		`\b[a-z][a-z0-9+.-]*://[^/\s:@"'` + "`" + `]+:(?P<value>[^/\s@"'` + "`" + `]+)@`)},
	{id: "password or secret assignment", assignment: true, re: regexp.MustCompile(
		`(?i)(?:^|[^A-Za-z0-9_.-])["']?(?:password|passwd|pwd|secret|secret_key|client_secret|api_key|apikey|access_key|secret_access_key|private_key|auth_token|access_token|token)["']?\s*(?::=|[:=])\s*(?P<value>"[^"]*"|'[^']*'|[^\s,;#)]+)`)},
}

// placeholder matches values that name or reference a secret instead of holding one:
// shell/Actions/Terraform/template interpolation, angle-bracket placeholders, and
// identifiers or dotted references (var.x, secrets.X, cfg.Password, os.Getenv(...)).
var (
	interpolation = regexp.MustCompile(`^(?:\$|\{\{|%\{|<)`)
	reference     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\(.*)?$`)
)

// literalValue reports whether an assignment's value is a literal secret. Quoted
// values are literals unless they interpolate; bare values are literals unless they
// look like a reference (bare references are how code and HCL name a variable). In
// YAML and dotenv-like files a bare word is a literal, so those are passed as quoted.
func literalValue(v string, bareIsLiteral bool) bool {
	quoted := len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0]
	if quoted {
		v = v[1 : len(v)-1]
	}
	v = strings.TrimSpace(v)
	if v == "" || interpolation.MatchString(v) {
		return false
	}
	if !quoted && !bareIsLiteral && reference.MatchString(v) {
		return false
	}
	switch strings.ToLower(v) {
	case "true", "false", "null", "~", "none", "required", "optional", "string", "sensitive":
		return false // booleans, YAML null and schema words, not values
	}
	return true
}

// bareIsLiteral says whether a bare (unquoted) value in a file of this name is data
// rather than code: YAML, dotenv, INI, properties and TOML.
func bareIsLiteral(name string) bool {
	base := path.Base(name)
	if strings.HasPrefix(base, ".env") {
		return true
	}
	switch path.Ext(base) {
	case ".yaml", ".yml", ".env", ".ini", ".properties", ".toml", ".cfg", ".conf":
		return true
	}
	return false
}

// Scan reads r (the file called name) and returns every secret-looking line.
func Scan(name string, r io.Reader) ([]Finding, error) {
	var out []Finding
	bare := bareIsLiteral(name)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		for _, ru := range rules {
			for _, m := range ru.re.FindAllStringSubmatchIndex(line, -1) {
				if ru.assignment {
					i := ru.re.SubexpIndex("value")
					if !literalValue(line[m[2*i]:m[2*i+1]], bare || ru.bareLiteral) {
						continue
					}
					if ru.bareLiteral && strings.HasPrefix(line[m[1]:], "sha256:") {
						continue // scheme://name:tag@sha256:... is an image reference
					}
				}
				out = append(out, Finding{Path: name, Line: n, Rule: ru.id})
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("scanning %s: %w", name, err)
	}
	return out, nil
}
