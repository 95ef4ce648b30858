// Package failure classifies errors so the CLI can map them to exit codes in
// one place: invalid input (exit 2) versus any other failure (exit 1).
package failure

import (
	"errors"
	"fmt"
)

// ErrInvalidInput marks errors caused by the user's input: flags, answers,
// answers files, manifests, catalog entries or the target directory.
var ErrInvalidInput = errors.New("invalid input")

type invalid struct{ err error }

func (e *invalid) Error() string { return e.err.Error() }
func (e *invalid) Unwrap() []error {
	return []error{e.err, ErrInvalidInput}
}

// Invalidf formats an error that is classified as invalid input. Like
// fmt.Errorf it wraps a %w operand.
func Invalidf(format string, args ...any) error {
	return &invalid{err: fmt.Errorf(format, args...)}
}

// Invalid marks err as invalid input, keeping its message and chain.
func Invalid(err error) error {
	if err == nil {
		return nil
	}
	return &invalid{err: err}
}

// IsInvalidInput reports whether err is classified as invalid input.
func IsInvalidInput(err error) bool {
	return errors.Is(err, ErrInvalidInput)
}

// Quote renders untrusted text for an error message: quoted, escaped and cut
// to a bounded length, so hostile input cannot forge lines or terminal codes.
func Quote(s string) string {
	const limit = 80
	r := []rune(s)
	if len(r) > limit {
		return fmt.Sprintf("%q…", string(r[:limit]))
	}
	return fmt.Sprintf("%q", s)
}
