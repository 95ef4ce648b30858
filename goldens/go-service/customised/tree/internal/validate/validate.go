// Package validate checks every external input at the boundary (APP-01).
//
// Validators are allowlists: a value is accepted only when it matches the
// expected format, is valid UTF-8, holds no NUL or control character and is
// within its length bounds. Anything else is rejected with an error that says
// which rule failed, never echoing the value itself.
package validate

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error reports which field failed which rule. It never contains the value.
type Error struct {
	Field string
	Rule  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Rule) }

// ErrInvalid is matched by every *Error through errors.Is.
var ErrInvalid = errors.New("invalid input")

// Is makes errors.Is(err, ErrInvalid) true for every *Error.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

var (
	idPattern       = regexp.MustCompile(`^[0-9a-f]{32}$`)
	fileNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
)

// ID checks a resource identifier: 32 lower-case hex characters.
func ID(field, s string) error {
	if err := clean(field, s, 32); err != nil {
		return err
	}
	if !idPattern.MatchString(s) {
		return &Error{Field: field, Rule: "must be 32 lower-case hexadecimal characters"}
	}
	return nil
}

// FileName checks a single path element: letters, digits, '.', '_' and '-',
// starting with a letter or digit, at most 128 bytes, never "." or "..", and
// never a path (no separators).
func FileName(field, s string) error {
	if err := clean(field, s, 128); err != nil {
		return err
	}
	if !fileNamePattern.MatchString(s) || strings.Contains(s, "..") {
		return &Error{Field: field, Rule: "must be a plain file name (letters, digits, '.', '_', '-')"}
	}
	return nil
}

// Text checks free text of at most maxRunes characters: valid UTF-8, no NUL
// and no control characters other than newline and tab when multiline.
func Text(field, s string, minRunes, maxRunes int, multiline bool) error {
	if !utf8.ValidString(s) {
		return &Error{Field: field, Rule: "must be valid UTF-8"}
	}
	n := utf8.RuneCountInString(s)
	if n < minRunes || n > maxRunes {
		return &Error{Field: field, Rule: fmt.Sprintf("must be %d to %d characters", minRunes, maxRunes)}
	}
	for _, r := range s {
		if r == 0 {
			return &Error{Field: field, Rule: "must not contain NUL"}
		}
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) {
			return &Error{Field: field, Rule: "must not contain control characters"}
		}
	}
	return nil
}

// OneOf checks that s is one of the allowed values (an enum).
func OneOf(field, s string, allowed ...string) error {
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	return &Error{Field: field, Rule: "must be one of " + strings.Join(allowed, ", ")}
}

// clean rejects invalid UTF-8, NUL bytes and values longer than maxBytes.
func clean(field, s string, maxBytes int) error {
	if s == "" {
		return &Error{Field: field, Rule: "is required"}
	}
	if len(s) > maxBytes {
		return &Error{Field: field, Rule: fmt.Sprintf("must be at most %d bytes", maxBytes)}
	}
	if strings.IndexByte(s, 0) >= 0 {
		return &Error{Field: field, Rule: "must not contain NUL"}
	}
	if !utf8.ValidString(s) {
		return &Error{Field: field, Rule: "must be valid UTF-8"}
	}
	return nil
}
