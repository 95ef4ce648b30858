package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/suggest"
)

// ComponentNames returns every component name, sorted.
func (c *Catalog) ComponentNames() []string { return slices.Sorted(maps.Keys(c.components)) }

// BlueprintNames returns every blueprint name, sorted.
func (c *Catalog) BlueprintNames() []string { return slices.Sorted(maps.Keys(c.blueprints)) }

// Component returns the named component or an invalid-input error that
// suggests close names.
func (c *Catalog) Component(name string) (*Component, error) {
	if comp, ok, err := c.component(name); ok {
		return comp, err
	}
	return nil, failure.Invalidf("unknown component %s%s", failure.Quote(name), suggestion(name, c.ComponentNames()))
}

// Blueprint returns the named blueprint or an invalid-input error that
// suggests close names.
func (c *Catalog) Blueprint(name string) (*Blueprint, error) {
	if bp, ok := c.blueprints[name]; ok {
		return bp, nil
	}
	return nil, failure.Invalidf("unknown blueprint %s%s", failure.Quote(name), suggestion(name, c.BlueprintNames()))
}

// HasComponent reports whether the catalog has the named component.
func (c *Catalog) HasComponent(name string) bool { _, ok := c.components[name]; return ok }

// HasBlueprint reports whether the catalog has the named blueprint.
func (c *Catalog) HasBlueprint(name string) bool { _, ok := c.blueprints[name]; return ok }

// Questions merges the questions of components, in the order they are asked:
// section by section in the catalog's order, and within a section in the
// components' order. A question asked by several components appears once,
// declared by the first; the others' rules apply too. Defaults and
// conditions may therefore refer to questions of the same or an earlier
// section.
func (c *Catalog) Questions(components []string) ([]answers.Asked, error) {
	out, err := c.declaredQuestions(components)
	if err != nil {
		return nil, err
	}
	rank := make(map[string]int, len(c.Sections))
	for i, s := range c.Sections {
		rank[s.Name] = i
	}
	slices.SortStableFunc(out, func(a, b answers.Asked) int { return rank[a.Section] - rank[b.Section] })
	return out, nil
}

// declaredQuestions merges the questions of components in declaration order.
func (c *Catalog) declaredQuestions(components []string) ([]answers.Asked, error) {
	var out []answers.Asked
	seen := map[string]bool{}
	for _, name := range components {
		comp, err := c.Component(name)
		if err != nil {
			return nil, err
		}
		for _, q := range comp.Questions {
			if !seen[q.Name] {
				seen[q.Name] = true
				out = append(out, answers.Asked{Question: q})
			}
		}
	}
	return out, nil
}

// Controls returns the sorted union of control IDs of components, whatever
// their conditions: what the components can implement (see render.Controls
// for what a set of answers does implement).
func (c *Catalog) Controls(components []string) []string {
	seen := map[string]bool{}
	var ids []string
	for _, name := range components {
		comp, ok, err := c.component(name)
		if !ok || err != nil {
			continue // an embedded component fails to load only if its test failed
		}
		for _, c := range comp.Controls {
			if !seen[c.ID] {
				seen[c.ID] = true
				ids = append(ids, c.ID)
			}
		}
	}
	c.Registry.Sort(ids)
	return ids
}

// AppliedControls completes the controls the components implement with a
// project's answers (render.AppliedControls evaluates each control's
// condition) with those secgen itself implements while generating (for
// example SEC-02: it took no secret), in registry order.
func (c *Catalog) AppliedControls(implemented []string) []string {
	ids := slices.Clone(implemented)
	for _, ctl := range c.Registry.All() {
		if ctl.Secgen && !slices.Contains(ids, ctl.ID) {
			ids = append(ids, ctl.ID)
		}
	}
	c.Registry.Sort(ids)
	return ids
}

// PinFor returns the pinned reference for an action: exact rows first, then
// the row of the action's repository (sub-actions share its commit).
func (c *Catalog) PinFor(action string) (Pin, error) {
	if p, ok := c.Pins[action]; ok {
		return p, nil
	}
	parts := strings.SplitN(action, "/", 3)
	if len(parts) == 3 {
		if p, ok := c.Pins[parts[0]+"/"+parts[1]]; ok {
			return Pin{Action: action, Tag: p.Tag, Commit: p.Commit}, nil
		}
	}
	return Pin{}, fmt.Errorf("action %s is not in the catalog's pins table", failure.Quote(action))
}

// suggestion returns ` (did you mean "x"?)` for names within a small edit
// distance, or the list of available names.
func suggestion(name string, names []string) string { return suggest.Phrase(name, names) }

func errorsIsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
