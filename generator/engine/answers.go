package engine

import (
	"context"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
)

// answerInput is what a project command knows about answers.
type answerInput struct {
	Set         []string
	AnswersFile []byte
	Prompter    answers.Prompter
	// Change lets Set and AnswersFile change recorded answers (update).
	Change bool
	// notices, when set, collects what the user should be told.
	notices *[]string
	// redo answers a section of the new questions again (add's review).
	redo *answers.Redo
	// resolved, when set, receives the resolution of the new questions.
	resolved *answers.Resolution
}

// asksAnywhere reports whether any component of the catalog asks question
// name.
func (e *Engine) asksAnywhere(name string) bool {
	qs, err := e.Catalog.Questions(e.Catalog.ComponentNames())
	if err != nil {
		return true // keep what cannot be judged
	}
	return slices.ContainsFunc(qs, func(q answers.Asked) bool { return q.Name == name })
}

// projectAnswers parses the recorded answers against the questions of
// components and asks (or defaults) only the questions not answered yet.
// It returns the values of those questions, for rendering, and every
// recorded answer, for the manifest (answers of questions no present
// component asks, such as those init recorded, are kept as they are).
func (e *Engine) projectAnswers(ctx context.Context, root string, m *manifest.Manifest, components []string, in answerInput) (values answers.Values, all map[string]any, err error) {
	questions, err := e.Catalog.Questions(components)
	if err != nil {
		return nil, nil, err
	}
	stored, err := m.AnswerNodes()
	if err != nil {
		return nil, nil, err
	}
	st, err := recordedState(questions, stored)
	if err != nil {
		return nil, nil, err
	}
	set, err := st.takeSet(in)
	if err != nil {
		return nil, nil, err
	}
	file, err := st.takeFile(in)
	if err != nil {
		return nil, nil, err
	}
	r, err := answers.ResolveAll(ctx, st.ask, e.answerSources(root, m, components, st, set, file, in))
	if err != nil {
		return nil, nil, err
	}
	values = r.Values
	if in.resolved != nil {
		*in.resolved = *r
	}
	if in.notices != nil && in.Prompter == nil {
		if fresh := st.defaulted(values, stored, set, file); len(fresh) > 0 {
			*in.notices = append(*in.notices, "the catalog asks new question(s), answered with their defaults: "+strings.Join(fresh, ", "))
		}
	}
	all, dropped, err := e.carryRecorded(stored, st.asked, values, in.Change)
	if err != nil {
		return nil, nil, err
	}
	if len(dropped) > 0 && in.notices != nil {
		*in.notices = append(*in.notices, "recorded answer(s) no question of the catalog asks any more were dropped: "+strings.Join(dropped, ", "))
	}
	return values, all, nil
}

// answerSources are where projectAnswers takes each answer from: the
// recorded answers that stand, --set, the answers file, the prompter, the
// blueprint's defaults, then the questions' own.
func (e *Engine) answerSources(root string, m *manifest.Manifest, components []string, st *answerState, set []string, file map[string]*yaml.Node, in answerInput) answers.Sources {
	src := e.sources(components, filepath.Base(root))
	src.Known, src.Set, src.File, src.Prompter, src.Redo = st.known, set, file, in.Prompter, in.redo
	if bp, err := e.Catalog.Blueprint(m.Blueprint); m.Blueprint != "" && err == nil {
		src.Defaults = nodes(bp.Defaults)
	}
	return src
}

// answerState is what projectAnswers knows before it asks: the recorded
// answers that stand (known), the questions still to ask, and every
// question of the components by name.
type answerState struct {
	known answers.Values
	ask   []answers.Asked
	asked map[string]answers.Asked
}

// recordedState parses each recorded answer against its question; the
// questions without one are to be asked.
func recordedState(questions []answers.Asked, stored map[string]*yaml.Node) (*answerState, error) {
	st := &answerState{known: answers.Values{}, asked: map[string]answers.Asked{}}
	for _, q := range questions {
		st.asked[q.Name] = q
		n, ok := stored[q.Name]
		if !ok {
			st.ask = append(st.ask, q)
			continue
		}
		v, err := answers.ParseNode(q.Question, n)
		if err == nil {
			err = q.Check(v)
		}
		if err != nil {
			return nil, failure.Invalidf("%s: recorded answer %q: %w", manifest.FileName, q.Name, err)
		}
		st.known[q.Name] = v
	}
	return st, nil
}

// reopen makes a recorded answer a question again, to be answered anew.
func (st *answerState) reopen(key string) {
	delete(st.known, key)
	st.ask = append(st.ask, st.asked[key])
}

// takeSet returns the KEY=VALUE answers to resolve. Recorded answers stand
// for add: a --set may repeat one, never change it. Update may change them
// (in.Change): the new value is validated as in new.
func (st *answerState) takeSet(in answerInput) ([]string, error) {
	var set []string
	for _, kv := range in.Set {
		key, text, _ := strings.Cut(kv, "=")
		if v, ok := st.known[key]; ok {
			if answers.FormatText(v) == text {
				continue
			}
			if !in.Change {
				return nil, failure.Invalidf("answer %q is recorded in %s as %s; add does not change recorded answers (update does)", key, manifest.FileName, failure.Quote(answers.FormatText(v)))
			}
			st.reopen(key)
		}
		set = append(set, kv)
	}
	return set, nil
}

// takeFile parses the answers file. An answer it gives for a recorded one
// replaces it for update, and is ignored by add (often the file is the one
// new used).
func (st *answerState) takeFile(in answerInput) (map[string]*yaml.Node, error) {
	if in.AnswersFile == nil {
		return nil, nil
	}
	file, err := answers.ParseFile(in.AnswersFile)
	if err != nil {
		return nil, err
	}
	for k := range file {
		if _, ok := st.known[k]; !ok {
			continue
		}
		if in.Change {
			st.reopen(k)
		} else {
			delete(file, k)
		}
	}
	return file, nil
}

// defaulted lists the questions the catalog added that took their default:
// asked (active), not recorded, and given neither by --set nor the file.
func (st *answerState) defaulted(values answers.Values, stored map[string]*yaml.Node, set []string, file map[string]*yaml.Node) []string {
	var fresh []string
	for _, q := range st.ask {
		_, active := values[q.Name]
		_, recorded := stored[q.Name]
		given := file[q.Name] != nil || slices.ContainsFunc(set, func(kv string) bool { return strings.HasPrefix(kv, q.Name+"=") })
		if active && !recorded && !given {
			fresh = append(fresh, q.Name)
		}
	}
	return fresh
}

// carryRecorded is every answer for the manifest: values, and the recorded
// answers of questions no present component asks (those init recorded).
// With change (update), answers no question of the catalog asks any more
// are dropped and listed.
func (e *Engine) carryRecorded(stored map[string]*yaml.Node, asked map[string]answers.Asked, values answers.Values, change bool) (map[string]any, []string, error) {
	all := map[string]any{}
	var dropped []string
	for k, n := range stored {
		if _, ok := asked[k]; ok {
			continue
		}
		if change && !e.asksAnywhere(k) {
			dropped = append(dropped, k)
			continue
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, nil, failure.Invalidf("%s: recorded answer %q: %w", manifest.FileName, k, err)
		}
		all[k] = v
	}
	for k, v := range values {
		all[k] = v
	}
	sort.Strings(dropped)
	return all, dropped, nil
}
