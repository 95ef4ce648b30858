package answers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/failure"
)

// Asked is a question as a project asks it. A catalog declares each question
// once (a question several components ask is a shared one), so one
// declaration holds all of its rules.
type Asked struct {
	*Question
}

// Check validates v against the question's rules.
func (a Asked) Check(v any) error {
	return a.Question.Check1(v)
}

// Prompt is what a Prompter shows for one question.
type Prompt struct {
	Name      string
	Message   string
	Help      string
	Type      Type
	Choices   []string
	Default   string // textual default; "" when there is none
	Multiline bool
	Problem   string // why the previous entry was refused; "" on the first ask
}

// Prompter asks the user for one answer in its textual form (as for --set).
// The answer goes through the same parser and validator as every other source.
type Prompter interface {
	Ask(ctx context.Context, p Prompt) (string, error)
}

// Sources are the places answers come from, strongest first: Set, File,
// then the prompt (when Prompter is set), then Defaults and the questions'
// own defaults.
type Sources struct {
	Known    Values                // answers already recorded; visible to default templates
	Set      []string              // "key=value" pairs from the command line
	File     map[string]*yaml.Node // an answers file, see ParseFile
	Defaults map[string]*yaml.Node // a blueprint's default overrides
	Prompter Prompter              // nil when input is off
	// ExpandDefault renders a template default over the answers so far.
	ExpandDefault func(text string, sofar Values) (string, error)
}

// maxPromptAttempts bounds how often an invalid entry is re-asked.
const maxPromptAttempts = 5

// Resolve collects and validates an answer for every question, in order.
// All returned errors about the user's input are classified invalid input.
func Resolve(ctx context.Context, qs []Asked, src Sources) (Values, error) {
	byName := make(map[string]Asked, len(qs))
	for _, q := range qs {
		byName[q.Name] = q
	}
	given := Values{}
	for _, kv := range src.Set {
		key, text, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, failure.Invalidf("--set %s must have the form KEY=VALUE", failure.Quote(kv))
		}
		q, err := lookup(byName, key)
		if err != nil {
			return nil, err
		}
		if _, dup := given[key]; dup {
			return nil, failure.Invalidf("--set gives %q more than once", key)
		}
		v, err := ParseText(q.Question, text)
		if err == nil {
			err = q.Check(v)
		}
		if err != nil {
			return nil, failure.Invalidf("answer %q: %w", key, err)
		}
		given[key] = v
	}
	for _, key := range slices.Sorted(maps.Keys(src.File)) {
		q, err := lookup(byName, key)
		if err != nil {
			return nil, fmt.Errorf("answers file: %w", err)
		}
		if _, fromFlag := given[key]; fromFlag {
			continue // --set is more specific than the file
		}
		v, err := ParseNode(q.Question, src.File[key])
		if err == nil {
			err = q.Check(v)
		}
		if err != nil {
			return nil, failure.Invalidf("answers file: answer %q: %w", key, err)
		}
		given[key] = v
	}

	out := src.Known.Clone()
	var missing []string
	for _, q := range qs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if v, ok := given[q.Name]; ok {
			out[q.Name] = v
			continue
		}
		def, hasDef, defErr := defaultValue(q, src, out)
		if src.Prompter != nil {
			v, err := ask(ctx, q, src.Prompter, def, hasDef && defErr == nil)
			if err != nil {
				return nil, err
			}
			out[q.Name] = v
			continue
		}
		switch {
		case defErr != nil:
			return nil, failure.Invalidf("the default of %q is not valid (%w); give it with --set %s=VALUE", q.Name, defErr, q.Name)
		case hasDef:
			out[q.Name] = def
		case !q.Required:
			out[q.Name] = zero(q.Type)
		default:
			missing = append(missing, q.Name)
		}
	}
	if len(missing) > 0 {
		return nil, failure.Invalidf("missing required answers: %s (give them with --set KEY=VALUE or --answers FILE)", strings.Join(missing, ", "))
	}
	return out, nil
}

func lookup(byName map[string]Asked, key string) (Asked, error) {
	q, ok := byName[key]
	if !ok {
		names := make([]string, 0, len(byName))
		for n := range byName {
			names = append(names, n)
		}
		sort.Strings(names)
		return Asked{}, failure.Invalidf("unknown answer key %s (known keys: %s)", failure.Quote(key), strings.Join(names, ", "))
	}
	return q, nil
}

// defaultValue computes a question's default: the blueprint's override, else
// its own; template defaults are rendered over the answers so far.
func defaultValue(q Asked, src Sources, sofar Values) (any, bool, error) {
	node := &q.Default
	if n, ok := src.Defaults[q.Name]; ok {
		node = n
	}
	if node.Kind == 0 || node.Tag == "!!null" {
		return nil, false, nil
	}
	var v any
	var err error
	if node.Kind == yaml.ScalarNode && node.Tag == "!!str" && strings.Contains(node.Value, "{{") {
		if src.ExpandDefault == nil {
			return nil, true, errors.New("template defaults cannot be expanded here")
		}
		var text string
		text, err = src.ExpandDefault(node.Value, sofar)
		if err != nil {
			return nil, true, fmt.Errorf("render default: %w", err)
		}
		v, err = ParseText(q.Question, text)
	} else {
		v, err = ParseNode(q.Question, node)
	}
	if err == nil {
		err = q.Check(v)
	}
	if err != nil {
		return nil, true, err
	}
	return v, true, nil
}

func ask(ctx context.Context, q Asked, p Prompter, def any, hasDef bool) (any, error) {
	prompt := Prompt{
		Name:      q.Name,
		Message:   q.Prompt,
		Help:      q.Help,
		Type:      q.Type,
		Choices:   q.Choices,
		Multiline: q.Multiline,
	}
	if hasDef {
		prompt.Default = FormatText(def)
	}
	for attempt := 0; attempt < maxPromptAttempts; attempt++ {
		text, err := p.Ask(ctx, prompt)
		if err != nil {
			return nil, fmt.Errorf("ask %q: %w", q.Name, err)
		}
		if text == "" && hasDef {
			return def, nil
		}
		v, err := ParseText(q.Question, text)
		if err == nil {
			err = q.Check(v)
		}
		if err == nil {
			return v, nil
		}
		prompt.Problem = err.Error()
	}
	return nil, failure.Invalidf("answer %q: no valid entry after %d attempts (%s)", q.Name, maxPromptAttempts, prompt.Problem)
}

func zero(t Type) any {
	switch t {
	case List:
		return []string{}
	case Bool:
		return false
	case Int:
		return 0
	}
	return ""
}

// FormatText is the textual form of a value, as ParseText reads it back.
func FormatText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	case []string:
		return strings.Join(x, ",")
	}
	return fmt.Sprint(v)
}

// MaxFileSize bounds answers files and manifests.
const MaxFileSize = 1 << 20

// ParseFile reads an answers file: a YAML mapping of question names to
// values. Anchors, aliases, duplicate keys and non-string keys are refused.
func ParseFile(data []byte) (map[string]*yaml.Node, error) {
	if len(data) > MaxFileSize {
		return nil, failure.Invalidf("answers file is larger than %d bytes", MaxFileSize)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return map[string]*yaml.Node{}, nil
		}
		return nil, failure.Invalidf("answers file is not valid YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, failure.Invalidf("answers file must hold a single YAML document")
	}
	if len(doc.Content) == 0 {
		return map[string]*yaml.Node{}, nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, failure.Invalidf("answers file must be a YAML mapping of question names to values")
	}
	out := make(map[string]*yaml.Node, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
			return nil, failure.Invalidf("answers file: keys must be question names (line %d)", k.Line)
		}
		if k.Anchor != "" || v.Anchor != "" || v.Kind == yaml.AliasNode || k.Kind == yaml.AliasNode {
			return nil, failure.Invalidf("answers file: YAML anchors and aliases are not accepted (line %d)", k.Line)
		}
		if _, dup := out[k.Value]; dup {
			return nil, failure.Invalidf("answers file: key %s appears twice", failure.Quote(k.Value))
		}
		out[k.Value] = v
	}
	return out, nil
}
