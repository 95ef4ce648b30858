package answers

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lazyre"
)

// Values are validated answers by question name. Each value is a string, an
// int, a bool or a []string, as the question's type says.
type Values map[string]any

// Clone returns a copy whose lists are not shared with v.
func (v Values) Clone() Values {
	out := make(Values, len(v))
	for k, x := range v {
		if l, ok := x.([]string); ok {
			x = append([]string(nil), l...)
		}
		out[k] = x
	}
	return out
}

var intText = lazyre.New(`^-?[0-9]{1,18}$`)

// ParseText parses the textual form of an answer, as given by --set or typed
// at a prompt. Types are strict: nothing is coerced.
func ParseText(q *Question, s string) (any, error) {
	switch q.Type {
	case String, Enum:
		return s, nil
	case Int:
		if !intText.MatchString(s) {
			return nil, fmt.Errorf("must be an integer, got %s", failure.Quote(s))
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("must be an integer, got %s", failure.Quote(s))
		}
		return n, nil
	case Bool:
		switch s {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("must be true or false, got %s", failure.Quote(s))
	case List:
		if strings.TrimSpace(s) == "" {
			return []string{}, nil
		}
		parts := strings.Split(s, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts, nil
	}
	return nil, fmt.Errorf("unknown type %q", q.Type)
}

// ParseNode parses an answer from YAML (answers files, manifests, typed
// defaults). A YAML node must carry exactly the question's type: a quoted
// "8080" is not an int, and `yes` is not a bool.
func ParseNode(q *Question, n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return nil, fmt.Errorf("YAML anchors and aliases are not accepted")
	}
	switch q.Type {
	case String, Enum:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			return nil, fmt.Errorf("must be a string")
		}
		return n.Value, nil
	case Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || !intText.MatchString(n.Value) {
			return nil, fmt.Errorf("must be a decimal integer")
		}
		v, err := strconv.Atoi(n.Value)
		if err != nil {
			return nil, fmt.Errorf("must be a decimal integer")
		}
		return v, nil
	case Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || (n.Value != "true" && n.Value != "false") {
			return nil, fmt.Errorf("must be true or false")
		}
		return n.Value == "true", nil
	case List:
		if n.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("must be a list of strings")
		}
		out := make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode || item.Tag != "!!str" || item.Anchor != "" {
				return nil, fmt.Errorf("must be a list of strings")
			}
			out = append(out, item.Value)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown type %q", q.Type)
}

// Check1 validates a typed value against this question's own rules.
func (q *Question) Check1(v any) error {
	switch q.Type {
	case String:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be a string")
		}
		if s == "" && !q.Required {
			return nil
		}
		return q.checkString(s)
	case Enum:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be a string")
		}
		for _, c := range q.Choices {
			if s == c {
				return nil
			}
		}
		return fmt.Errorf("must be one of %s, got %s", strings.Join(q.Choices, ", "), failure.Quote(s))
	case Int:
		n, ok := v.(int)
		if !ok {
			return fmt.Errorf("must be an integer")
		}
		if q.Validate.Min != nil && n < *q.Validate.Min {
			return fmt.Errorf("must be at least %d, got %d", *q.Validate.Min, n)
		}
		if q.Validate.Max != nil && n > *q.Validate.Max {
			return fmt.Errorf("must be at most %d, got %d", *q.Validate.Max, n)
		}
		return nil
	case Bool:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("must be true or false")
		}
		return nil
	case List:
		l, ok := v.([]string)
		if !ok {
			return fmt.Errorf("must be a list of strings")
		}
		maxItems := defaultMaxItems
		if q.Validate.MaxItems != nil {
			maxItems = *q.Validate.MaxItems
		}
		if q.Validate.MinItems != nil && len(l) < *q.Validate.MinItems {
			return fmt.Errorf("needs at least %d items, got %d", *q.Validate.MinItems, len(l))
		}
		if len(l) > maxItems {
			return fmt.Errorf("allows at most %d items, got %d", maxItems, len(l))
		}
		seen := make(map[string]bool, len(l))
		for i, item := range l {
			if err := q.checkString(item); err != nil {
				return fmt.Errorf("item %d: %w", i+1, err)
			}
			if seen[item] {
				return fmt.Errorf("item %d: duplicate %s", i+1, failure.Quote(item))
			}
			seen[item] = true
		}
		return nil
	}
	return fmt.Errorf("unknown type %q", q.Type)
}

func (q *Question) checkString(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("must be valid UTF-8")
	}
	for _, r := range s {
		switch {
		case r == 0:
			return fmt.Errorf("must not contain NUL bytes")
		case r == '\n' && q.Multiline:
		case r == '\n':
			return fmt.Errorf("must be a single line")
		case r == '\t' && q.Multiline:
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\ufeff':
			return fmt.Errorf("must not contain control characters (found %U)", r)
		case unicode.Is(unicode.Bidi_Control, r):
			return fmt.Errorf("must not contain bidirectional control characters (found %U)", r)
		}
	}
	n := utf8.RuneCountInString(s)
	maxLen := defaultMaxLength
	if q.Multiline {
		maxLen = defaultMultilineMaxLength
	}
	if q.Validate.MaxLength != nil {
		maxLen = *q.Validate.MaxLength
	}
	minLen := 0
	if q.Validate.MinLength != nil {
		minLen = *q.Validate.MinLength
	}
	if q.Required && minLen == 0 && q.Type == String {
		minLen = 1
	}
	if n < minLen {
		if n == 0 {
			return fmt.Errorf("must not be empty")
		}
		return fmt.Errorf("must be at least %d characters, got %d", minLen, n)
	}
	if n > maxLen {
		return fmt.Errorf("must be at most %d characters, got %d", maxLen, n)
	}
	for _, f := range q.Validate.Forbid {
		if s == f {
			return fmt.Errorf("must not be %s", failure.Quote(s))
		}
	}
	if q.pattern != nil && !q.pattern().MatchString(s) {
		if q.Validate.PatternHelp != "" {
			return fmt.Errorf("must be %s, got %s", q.Validate.PatternHelp, failure.Quote(s))
		}
		return fmt.Errorf("must match %s, got %s", q.Validate.Pattern, failure.Quote(s))
	}
	if kind := LooksLikeSecret(s); kind != "" {
		return fmt.Errorf("looks like a secret value (%s); secgen never takes secrets, reference them from a secret store instead (SEC-02)", kind)
	}
	return nil
}
