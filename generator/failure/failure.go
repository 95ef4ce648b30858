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

// Field names one input of a request by what it means, not by how a front
// end spells it: the CLI maps each to its flag (FieldSet is --set).
type Field string

// The fields generator errors name.
const (
	FieldSet         Field = "answer"          // one KEY=VALUE answer
	FieldAnswersFile Field = "answers file"    // a file of answers
	FieldConflict    Field = "conflict policy" // what add and update do with a conflict
	FieldOffline     Field = "offline mode"    // the git cache only, no fetching
	FieldKeyring     Field = "keyring"         // the OpenPGP keys a git catalog is verified with
	FieldRef         Field = "catalog ref"     // the git ref of a catalog
	FieldComponents  Field = "component list"  // the components an audit covers
	FieldGitAuthor   Field = "git author"      // the author of the initial commit
	FieldSignKey     Field = "signing key"     // the key the initial commit is signed with
)

// FieldError is invalid input in one field: which field, the value given
// (empty when there is none to show) and why it is refused. Its message
// names the field in the generator's words; a front end renders it with
// its own name for the field through Message.
type FieldError struct {
	Field  Field
	Value  string
	Reason string // a predicate: "must have the form KEY=VALUE"
	// Err is the underlying cause, if any; it is part of the chain.
	Err error
}

// Error names the field in the generator's words.
func (e *FieldError) Error() string { return e.Message(string(e.Field)) }

// Message is the error's sentence with the field called name.
func (e *FieldError) Message(name string) string {
	s := name
	if e.Value != "" {
		s += " " + Quote(e.Value)
	}
	s += " " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause and ErrInvalidInput: a field error is always
// the user's input.
func (e *FieldError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalidInput}
	}
	return []error{e.Err, ErrInvalidInput}
}

// Hint is an error with the ways to give what is missing or wrong: "the
// default of "port" is not valid; give it with answer port=VALUE". A front
// end renders each way with its own name for the field through Message.
type Hint struct {
	Err  error
	Ways []Way
}

// Way is one field and an example of its value.
type Way struct {
	Field   Field
	Example string
}

// Error names the fields in the generator's words.
func (h *Hint) Error() string {
	return h.Message(func(f Field) string { return string(f) })
}

// Message is the error's sentence with each field called name(field).
func (h *Hint) Message(name func(Field) string) string {
	ways := make([]string, len(h.Ways))
	for i, w := range h.Ways {
		ways[i] = name(w.Field) + " " + w.Example
	}
	return h.Err.Error() + " (give it with " + joinOr(ways) + ")"
}

// Unwrap returns the error the hint is about.
func (h *Hint) Unwrap() error { return h.Err }

func joinOr(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := s[0]
	for _, x := range s[1 : len(s)-1] {
		out += ", " + x
	}
	return out + " or " + s[len(s)-1]
}
