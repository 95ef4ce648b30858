package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/secgen/secgen/cmd/secgen/internal/prompt"
	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/engine"
)

// reviewUI is a prompter that can show the review before writing (the
// survey one does).
type reviewUI interface {
	Review(ctx context.Context, r prompt.Review) (string, error)
}

// reviewer lays out the review of what new or add is about to write, from
// the plan data the engine hands it, and asks the terminal for the
// verdict.
type reviewer struct {
	cat *catalog.Catalog
	ui  reviewUI
}

// reviewerFor returns the review of a command that prompts, or nil when
// the prompter cannot show one.
func reviewerFor(streams *IO, cat *catalog.Catalog) engine.Reviewer {
	ui, ok := streams.Prompter.(reviewUI)
	if !ok {
		return nil
	}
	return reviewer{cat: cat, ui: ui}
}

// Review implements engine.Reviewer.
func (r reviewer) Review(ctx context.Context, p engine.Pending) (engine.Verdict, error) {
	text, sections, err := reviewText(r.cat, p)
	if err != nil {
		return engine.Verdict{}, err
	}
	section, err := r.ui.Review(ctx, prompt.Review{Text: text, Files: p.Files, Dir: p.Dir, Sections: sections})
	if err != nil {
		return engine.Verdict{}, err
	}
	return engine.Verdict{Edit: section}, nil
}

// reviewWidth is where the review wraps a section's answers.
const reviewWidth = 100

// reviewText lays out the answers p resolved, one block per section in the
// catalog's order: each answer as KEY=VALUE, a placeholder marked with *,
// one given by --set or the answers file with (given) after its section's
// list. It returns the sections that can be answered again: those with an
// answer that was asked or defaulted.
func reviewText(cat *catalog.Catalog, p engine.Pending) (string, []prompt.Section, error) {
	qs, err := cat.Questions(p.Components)
	if err != nil {
		return "", nil, err
	}
	placeholder := map[string]bool{}
	for _, ph := range p.Placeholders {
		placeholder[ph.Name] = true
	}
	var b strings.Builder
	switch {
	case p.Component != "":
		fmt.Fprintf(&b, "\nReview: add component %s to %s (nothing is written yet)\n", p.Component, p.Dir)
	default:
		fmt.Fprintf(&b, "\nReview: blueprint %s into %s (nothing is written yet)\n", p.Blueprint, p.Dir)
	}
	width := 0
	for _, s := range cat.Sections {
		width = max(width, len(s.Title))
	}
	var editable []prompt.Section
	marked := false
	for _, s := range cat.Sections {
		var items []string
		canEdit, allDefault := false, true
		for _, q := range qs {
			from, ok := p.Origins[q.Name]
			if q.Section != s.Name || !ok {
				continue
			}
			v, active := p.Answers[q.Name]
			if !active {
				continue
			}
			item := q.Name + "=" + prompt.Shown(answers.FormatText(v))
			if placeholder[q.Name] {
				item += "*"
				marked = true
			}
			if from == answers.FromGiven {
				item += " (given)"
			} else {
				canEdit = true
			}
			allDefault = allDefault && from == answers.FromDefault
			items = append(items, item)
		}
		if len(items) == 0 {
			continue
		}
		title := prompt.Printable(s.Title)
		if allDefault {
			title += " (defaults)"
		}
		writeWrapped(&b, fmt.Sprintf("  %-*s  ", width+len(" (defaults)"), title), items)
		if canEdit {
			editable = append(editable, prompt.Section{Name: s.Name, Title: s.Title})
		}
	}
	if len(editable) == 0 && p.Component != "" {
		fmt.Fprintf(&b, "  component %s asks no new question\n", p.Component)
	}
	if marked {
		b.WriteString("  * a placeholder: it stands in for a real value; replace it before you deploy (secgen check lists it)\n")
	}
	return b.String(), editable, nil
}

// writeWrapped writes items after lead, two spaces apart, wrapping at
// reviewWidth with continuation lines indented as far as lead.
func writeWrapped(b *strings.Builder, lead string, items []string) {
	indent := strings.Repeat(" ", len(lead))
	line := lead
	for i, it := range items {
		if i > 0 && len(line)+2+len(it) > reviewWidth {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		} else if i > 0 {
			line += "  "
		}
		line += it
	}
	b.WriteString(line + "\n")
}
