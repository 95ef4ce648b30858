package engine

import (
	"context"
	"slices"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/failure"
)

// Reviewer is shown what new or add is about to write, once every answer
// is known and the plan is decided, before anything is written: a
// terminal's review screen. The engine only hands it the plan's data; the
// front end draws it.
type Reviewer interface {
	// Review returns the verdict on p: write, or answer a section again.
	// An error (the user declined, or interrupted) ends the command with
	// nothing written.
	Review(ctx context.Context, p Pending) (Verdict, error)
}

// Pending is what a command is about to write.
type Pending struct {
	// Dir is the directory written: new's target, add's project root.
	Dir string
	// Blueprint is new's blueprint; Component add's component.
	Blueprint, Component string
	// Components are the project's components once written.
	Components []string
	// Answers are every answer; Origins, for the answers this run
	// resolved (new: all of them; add: the new questions), where each
	// came from, and Sections the section each of those belongs to.
	Answers  answers.Values
	Origins  map[string]answers.Origin
	Sections map[string]string
	// Placeholders are the placeholder defaults still in use.
	Placeholders []answers.Placeholder
	// Files is how many files writing creates, changes or removes, the
	// manifest included.
	Files int
}

// Verdict is a Reviewer's decision.
type Verdict struct {
	// Edit names the section to answer again; "" writes.
	Edit string
}

// pending is the Pending of a resolution: its origins, with the section
// of each resolved question.
func pending(dir string, components []string, qs []answers.Asked, r *answers.Resolution, files int) Pending {
	p := Pending{Dir: dir, Components: components, Answers: r.Values, Origins: r.Origins, Placeholders: r.Placeholders, Files: files, Sections: map[string]string{}}
	for _, q := range qs {
		if _, ok := r.Origins[q.Name]; ok {
			p.Sections[q.Name] = q.Section
		}
	}
	return p
}

// redo checks a verdict's section: one of the pending answers' sections.
func redo(v Verdict, p Pending, previous *answers.Resolution) (*answers.Redo, error) {
	sections := make([]string, 0, len(p.Sections))
	for _, s := range p.Sections {
		sections = append(sections, s)
	}
	if !slices.Contains(sections, v.Edit) {
		return nil, failure.Invalidf("no answer of this run is in section %s", failure.Quote(v.Edit))
	}
	return &answers.Redo{Previous: previous, Section: v.Edit}, nil
}
