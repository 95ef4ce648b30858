// Package answers defines secgen's questions and the one validator that every
// answer source goes through: --set flags, answers files, interactive prompts,
// blueprint and component defaults, and stored manifests.
package answers

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/template/parse"

	"github.com/secgen/secgen/generator/lazyre"
	"go.yaml.in/yaml/v3"
)

// Type is the type of a question's answer.
type Type string

// The answer types. Each maps to one Go type in Values: string (String and
// Enum), int (Int), bool (Bool) and []string (List).
const (
	String Type = "string"
	Int    Type = "int"
	Bool   Type = "bool"
	Enum   Type = "enum"
	List   Type = "list"
)

// Rules are the validation rules of a question. Pattern, length bounds and
// Forbid apply to strings and to each item of a list.
type Rules struct {
	Pattern     string   `yaml:"pattern,omitempty" json:"pattern,omitempty"`
	PatternHelp string   `yaml:"pattern_help,omitempty" json:"pattern_help,omitempty"`
	MinLength   *int     `yaml:"min_length,omitempty" json:"min_length,omitempty"`
	MaxLength   *int     `yaml:"max_length,omitempty" json:"max_length,omitempty"`
	Min         *int     `yaml:"min,omitempty" json:"min,omitempty"`
	Max         *int     `yaml:"max,omitempty" json:"max,omitempty"`
	MinItems    *int     `yaml:"min_items,omitempty" json:"min_items,omitempty"`
	MaxItems    *int     `yaml:"max_items,omitempty" json:"max_items,omitempty"`
	Forbid      []string `yaml:"forbid,omitempty" json:"forbid,omitempty"`
}

// Question is one question a component asks.
type Question struct {
	Name      string    `yaml:"name"`
	Type      Type      `yaml:"type"`
	Prompt    string    `yaml:"prompt"`
	Help      string    `yaml:"help"`
	Default   yaml.Node `yaml:"default"`
	Required  bool      `yaml:"required"`
	Multiline bool      `yaml:"multiline"`
	Choices   []string  `yaml:"choices"`
	Validate  Rules     `yaml:"validate"`
	// When, if set, is a template over the earlier answers that yields
	// true or false; false means the question is not asked, not validated
	// and not recorded (its answer is absent from Values).
	When string `yaml:"when"`
	// Section names the catalog section the question belongs to; the
	// catalog fills in its first section when it is empty.
	Section string `yaml:"section"`
	// Placeholder declares that the default only stands in for a real
	// value (an example account, an all-zero digest): runs accept it, and
	// the summary lists it, with PlaceholderReason, until it is replaced.
	Placeholder       bool   `yaml:"placeholder"`
	PlaceholderReason string `yaml:"placeholder_reason"`

	// pattern is Validate.Pattern, anchored and compiled (nil: none), set
	// by Check or Prepare.
	pattern func() *regexp.Regexp
}

// Default maximum lengths when a question sets none: answers are bounded.
const (
	defaultMaxLength          = 256
	defaultMultilineMaxLength = 4096
	defaultMaxItems           = 100
)

var (
	questionName = lazyre.New(`^[a-z][a-z0-9_]{0,62}$`)
	// Question names that would ask for a secret value (SEC-02).
	secretName = lazyre.New(`(^|_)(password|passwd|passphrase|credentials?|private_key|api_key|apikey|access_key|secret_key|secret_value|client_secret|token|tokens|otp|pin)($|_)`)
)

// Prepare readies for use a question whose declaration a test has already
// proven valid with Check (a question of the catalog compiled into the
// binary): it skips Check's validation, and its pattern compiles on first
// use. Never call it on a question read at run time: call Check.
func (q *Question) Prepare() {
	if q.Validate.Pattern != "" {
		expr := `^(?:` + q.Validate.Pattern + `)$`
		q.pattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
	}
}

// CheckName validates the form of a question's name (also that of any other
// name templates see beside the answers).
func CheckName(name string) error {
	if !questionName.MatchString(name) {
		return fmt.Errorf("name %q must match %s", name, questionName)
	}
	return nil
}

// Check validates the declaration of the question itself and prepares it for
// use. It is called once when the catalog loads.
func (q *Question) Check() error {
	if err := CheckName(q.Name); err != nil {
		return err
	}
	if secretName.MatchString(q.Name) {
		return fmt.Errorf("question %q would ask for a secret value, which secgen never does (SEC-02)", q.Name)
	}
	if strings.TrimSpace(q.Prompt) == "" {
		return fmt.Errorf("question %q: prompt is required", q.Name)
	}
	switch q.Type {
	case String, Int, Bool, Enum, List:
	default:
		return fmt.Errorf("question %q: type %q is not one of string, int, bool, enum, list", q.Name, q.Type)
	}
	if q.Multiline && q.Type != String {
		return fmt.Errorf("question %q: multiline applies to strings only", q.Name)
	}
	if (q.Type == Enum) != (len(q.Choices) > 0) {
		return fmt.Errorf("question %q: choices are required for enums and allowed for nothing else", q.Name)
	}
	seen := map[string]bool{}
	for _, c := range q.Choices {
		if c == "" || seen[c] {
			return fmt.Errorf("question %q: choices must be distinct and non-empty", q.Name)
		}
		seen[c] = true
	}
	r := q.Validate
	stringish := q.Type == String || q.Type == List
	if !stringish && (r.Pattern != "" || r.MinLength != nil || r.MaxLength != nil || len(r.Forbid) > 0) {
		return fmt.Errorf("question %q: pattern, lengths and forbid apply to strings and lists only", q.Name)
	}
	if q.Type != Int && (r.Min != nil || r.Max != nil) {
		return fmt.Errorf("question %q: min and max apply to ints only", q.Name)
	}
	if q.Type != List && (r.MinItems != nil || r.MaxItems != nil) {
		return fmt.Errorf("question %q: min_items and max_items apply to lists only", q.Name)
	}
	if err := checkRange(r.MinLength, r.MaxLength); err != nil {
		return fmt.Errorf("question %q: length bounds: %w", q.Name, err)
	}
	if err := checkRange(r.Min, r.Max); err != nil {
		return fmt.Errorf("question %q: value bounds: %w", q.Name, err)
	}
	if err := checkRange(r.MinItems, r.MaxItems); err != nil {
		return fmt.Errorf("question %q: item bounds: %w", q.Name, err)
	}
	if r.Pattern != "" {
		re, err := regexp.Compile(`^(?:` + r.Pattern + `)$`)
		if err != nil {
			return fmt.Errorf("question %q: pattern: %w", q.Name, err)
		}
		q.pattern = func() *regexp.Regexp { return re }
	}
	if q.When != "" {
		if err := checkTemplate(q.When); err != nil {
			return fmt.Errorf("question %q: when: %w", q.Name, err)
		}
	}
	if q.Placeholder != (strings.TrimSpace(q.PlaceholderReason) != "") {
		return fmt.Errorf("question %q: placeholder: true and placeholder_reason go together", q.Name)
	}
	if q.Placeholder && !q.HasDefault() {
		return fmt.Errorf("question %q: a placeholder needs a default", q.Name)
	}
	if q.Type == Int && !q.Required && !q.HasDefault() {
		return fmt.Errorf("question %q: an optional int needs a default", q.Name)
	}
	if q.Type == Enum && !q.Required && !q.HasDefault() {
		return fmt.Errorf("question %q: an optional enum needs a default", q.Name)
	}
	if q.HasDefault() {
		if _, isTemplate := q.DefaultTemplate(); !isTemplate {
			v, err := ParseNode(q, &q.Default)
			if err != nil {
				return fmt.Errorf("question %q: default: %w", q.Name, err)
			}
			if err := q.Check1(v); err != nil {
				return fmt.Errorf("question %q: default: %w", q.Name, err)
			}
		}
	}
	return nil
}

// checkTemplate parses a condition without knowing the renderer's functions
// (they are checked when it runs): it must be one template expression.
func checkTemplate(text string) error {
	if !strings.HasPrefix(strings.TrimSpace(text), "{{") {
		return fmt.Errorf("%s must be a template expression such as {{ eq .database \"postgres\" }}", strconv.Quote(text))
	}
	t := parse.New("when")
	t.Mode = parse.SkipFuncCheck
	if _, err := t.Parse(text, "", "", map[string]*parse.Tree{}); err != nil {
		return err
	}
	return nil
}

func checkRange(lo, hi *int) error {
	if lo != nil && *lo < 0 {
		return fmt.Errorf("negative minimum %d", *lo)
	}
	if lo != nil && hi != nil && *lo > *hi {
		return fmt.Errorf("minimum %d is above maximum %d", *lo, *hi)
	}
	return nil
}

// HasDefault reports whether the question declares a default.
func (q *Question) HasDefault() bool {
	return q.Default.Kind != 0 && q.Default.Tag != "!!null"
}

// DefaultTemplate returns the default as template text when it is a string
// that contains a template action; such defaults are rendered over the answers
// given so far, then parsed like typed text.
func (q *Question) DefaultTemplate() (string, bool) {
	if q.Default.Kind == yaml.ScalarNode && q.Default.Tag == "!!str" && strings.Contains(q.Default.Value, "{{") {
		return q.Default.Value, true
	}
	return "", false
}

// Describe returns a one-line, human summary of the question's validation,
// used by `secgen show`.
func (q *Question) Describe() string {
	var parts []string
	r := q.Validate
	if q.Type == Enum {
		parts = append(parts, "one of "+strings.Join(q.Choices, ", "))
	}
	if r.PatternHelp != "" {
		parts = append(parts, r.PatternHelp)
	} else if r.Pattern != "" {
		parts = append(parts, "matches "+r.Pattern)
	}
	if r.MinLength != nil || r.MaxLength != nil {
		parts = append(parts, "length "+bounds(r.MinLength, r.MaxLength))
	}
	if r.Min != nil || r.Max != nil {
		parts = append(parts, "value "+bounds(r.Min, r.Max))
	}
	if r.MinItems != nil || r.MaxItems != nil {
		parts = append(parts, "items "+bounds(r.MinItems, r.MaxItems))
	}
	if len(r.Forbid) > 0 {
		parts = append(parts, "never "+strings.Join(quoteAll(r.Forbid), ", "))
	}
	return strings.Join(parts, "; ")
}

func bounds(lo, hi *int) string {
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("%d..%d", *lo, *hi)
	case lo != nil:
		return fmt.Sprintf(">= %d", *lo)
	default:
		return fmt.Sprintf("<= %d", *hi)
	}
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
