// Package catsource turns a catalog SOURCE (the built-in catalog, a local
// directory or a git repository at a ref) into a loaded, validated catalog
// plus its provenance. Every command that reads a catalog goes through it.
//
// Nothing from a catalog ever runs: git catalogs are fetched with go-git
// into a content-addressed cache and read from the objects of one commit's
// tree (no work tree, no hooks, no submodules, no LFS smudging, none of the
// fetched repository's configuration). Directory and git catalogs are held
// to the same limits and path checks.
package catsource

import (
	"net"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lazyre"
)

// Kind is the kind of a catalog source.
type Kind int

// The kinds of catalog sources.
const (
	Builtin Kind = iota // the catalog embedded in secgen
	Dir                 // a local directory
	Git                 // a git repository
)

// BuiltinName is the SOURCE that names the embedded catalog.
const BuiltinName = "builtin"

// Spec is a parsed SOURCE.
type Spec struct {
	Kind Kind
	// URL is what go-git connects to (git) or the absolute directory (dir).
	// It never holds a password; for ssh it may hold a user name.
	URL string
	// Display is URL without any user information: the only form that
	// reaches a manifest, a cache path or an error message.
	Display string
	// Ref is the branch, tag or full commit to read (git only); "" is the
	// remote's default branch (HEAD).
	Ref string
}

// String is the source as recorded: Display, with @Ref when set.
func (s Spec) String() string {
	if s.Ref == "" {
		return s.Display
	}
	return s.Display + "@" + s.Ref
}

var (
	scpPattern = lazyre.New(`^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(.+)$`)
	// refChars is the shape of a ref; validRef bounds its length apart: a
	// counted repetition would compile into a program 200 states long at
	// every start of the process.
	refChars = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)
	// CommitPattern matches a full commit (or object) id.
	CommitPattern = lazyre.New(`^[0-9a-f]{40}$`)
)

// errPassword is the one message for a URL carrying credentials.
func errPassword() error {
	return failure.Invalidf("a catalog URL must not embed a password or token; use a credential helper or SSH agent")
}

// Parse parses a SOURCE: "builtin", a git URL (https://, ssh://, file://,
// http:// to a loopback address only, or scp-like user@host:path) with an
// optional @REF, or a local directory. ref, when not empty, is a REF given
// separately (--ref); giving both is an error.
func Parse(source, ref string) (Spec, error) {
	if source == "" || source == BuiltinName {
		if ref != "" {
			return Spec{}, failure.Invalidf("the built-in catalog has no refs")
		}
		return Spec{Kind: Builtin, URL: BuiltinName, Display: BuiltinName}, nil
	}
	if strings.ContainsAny(source, "\x00\n\r") {
		return Spec{}, failure.Invalidf("catalog source contains a control character")
	}
	if i := strings.Index(source, "://"); i > 0 {
		return parseURL(source, source[:i], ref)
	}
	if user, _, ok := strings.Cut(source, "@"); ok && strings.Contains(user, ":") && !strings.Contains(user, "/") {
		return Spec{}, errPassword()
	}
	if m := scpPattern.FindStringSubmatch(source); m != nil {
		return parseSCP(m[1], m[2], m[3], ref)
	}
	if strings.Contains(source, "://") {
		return Spec{}, failure.Invalidf("catalog source %s is not a URL secgen understands", failure.Quote(redact(source)))
	}
	if ref != "" {
		return Spec{}, failure.Says("a directory catalog has no refs; drop ", failure.FieldRef, " or use a git URL")
	}
	abs, err := filepath.Abs(source)
	if err != nil {
		return Spec{}, failure.Invalidf("catalog directory %s: %w", failure.Quote(source), err)
	}
	return Spec{Kind: Dir, URL: abs, Display: abs}, nil
}

func parseURL(source, scheme, ref string) (Spec, error) {
	switch scheme {
	case "https", "ssh", "file", "http":
	default:
		return Spec{}, failure.Invalidf("catalog URL scheme %s is not supported; use https, ssh, file or user@host:path", failure.Quote(scheme))
	}
	// The authority ends at the first slash after "://"; a REF is what
	// follows the last @ of the path.
	rest := source[len(scheme)+3:]
	authority, p, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(p, "@"); at >= 0 {
		if ref != "" {
			return Spec{}, failure.Says("give the ref either as SOURCE@REF or with ", failure.FieldRef, ", not both")
		}
		p, ref = p[:at], p[at+1:]
	}
	u, err := url.Parse(scheme + "://" + authority + "/" + p)
	if err != nil {
		if strings.Contains(authority, "@") {
			return Spec{}, errPassword()
		}
		return Spec{}, failure.Invalidf("catalog URL %s is malformed", failure.Quote(redact(source)))
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		return Spec{}, errPassword()
	}
	if u.User != nil && (scheme == "https" || scheme == "http" || scheme == "file") {
		// A lone user name over HTTP is how tokens are usually passed.
		return Spec{}, errPassword()
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Spec{}, failure.Invalidf("catalog URL %s must not have a query or fragment", failure.Quote(redact(source)))
	}
	switch scheme {
	case "http":
		if !isLoopback(u.Hostname()) {
			return Spec{}, failure.Invalidf("plain http is allowed only to a loopback address; use https")
		}
	case "file":
		if u.Host != "" {
			return Spec{}, failure.Invalidf("a file:// URL must have an empty host: file:///path")
		}
	default:
		if u.Host == "" {
			return Spec{}, failure.Invalidf("catalog URL %s has no host", failure.Quote(redact(source)))
		}
	}
	if err := checkRef(ref); err != nil {
		return Spec{}, err
	}
	display := *u
	display.User = nil
	return Spec{Kind: Git, URL: u.String(), Display: display.String(), Ref: ref}, nil
}

func parseSCP(user, host, p, ref string) (Spec, error) {
	if at := strings.LastIndex(p, "@"); at >= 0 {
		if ref != "" {
			return Spec{}, failure.Says("give the ref either as SOURCE@REF or with ", failure.FieldRef, ", not both")
		}
		p, ref = p[:at], p[at+1:]
	}
	if strings.Contains(user, ":") {
		return Spec{}, errPassword()
	}
	if err := checkRef(ref); err != nil {
		return Spec{}, err
	}
	if p == "" {
		return Spec{}, failure.Invalidf("catalog URL has no repository path")
	}
	return Spec{Kind: Git, URL: user + "@" + host + ":" + p, Display: "ssh://" + host + "/" + strings.TrimPrefix(p, "/"), Ref: ref}, nil
}

func checkRef(ref string) error {
	if ref == "" {
		return nil
	}
	if !validRef(ref) || strings.Contains(ref, "..") || strings.HasSuffix(ref, "/") || strings.HasSuffix(ref, ".lock") {
		return failure.Invalidf("ref %s is not a valid branch, tag or commit", failure.Quote(ref))
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redact drops anything that could be user information from text meant for
// an error message.
func redact(s string) string {
	if i := strings.Index(s, "://"); i > 0 {
		rest := s[i+3:]
		authority, p, _ := strings.Cut(rest, "/")
		if at := strings.LastIndex(authority, "@"); at >= 0 {
			authority = authority[at+1:]
		}
		return s[:i+3] + authority + "/" + p
	}
	return s
}

// validRef reports whether ref has the shape of a branch, tag or commit
// name of at most 200 bytes.
func validRef(ref string) bool { return len(ref) <= 200 && refChars.MatchString(ref) }
