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
	// Gate asks "Customize TITLE settings?", showing the defaults a No
	// keeps; false takes them.
	Gate(ctx context.Context, g Gate) (bool, error)
}

// Gate is what a Gater shows for one section: its title and what
// declining to customize it keeps.
type Gate struct {
	Title string
	// Keeps are the section's questions still to be answered, in order,
	// each with the default a No keeps (given answers are not listed).
	Keeps []Kept
}

// Kept is one question of a gated section and what declining keeps.
type Kept struct {
	Name    string
	Message string
	// Value is the default's textual form; "" with Asked.
	Value string
	// Placeholder marks a default that only stands in for a real value.
	Placeholder bool
	// Asked is true for a required question without a usable default:
	// it is asked even when the section keeps its defaults.
	Asked bool
}

// Origin says where an answer came from.
type Origin string

// The origins of answers.
const (
	// FromGiven is an answer given by --set or an answers file.
	FromGiven Origin = "given"
	// FromPrompt is an answer the user was asked for (Enter on a shown
	// default included).
	FromPrompt Origin = "prompt"
	// FromDefault is a default taken without asking: input is off, or
	// the section's gate kept its defaults.
	FromDefault Origin = "default"
)

// Redo asks Resolve to answer one section again after an earlier
// resolution, as a review's "edit" does: the questions of Section are
// asked with the earlier answers as their defaults; every other answer
// the user gave is kept, every default taken without asking is computed
// again (it may follow an edited answer), and a question that becomes
// active is asked or defaulted as its section's gate decided.
type Redo struct {
	Previous *Resolution
	Section  string
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
	// Redo, when set with a Prompter, answers one section again.
	Redo *Redo
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
	// Origins says, for each question resolved (Known answers excluded),
	// where its answer came from.
	Origins map[string]Origin
	// first is the section asked without a gate, and gated the gates'
	// decisions, for a Redo.
	first string
	gated map[string]bool
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

	res := &Resolution{Values: src.Known.Clone(), Origins: map[string]Origin{}}
	out := res.Values
	var missing []string
	var placeholders []Placeholder // placeholder defaults; kept if the answer stays the default
	g := newGates(src)
	for i, q := range qs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		active, err := isActive(q, src, out)
		if err != nil {
			return nil, err
		}
		if !active {
			if from, ok := origin[q.Name]; ok {
				why := " answers a question that is not asked here, because its condition " + q.When + " is false"
				if from == failure.FieldSet {
					problems = append(problems, failure.Says(failure.FieldSet, " "+q.Name+why))
				} else {
					problems = append(problems, failure.Invalidf("the answers file's %s%s", q.Name, why))
				}
				if src.Prompter != nil {
					return nil, problemsError(problems)
				}
			}
			continue
		}
		v, isGiven := given[q.Name]
		if isGiven && !q.Placeholder {
			// Its default would only be rendered to be dropped.
			out[q.Name], res.Origins[q.Name] = v, FromGiven
			continue
		}
		def, hasDef, defErr := defaultValue(q, src, out)
		usable := hasDef && defErr == nil
		if usable && q.Placeholder {
			placeholders = append(placeholders, Placeholder{Name: q.Name, Value: FormatText(def), Reason: q.PlaceholderReason})
		}
		if isGiven {
			out[q.Name], res.Origins[q.Name] = v, FromGiven
			continue
		}
		if src.Prompter != nil {
			v, from, err := g.resolve(ctx, qs, i, out, given, def, hasDef, defErr)
			if err != nil {
				return nil, err
			}
			out[q.Name], res.Origins[q.Name] = v, from
			continue
		}
		res.Origins[q.Name] = FromDefault
		switch {
		case defErr != nil:
			return nil, failure.Invalid(&failure.Hint{Err: fmt.Errorf("the default of %q is not valid (%w)", q.Name, defErr), Ways: []failure.Way{{Field: failure.FieldSet, Example: q.Name + "=VALUE"}}})
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
		return nil, failure.Invalid(&failure.Hint{Err: fmt.Errorf("missing required answers: %s", strings.Join(missing, ", ")), Plural: true,
			Ways: []failure.Way{{Field: failure.FieldSet, Example: "KEY=VALUE"}, {Field: failure.FieldAnswersFile, Example: "FILE"}}})
	}
	for _, p := range placeholders {
		if v, ok := out[p.Name]; ok && FormatText(v) == p.Value {
			res.Placeholders = append(res.Placeholders, p)
		}
	}
	res.first, res.gated = g.first, g.decided
	return res, nil
}

// collectGiven parses and validates the answers given by --set and the
// answers file, and says where each came from. Every problem is collected,
// so that they can be reported together.
func collectGiven(qs []Asked, src Sources) (given Values, origin map[string]failure.Field, problems []error) {
	byName := make(map[string]Asked, len(qs))
	for _, q := range qs {
		byName[q.Name] = q
	}
	given, origin = Values{}, map[string]failure.Field{}
	for _, kv := range src.Set {
		key, text, ok := strings.Cut(kv, "=")
		if !ok {
			problems = append(problems, &failure.FieldError{Field: failure.FieldSet, Value: kv, Reason: "must have the form KEY=VALUE"})
			continue
		}
		q, err := lookup(byName, key)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		if _, dup := given[key]; dup {
			problems = append(problems, &failure.FieldError{Field: failure.FieldSet, Value: key, Reason: "is given more than once"})
			continue
		}
		v, err := ParseText(q.Question, text)
		if err == nil {
			err = q.Check(v)
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("answer %q: %w", key, err))
			continue
		}
		given[key], origin[key] = v, failure.FieldSet
	}
	for _, key := range slices.Sorted(maps.Keys(src.File)) {
		q, err := lookup(byName, key)
		if err != nil {
			problems = append(problems, fmt.Errorf("answers file: %w", err))
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
			problems = append(problems, fmt.Errorf("answers file: answer %q: %w", key, err))
			continue
		}
		given[key], origin[key] = v, failure.FieldAnswersFile
	}
	return given, origin, problems
}

func problemsError(problems []error) error {
	switch len(problems) {
	case 0:
		return nil
	case 1:
		return failure.Invalid(problems[0])
	}
	return failure.Invalid(problemList(problems))
}

// problemList is several invalid answers reported together; each stays in
// the chain, so a front end can render every field error in its words.
type problemList []error

func (l problemList) Error() string {
	texts := make([]string, len(l))
	for i, e := range l {
		texts[i] = e.Error()
	}
	return fmt.Sprintf("%d invalid answers: %s", len(l), strings.Join(texts, "; "))
}

func (l problemList) Unwrap() []error { return l }

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
	redo    *Redo
}

func newGates(src Sources) *gates {
	g := &gates{src: src, decided: map[string]bool{}}
	if r := src.Redo; r != nil && r.Previous != nil {
		g.redo = r
		g.first, g.started = r.Previous.first, r.Previous.started()
		for s, yes := range r.Previous.gated {
			g.decided[s] = yes
		}
		// The section answered again is asked in full.
		g.decided[r.Section] = true
	}
	return g
}

// started reports whether the resolution prompted anything.
func (r *Resolution) started() bool { return r.first != "" || len(r.gated) > 0 }

// resolve answers qs[i], which was not given, with input on: kept from a
// redo's earlier resolution, defaulted behind its section's gate, or asked.
func (g *gates) resolve(ctx context.Context, qs []Asked, i int, sofar, given Values, def any, hasDef bool, defErr error) (any, Origin, error) {
	q := qs[i]
	usable := hasDef && defErr == nil
	if r := g.redo; r != nil {
		prev, had := r.Previous.Values[q.Name]
		switch {
		case q.Section == r.Section && had:
			// Answered again, with the current answer as the default.
			def, usable = prev, true
		case q.Section != r.Section && had && r.Previous.Origins[q.Name] == FromPrompt:
			return prev, FromPrompt, nil
		}
	}
	customize, err := g.customize(ctx, qs, i, sofar, given)
	if err != nil {
		return nil, "", err
	}
	switch {
	case !customize && usable:
		return def, FromDefault, nil
	case !customize && !hasDef && !q.Required:
		return zero(q.Type), FromDefault, nil
	}
	v, err := ask(ctx, q, g.src.Prompter, def, usable)
	if err != nil {
		return nil, "", err
	}
	return v, FromPrompt, nil
}

func (g *gates) customize(ctx context.Context, qs []Asked, i int, sofar, given Values) (bool, error) {
	section := qs[i].Section
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
	gate := Gate{Title: g.src.SectionTitle(section), Keeps: keeps(qs[i:], section, g.src, sofar, given)}
	yes, err := gater.Gate(ctx, gate)
	if err != nil {
		return false, fmt.Errorf("ask about section %s: %w", section, err)
	}
	g.decided[section] = yes
	return yes, nil
}

// keeps is what declining a section's gate keeps: for each of its
// questions in qs that is active and not given, the default (computed over
// the answers so far and the defaults before it, as declining computes
// them), or that it is asked anyway. A question whose condition or default
// cannot be evaluated yet is left out.
func keeps(qs []Asked, section string, src Sources, sofar, given Values) []Kept {
	sim := sofar.Clone()
	var out []Kept
	for _, q := range qs {
		if q.Section != section {
			continue
		}
		if active, err := isActive(q, src, sim); err != nil || !active {
			continue
		}
		if v, ok := given[q.Name]; ok {
			sim[q.Name] = v
			continue
		}
		def, hasDef, defErr := defaultValue(q, src, sim)
		k := Kept{Name: q.Name, Message: q.Prompt}
		switch {
		case hasDef && defErr == nil:
			k.Value, k.Placeholder = FormatText(def), q.Placeholder
			sim[q.Name] = def
		case !hasDef && !q.Required:
			sim[q.Name] = zero(q.Type)
		default:
			k.Asked = true
		}
		out = append(out, k)
	}
	return out
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
