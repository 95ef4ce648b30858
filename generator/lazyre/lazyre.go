// Package lazyre is a regular expression compiled on its first use, not at
// package initialisation: a package-level pattern of a verb that never
// matches it costs a command nothing (secgen version runs no validator).
package lazyre

import (
	"regexp"
	"sync"
)

// Regexp is a regular expression compiled once, on first use, by any
// goroutine. Its pattern is a constant of the program: New's caller
// guarantees it compiles, and the first use panics if it does not (a
// test exercising the pattern proves it, as it would regexp.MustCompile's).
type Regexp struct {
	re func() *regexp.Regexp
}

// New returns the lazily compiled pattern expr.
func New(expr string) *Regexp {
	return &Regexp{re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })}
}

// Regexp returns the compiled expression.
func (r *Regexp) Regexp() *regexp.Regexp { return r.re() }

// String returns the source text of the expression.
func (r *Regexp) String() string { return r.re().String() }

// MatchString reports whether s contains a match of the expression.
func (r *Regexp) MatchString(s string) bool { return r.re().MatchString(s) }

// Match reports whether b contains a match of the expression.
func (r *Regexp) Match(b []byte) bool { return r.re().Match(b) }

// FindStringSubmatch returns the leftmost match in s and its submatches.
func (r *Regexp) FindStringSubmatch(s string) []string { return r.re().FindStringSubmatch(s) }

// FindStringSubmatchIndex returns the index pairs of the leftmost match in
// s and of its submatches.
func (r *Regexp) FindStringSubmatchIndex(s string) []int { return r.re().FindStringSubmatchIndex(s) }

// FindAllStringSubmatch returns up to n successive matches in s (all when
// n < 0) with their submatches.
func (r *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	return r.re().FindAllStringSubmatch(s, n)
}

// ReplaceAllString returns s with every match replaced by repl, expanded
// as regexp.Regexp.ReplaceAllString expands it.
func (r *Regexp) ReplaceAllString(s, repl string) string { return r.re().ReplaceAllString(s, repl) }
