// Package render turns components and validated answers into an in-memory
// plan. Templates are Go text/template with missingkey=error; they see only
// their answers and a fixed set of pure functions: no clock, randomness,
// environment, file system or network.
package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"text/template"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lazyre"
	"github.com/secgen/secgen/generator/plan"
)

// MaxFileSize bounds one rendered file.
const MaxFileSize = 16 << 20

// MaxTotalSize bounds everything one render produces.
const MaxTotalSize = 100 << 20

// Input is what a render needs.
type Input struct {
	Catalog *catalog.Catalog
	// Present are all components of the project (hasComponent sees these).
	Present []string
	// Render are the components whose files are rendered; nil means Present.
	Render []string
	// Answers are validated answers; they are not modified.
	Answers answers.Values
}

// Render renders the components' files and returns them unchecked and
// unsorted; plan.New checks and sorts them.
func Render(ctx context.Context, in Input) ([]plan.File, error) {
	names := in.Render
	if names == nil {
		names = in.Present
	}
	fm := funcs(in.Catalog, in.Present, in.Answers, false, "")
	var files []plan.File
	budget := MaxTotalSize
	for _, name := range names {
		comp, err := in.Catalog.Component(name)
		if err != nil {
			return nil, err
		}
		out, err := renderComponent(ctx, comp, newBase(fm), in.Answers, &budget)
		if err != nil {
			return nil, err
		}
		files = append(files, out...)
	}
	return files, nil
}

func renderComponent(ctx context.Context, comp *catalog.Component, fm *template.Template, data answers.Values, budget *int) ([]plan.File, error) {
	// Rule conditions are evaluated once per component, not once per file.
	include := make([]bool, len(comp.Rules))
	for i, r := range comp.Rules {
		include[i] = true
		if r.When == "" {
			continue
		}
		v, err := execute(fmt.Sprintf("%s/component.yaml files[%d].when", comp.Name, i), r.When, fm, data)
		if err != nil {
			return nil, err
		}
		switch strings.TrimSpace(v) {
		case "true":
		case "false":
			include[i] = false
		default:
			return nil, failure.Invalidf("%s/component.yaml: files[%d].when must yield true or false, got %s", comp.Name, i, failure.Quote(v))
		}
	}
	files := make([]plan.File, 0, len(comp.Sources))
	for _, src := range comp.Sources {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		mode, skip := plan.ModeFile, false
		var loop *catalog.FileRule // Load allows at most one foreach rule per source
		for i, r := range comp.Rules {
			if !r.Matches(src) {
				continue
			}
			if !include[i] {
				skip = true
			}
			if r.Executable {
				mode = plan.ModeExecutable
			}
			if r.Foreach != "" {
				loop = &comp.Rules[i]
			}
		}
		if skip {
			continue
		}
		name := comp.Name + "/files/" + src + ".tmpl"
		text, err := fs.ReadFile(comp.Files, src+".tmpl")
		if err != nil {
			return nil, fmt.Errorf("read template %s: %w", name, err)
		}
		if loop == nil {
			f, err := renderFile(comp.Name, name, src, string(text), mode, fm, data)
			if err != nil {
				return nil, err
			}
			f.Source = comp.Name + "/" + src
			if *budget -= len(f.Content); *budget < 0 {
				return nil, errTotalSize()
			}
			files = append(files, f)
			continue
		}
		items, err := foreachItems(comp.Name, *loop, data)
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			d := data.Clone()
			d[loop.As] = item
			f, err := renderFile(comp.Name, fmt.Sprintf("%s (%s=%q)", name, loop.As, item), src, string(text), mode, fm, d)
			if err != nil {
				return nil, err
			}
			f.Source = comp.Name + "/" + src + "\x00" + fmt.Sprint(item)
			if *budget -= len(f.Content); *budget < 0 {
				return nil, errTotalSize()
			}
			files = append(files, f)
		}
	}
	return files, nil
}

// renderFile renders one source's path (when it is a template) and body.
func renderFile(component, name, src, text string, mode fs.FileMode, fm *template.Template, data answers.Values) (plan.File, error) {
	outPath := src
	if strings.Contains(src, "{{") {
		p, err := execute(name+" (path)", src, fm, data)
		if err != nil {
			return plan.File{}, err
		}
		outPath = p
	}
	content, err := executeBytes(name, text, fm, data)
	if err != nil {
		return plan.File{}, err
	}
	return plan.File{Path: outPath, Mode: mode, Content: content, Component: component}, nil
}

// foreachItems returns the items of a foreach rule's list answer. Each item
// becomes part of a path, so it must be one path segment: the answer's own
// validation should already ensure that, and plan.New checks every path
// again after rendering.
func foreachItems(component string, r catalog.FileRule, data answers.Values) ([]string, error) {
	items, ok := data[r.Foreach].([]string)
	if !ok {
		return nil, fmt.Errorf("%s/component.yaml: foreach %s: the answer is not a list", component, r.Foreach)
	}
	for _, item := range items {
		if err := plan.CheckSegment(item); err != nil {
			return nil, failure.Invalidf("%s/component.yaml: foreach %s: item %s cannot name a file or directory: %w", component, r.Foreach, failure.Quote(item), err)
		}
	}
	return items, nil
}

// Expand renders a short template (a question's default) over answers, with
// targetName available. It is the only place targetName is defined.
func Expand(cat *catalog.Catalog, present []string, text string, data answers.Values, target string) (string, error) {
	return execute("default", text, newBase(funcs(cat, present, data, true, target)), data)
}

// Condition evaluates a question's when over the answers so far, with the
// same functions as defaults; it must yield true or false.
func Condition(cat *catalog.Catalog, present []string, text string, data answers.Values, target string) (bool, error) {
	v, err := Expand(cat, present, text, data, target)
	if err != nil {
		return false, err
	}
	switch strings.TrimSpace(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, failure.Invalidf("condition %s must yield true or false, got %s", failure.Quote(text), failure.Quote(v))
}

// newBase returns an empty template carrying the functions every template
// has and fm, the functions of one render (funcs). Templates made from it
// with New share the functions without copying them again; one base serves
// one component, so {{define}} names stay within it.
func newBase(fm template.FuncMap) *template.Template {
	t, _ := staticBase().Clone() // text/template's Clone returns no error
	return t.Funcs(fm)
}

// staticBase carries baseFuncs, built once per process: making sprig's map
// and text/template's check of each of its functions cost more than a
// question's default takes to render, and a run renders hundreds of them.
// It is never executed or changed, only cloned.
var staticBase = sync.OnceValue(func() *template.Template {
	return template.New("").Option("missingkey=error").Funcs(baseFuncs())
})

func execute(name, text string, base *template.Template, data answers.Values) (string, error) {
	b, err := executeBytes(name, text, base, data)
	return string(b), err
}

func executeBytes(name, text string, base *template.Template, data answers.Values) ([]byte, error) {
	t, err := base.New(name).Parse(text)
	if err != nil {
		return nil, failure.Invalidf("template %w", err)
	}
	if err := checkCalls(t); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := &limitWriter{buf: &buf, left: MaxFileSize}
	// Each execution gets its own copy of the answers, so no template
	// (for example through sprig's set) can change what another one sees.
	if err := t.Execute(w, map[string]any(data.Clone())); err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, failure.Invalidf("template %s renders more than %d bytes", name, MaxFileSize)
		}
		var inconsistent inconsistentAnswers
		if errors.As(err, &inconsistent) {
			return nil, failure.Invalidf("the answers do not fit together: %s", string(inconsistent))
		}
		return nil, failure.Invalidf("template %w", err)
	}
	return buf.Bytes(), nil
}

var errTooLarge = errors.New("rendered file too large")

func errTotalSize() error {
	return failure.Invalidf("the components render more than %d MiB in all; that is the limit", MaxTotalSize>>20)
}

type limitWriter struct {
	buf  *bytes.Buffer
	left int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		return 0, errTooLarge
	}
	w.left -= len(p)
	return w.buf.Write(p)
}

var dnsLabel = lazyre.New(`^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$`)

// funcs returns the functions of one render, those that read the project
// (components present, answers, registry, pins); newBase adds the pure
// base functions.
func funcs(cat *catalog.Catalog, present []string, data answers.Values, inDefault bool, target string) template.FuncMap {
	fm := make(template.FuncMap, 8)
	set := make(map[string]bool, len(present))
	for _, p := range present {
		set[p] = true
	}
	fm["hasComponent"] = func(name string) (bool, error) {
		if !cat.HasComponent(name) {
			return false, fmt.Errorf("hasComponent: unknown component %q", name)
		}
		return set[name], nil
	}
	fm["hasAnswer"] = func(name string) bool {
		_, ok := data[name]
		return ok
	}
	fm["controlTitle"] = func(id string) (string, error) {
		c, ok := cat.Registry.Lookup(id)
		if !ok {
			return "", fmt.Errorf("controlTitle: unknown control %q", id)
		}
		return c.Title, nil
	}
	// The catalog's identity and the controls the project applies, for
	// files that record provenance (the Backstage entity's annotations).
	fm["catalogID"] = func() string { return cat.ID }
	fm["catalogVersion"] = func() string { return cat.Version }
	fm["appliedControls"] = func() ([]string, error) {
		return AppliedControls(Input{Catalog: cat, Present: present, Answers: data})
	}
	fm["pin"] = func(action string) (string, error) {
		p, err := cat.PinFor(action)
		if err != nil {
			return "", err
		}
		return p.Action + "@" + p.Commit + " # " + p.Tag, nil
	}
	fm["targetName"] = func() (string, error) {
		if !inDefault {
			return "", errors.New("targetName is only available in question defaults")
		}
		if dnsLabel.MatchString(target) {
			return target, nil
		}
		return "", nil
	}
	return fm
}

// Controls returns the IDs of the controls that the components in
// in.Present implement with in.Answers: every control without a condition,
// and every control whose condition (its When, a template over the answers
// like a file rule's) yields true. IDs are in component order, each once.
func Controls(in Input) ([]string, error) {
	fm := funcs(in.Catalog, in.Present, in.Answers, false, "")
	// A condition decides whether its control applies, so it cannot ask
	// which controls apply.
	fm["appliedControls"] = func() ([]string, error) {
		return nil, errors.New("appliedControls is not available in a control's condition")
	}
	seen := map[string]bool{}
	var ids []string
	for _, name := range in.Present {
		comp, err := in.Catalog.Component(name)
		if err != nil {
			return nil, err
		}
		base := newBase(fm)
		for i, c := range comp.Controls {
			if seen[c.ID] {
				continue
			}
			ok, err := holds(base, in.Answers, comp.Name, fmt.Sprintf("controls[%d].when", i), c.When)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			seen[c.ID] = true
			ids = append(ids, c.ID)
		}
	}
	return ids, nil
}

// holds evaluates a component's when condition (field names where it is
// declared in component.yaml); an empty condition always holds, and one that
// yields anything but true or false is invalid input.
func holds(base *template.Template, data answers.Values, component, field, when string) (bool, error) {
	if when == "" {
		return true, nil
	}
	v, err := execute(component+"/component.yaml "+field, when, base, data)
	if err != nil {
		return false, err
	}
	switch strings.TrimSpace(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, failure.Invalidf("%s/component.yaml: %s must yield true or false, got %s", component, field, failure.Quote(v))
}

// DeployStep is a component's before_deploy step whose condition holds.
type DeployStep struct {
	catalog.DeployStep
	Component string
}

// BeforeDeploy returns the before_deploy steps of the present components
// whose conditions hold with the answers, in component order, their
// cluster and why texts rendered with the answers.
func BeforeDeploy(in Input) ([]DeployStep, error) {
	fm := funcs(in.Catalog, in.Present, in.Answers, false, "")
	var out []DeployStep
	for _, name := range in.Present {
		comp, err := in.Catalog.Component(name)
		if err != nil {
			return nil, err
		}
		base := newBase(fm)
		for i, d := range comp.BeforeDeploy {
			ok, err := holds(base, in.Answers, comp.Name, fmt.Sprintf("before_deploy[%d].when", i), d.When)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			// The texts may name answers ({{ .secret_store }}).
			for field, text := range map[string]*string{"cluster": &d.Cluster, "why": &d.Why} {
				if !strings.Contains(*text, "{{") {
					continue
				}
				v, err := execute(fmt.Sprintf("%s/component.yaml before_deploy[%d].%s", comp.Name, i, field), *text, base, in.Answers)
				if err != nil {
					return nil, err
				}
				*text = v
			}
			out = append(out, DeployStep{DeployStep: d, Component: comp.Name})
		}
	}
	return out, nil
}

// AppliedControls returns what a project with these components and answers
// applies: Controls plus the controls secgen itself implements while
// generating, in registry order. The manifest records it, and the template
// function appliedControls returns it.
func AppliedControls(in Input) ([]string, error) {
	ids, err := Controls(in)
	if err != nil {
		return nil, err
	}
	return in.Catalog.AppliedControls(ids), nil
}
