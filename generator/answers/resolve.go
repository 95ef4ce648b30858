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
	"github.com/secgen/secgen/generator/suggest"
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
	Rule      string // the validation rule in words (Question.Describe)
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

// Gater is a Prompter that can also ask whether to customize a section.
// When the Prompter is not a Gater, every question is asked.
type Gater interface {
	// Gate asks "Customize TITLE settings?"; false takes the section's
	// defaults.
	Gate(ctx context.Context, title string) (bool, error)
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
	// Condition evaluates a question's when over the answers so far; nil
	// treats every condition as an error.
	Condition func(text string, sofar Values) (bool, error)
	// SectionTitle returns the title of a section for its gate; nil means
	// no gates.
	SectionTitle func(section string) string
}

// Placeholder is a placeholder default still in use after resolving.
type Placeholder struct {
	Name   string
	Value  string // textual form, as FormatText gives it
	Reason string
}

// Resolution is what Resolve found: the answers and the placeholder
// defaults among them.
type Resolution struct {
	Values       Values
	Placeholders []Placeholder
}

// maxPromptAttempts bounds how often an invalid entry is re-asked.
const maxPromptAttempts = 5

// Resolve collects and validates an answer for every active question, in
// order. All returned errors about the user's input are classified invalid
// input.
func Resolve(ctx context.Context, qs []Asked, src Sources) (Values, error) {
	r, err := ResolveAll(ctx, qs, src)
	if err != nil {
		return nil, err
	}
	return r.Values, nil
}

// ResolveAll is Resolve that also reports the placeholders in use. Every
// invalid --set value and answers-file entry is reported in one error.
func ResolveAll(ctx context.Context, qs []Asked, src Sources) (*Resolution, error) {
	given, origin, problems := collectGiven(qs, src)
	if err := problemsError(problems); err != nil {
		return nil, err
	}

	res := &Resolution{Values: src.Known.Clone()}
	out := res.Values
	var missing []string
	var placeholders []Placeholder // placeholder defaults; kept if the answer stays the default
	g := gates{src: src, decided: map[string]bool{}}
	for _, q := range qs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		active, err := isActive(q, src, out)
		if err != nil {
			return nil, err
		}
		if !active {
			if from, ok := origin[q.Name]; ok {
				problems = append(problems, fmt.Sprintf("%s answers a question that is not asked here, because its condition %s is false", from, q.When))
				if src.Prompter != nil {
					return nil, problemsError(problems)
				}
			}
			continue
		}
		def, hasDef, defErr := defaultValue(q, src, out)
		usable := hasDef && defErr == nil
		if usable && q.Placeholder {
			placeholders = append(placeholders, Placeholder{Name: q.Name, Value: FormatText(def), Reason: q.PlaceholderReason})
		}
		if v, ok := given[q.Name]; ok {
			out[q.Name] = v
			continue
		}
		if src.Prompter != nil {
			customize, err := g.customize(ctx, q.Section)
			if err != nil {
				return nil, err
			}
			switch {
			case !customize && usable:
				out[q.Name] = def
			case !customize && !hasDef && !q.Required:
				out[q.Name] = zero(q.Type)
			default:
				v, err := ask(ctx, q, src.Prompter, def, usable)
				if err != nil {
					return nil, err
				}
				out[q.Name] = v
			}
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
	if err := problemsError(problems); err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, failure.Invalidf("missing required answers: %s (give them with --set KEY=VALUE or --answers FILE)", strings.Join(missing, ", "))
	}
	for _, p := range placeholders {
		if v, ok := out[p.Name]; ok && FormatText(v) == p.Value {
			res.Placeholders = append(res.Placeholders, p)
		}
	}
	return res, nil
}

// collectGiven parses and validates the answers given by --set and the
// answers file, and says where each came from. Every problem is collected,
// so that they can be reported together.
func collectGiven(qs []Asked, src Sources) (given Values, origin map[string]string, problems []string) {
	byName := make(map[string]Asked, len(qs))
	for _, q := range qs {
		byName[q.Name] = q
	}
	given, origin = Values{}, map[string]string{}
	for _, kv := range src.Set {
		key, text, ok := strings.Cut(kv, "=")
		if !ok {
			problems = append(problems, fmt.Sprintf("--set %s must have the form KEY=VALUE", failure.Quote(kv)))
			continue
		}
		q, err := lookup(byName, key)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if _, dup := given[key]; dup {
			problems = append(problems, fmt.Sprintf("--set gives %q more than once", key))
			continue
		}
		v, err := ParseText(q.Question, text)
		if err == nil {
			err = q.Check(v)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("answer %q: %v", key, err))
			continue
		}
		given[key], origin[key] = v, "--set "+key
	}
	for _, key := range slices.Sorted(maps.Keys(src.File)) {
		q, err := lookup(byName, key)
		if err != nil {
			problems = append(problems, "answers file: "+err.Error())
			continue
		}
		if _, fromFlag := origin[key]; fromFlag {
			continue // --set is more specific than the file
		}
		v, err := ParseNode(q.Question, src.File[key])
		if err == nil {
			err = q.Check(v)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("answers file: answer %q: %v", key, err))
			continue
		}
		given[key], origin[key] = v, "the answers file's "+key
	}
	return given, origin, problems
}

func problemsError(problems []string) error {
	switch len(problems) {
	case 0:
		return nil
	case 1:
		return failure.Invalidf("%s", problems[0])
	}
	return failure.Invalidf("%d invalid answers: %s", len(problems), strings.Join(problems, "; "))
}

// isActive evaluates a question's condition over the answers so far.
func isActive(q Asked, src Sources, sofar Values) (bool, error) {
	if q.When == "" {
		return true, nil
	}
	if src.Condition == nil {
		return false, fmt.Errorf("question %q: conditions cannot be evaluated here", q.Name)
	}
	ok, err := src.Condition(q.When, sofar)
	if err != nil {
		return false, fmt.Errorf("question %q: when: %w", q.Name, err)
	}
	return ok, nil
}

// gates asks, once per section, whether to customize it. The section of
// the first question prompted has no gate.
type gates struct {
	src     Sources
	first   string
	started bool
	decided map[string]bool
}

func (g *gates) customize(ctx context.Context, section string) (bool, error) {
	if !g.started {
		g.started, g.first = true, section
	}
	gater, ok := g.src.Prompter.(Gater)
	if !ok || g.src.SectionTitle == nil || section == g.first {
		return true, nil
	}
	if yes, done := g.decided[section]; done {
		return yes, nil
	}
	yes, err := gater.Gate(ctx, g.src.SectionTitle(section))
	if err != nil {
		return false, fmt.Errorf("ask about section %s: %w", section, err)
	}
	g.decided[section] = yes
	return yes, nil
}

func lookup(byName map[string]Asked, key string) (Asked, error) {
	q, ok := byName[key]
	if !ok {
		names := make([]string, 0, len(byName))
		for n := range byName {
			names = append(names, n)
		}
		sort.Strings(names)
		if c := suggest.Closest(key, names); len(c) > 0 {
			return Asked{}, failure.Invalidf("unknown answer key %s%s", failure.Quote(key), suggest.Phrase(key, names))
		}
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
		Rule:      q.Describe(),
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
		if !q.Multiline {
			text = strings.TrimSpace(text)
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

// manifestAnswers returns the answers mapping of a document that is a
// secgen manifest: it has the manifest's schema, secgen_version and answers
// keys, with answers a mapping.
func manifestAnswers(m *yaml.Node) (*yaml.Node, bool) {
	var answers *yaml.Node
	seen := 0
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch k, v := m.Content[i], m.Content[i+1]; k.Value {
		case "schema", "secgen_version":
			seen++
		case "answers":
			if v.Kind == yaml.MappingNode {
				answers = v
				seen++
			}
		}
	}
	return answers, seen == 3
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
// values, or another project's manifest (.secgen.yaml), whose answers
// section is read. Anchors, aliases, duplicate keys and non-string keys are
// refused.
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
	if a, ok := manifestAnswers(m); ok {
		m = a
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
