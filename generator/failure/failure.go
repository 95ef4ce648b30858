// Package failure classifies errors so the CLI can map them to exit codes in
// one place: invalid input (exit 2) versus any other failure (exit 1).
package failure

import (
	"errors"
	"fmt"
	"strings"
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
	FieldSet            Field = "answer"             // one KEY=VALUE answer
	FieldAnswersFile    Field = "answers file"       // a file of answers
	FieldConflict       Field = "conflict policy"    // what add and update do with a conflict
	FieldOffline        Field = "offline mode"       // the git cache only, no fetching
	FieldKeyring        Field = "keyring"            // the OpenPGP keys a git catalog is verified with
	FieldRef            Field = "catalog ref"        // the git ref of a catalog
	FieldCatalog        Field = "catalog source"     // a directory or git repository to take the catalog from
	FieldComponents     Field = "component list"     // the components an audit covers
	FieldGitAuthor      Field = "git author"         // the author of the initial commit
	FieldSignKey        Field = "signing key"        // the key the initial commit is signed with
	FieldAcceptSigner   Field = "accepted signer"    // a rotated signer's fingerprint, accepted once
	FieldAcceptMovedTag Field = "accepted moved tag" // a moved release tag, accepted once
	FieldRerecord       Field = "re-recording"       // golden cases recorded again
	FieldExclude        Field = "excluded paths"     // globs of paths an audit leaves out
)

// Renderer is an error whose sentence names fields: Render writes it with
// name(field) for each, the way a front end spells them (the CLI's
// flags). Error writes the generator's own words.
type Renderer interface {
	error
	Render(name func(Field) string) string
}

// FieldError is invalid input in one field: which field, the value given
// (empty when there is none to show) and why it is refused. Its sentence is
// Prefix, the field's name, the quoted value, then Reason.
type FieldError struct {
	Field  Field
	Value  string
	Reason string // a predicate: "must have the form KEY=VALUE"
	// Prefix, when set, comes before the field's name: "read ".
	Prefix string
	// Err is the underlying cause, if any; it is part of the chain.
	Err error
}

// Error names the field in the generator's words.
func (e *FieldError) Error() string { return e.Render(func(f Field) string { return string(f) }) }

// Render writes the error with the field called name(field).
func (e *FieldError) Render(name func(Field) string) string {
	s := e.Prefix + name(e.Field)
	if e.Value != "" {
		s += " " + Quote(e.Value)
	}
	if e.Reason != "" {
		if !strings.HasPrefix(e.Reason, ",") && !strings.HasPrefix(e.Reason, ";") && !strings.HasPrefix(e.Reason, ":") {
			s += " "
		}
		s += e.Reason
	}
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
// default of "port" is not valid (give it with answer port=VALUE)".
type Hint struct {
	Err  error
	Ways []Way
	// Plural says "give them" rather than "give it".
	Plural bool
}

// Way is one field and an example of its value.
type Way struct {
	Field   Field
	Example string
}

// Error names the fields in the generator's words.
func (h *Hint) Error() string {
	return h.Render(func(f Field) string { return string(f) })
}

// Render writes the error with each field called name(field).
func (h *Hint) Render(name func(Field) string) string {
	ways := make([]string, len(h.Ways))
	for i, w := range h.Ways {
		ways[i] = name(w.Field) + " " + w.Example
	}
	it := "it"
	if h.Plural {
		it = "them"
	}
	return h.Err.Error() + " (give " + it + " with " + joinOr(ways) + ")"
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
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// Sentence is invalid input described by a sentence that names fields in
// its text: its parts are strings and Fields. Build it with Says.
type Sentence struct {
	parts []any
	err   error // the cause, if a part was an error
}

// Says builds a Sentence from strings, Fields and at most one error (its
// cause, written as its message and kept in the chain).
func Says(parts ...any) error {
	s := &Sentence{parts: parts}
	for _, p := range parts {
		if err, ok := p.(error); ok {
			s.err = err
		}
	}
	return s
}

// Error names the fields in the generator's words.
func (s *Sentence) Error() string { return s.Render(func(f Field) string { return string(f) }) }

// Render writes the sentence with each field called name(field).
func (s *Sentence) Render(name func(Field) string) string {
	var b strings.Builder
	for _, p := range s.parts {
		switch p := p.(type) {
		case Field:
			b.WriteString(name(p))
		case string:
			b.WriteString(p)
		case error:
			b.WriteString(p.Error())
		default:
			fmt.Fprint(&b, p)
		}
	}
	return b.String()
}

// Unwrap returns the cause, if any, and ErrInvalidInput.
func (s *Sentence) Unwrap() []error {
	if s.err == nil {
		return []error{ErrInvalidInput}
	}
	return []error{s.err, ErrInvalidInput}
}
