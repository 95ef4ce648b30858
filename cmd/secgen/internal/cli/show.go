package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/project"
)

// ShowOptions are the inputs of `secgen show`.
type ShowOptions struct {
	Name   string
	Output string
	Source SourceOptions
}

func newShowCmd(streams *IO, runF func(context.Context, *ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{}
	cmd := &cobra.Command{
		Use:   "show [CATALOG/]NAME",
		Short: "Show a blueprint or component: questions, files and controls",
		Example: "  secgen show go-service\n" +
			"  secgen show k8s -o json\n" +
			"  secgen show acme/go-service",
		Args: argsBetween(1, 1, "secgen show [CATALOG/]NAME [--catalog SOURCE] [--output json]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runShow(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output format: text or json")
	registerCompletions(cmd, nil, "text", "json")
	opts.Source.register(cmd.Flags())
	return cmd
}

type showDoc struct {
	Blueprint *showBlueprint `json:"blueprint,omitempty"`
	Component *showComponent `json:"component,omitempty"`
}

type showBlueprint struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Components  []string       `json:"components"`
	Questions   []questionJSON `json:"questions"`
	Controls    []controlJSON  `json:"controls"`
}

type showComponent struct {
	Name        string         `json:"name"`
	Version     string         `json:"version"`
	Description string         `json:"description"`
	Requires    []string       `json:"requires,omitempty"`
	Questions   []questionJSON `json:"questions"`
	Files       []string       `json:"files"`
	Controls    []controlJSON  `json:"controls"`
}

type questionJSON struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	Prompt     string   `json:"prompt"`
	Help       string   `json:"help,omitempty"`
	Required   bool     `json:"required"`
	Default    any      `json:"default,omitempty"`
	Choices    []string `json:"choices,omitempty"`
	Validation string   `json:"validation,omitempty"`
	Rules      any      `json:"rules,omitempty"`
	Section    string   `json:"section"`
	// When is the condition under which the question is asked; "" is always.
	When string `json:"when,omitempty"`
	// Placeholder is why the default is a placeholder; "" when it is not.
	Placeholder string `json:"placeholder,omitempty"`
}

type controlJSON struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// When is the condition over the answers under which a component
	// implements the control; empty when it always does.
	When string `json:"when,omitempty"`
}

func runShow(ctx context.Context, streams *IO, opts *ShowOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	l, name, err := showCatalog(ctx, opts)
	if err != nil {
		return err
	}
	doc, err := showDocument(l.Catalog, name)
	if err != nil {
		return err
	}
	if opts.Output == "json" {
		return writeJSON(streams.Out, doc)
	}
	w := streams.Out
	if b := doc.Blueprint; b != nil {
		fmt.Fprintf(w, "Blueprint %s\n  %s\n\nComponents: %s\n", b.Name, b.Description, strings.Join(b.Components, ", "))
		printQuestions(w, b.Questions)
		printControls(w, b.Controls)
	}
	if c := doc.Component; c != nil {
		if doc.Blueprint != nil {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Component %s %s\n  %s\n", c.Name, c.Version, c.Description)
		if len(c.Requires) > 0 {
			fmt.Fprintf(w, "\nRequires: %s\n", strings.Join(c.Requires, ", "))
		}
		printQuestions(w, c.Questions)
		fmt.Fprintf(w, "\nFiles (%d templates):\n", len(c.Files))
		for _, f := range c.Files {
			fmt.Fprintf(w, "  %s\n", f)
		}
		printControls(w, c.Controls)
	}
	return nil
}

// showDocument describes the blueprint and/or component of a catalog named
// name: its questions, template files and controls.
func showDocument(cat *catalog.Catalog, name string) (showDoc, error) {
	var doc showDoc
	if cat.HasBlueprint(name) {
		bp, _ := cat.Blueprint(name)
		qs, err := cat.Questions(bp.Components)
		if err != nil {
			return doc, err
		}
		doc.Blueprint = &showBlueprint{
			Name: bp.Name, Description: bp.Description, Components: bp.Components,
			Questions: questionsJSON(qs, bp), Controls: controlsJSON(cat, cat.Controls(bp.Components)),
		}
	}
	if cat.HasComponent(name) {
		c, _ := cat.Component(name)
		qs, err := cat.Questions([]string{c.Name})
		if err != nil {
			return doc, err
		}
		doc.Component = &showComponent{
			Name: c.Name, Version: c.Version, Description: c.Description, Requires: c.Requires,
			Questions: questionsJSON(qs, nil), Files: c.Sources, Controls: componentControlsJSON(cat, c),
		}
	}
	if doc.Blueprint == nil && doc.Component == nil {
		_, err := cat.Blueprint(name)
		return doc, failure.Invalidf("no blueprint or component is named %s: %w", failure.Quote(name), err)
	}
	return doc, nil
}

func questionsJSON(qs []answers.Asked, bp *catalog.Blueprint) []questionJSON {
	out := make([]questionJSON, 0, len(qs))
	for _, q := range qs {
		j := questionJSON{
			Name: q.Name, Type: string(q.Type), Prompt: q.Prompt, Help: q.Help, Required: q.Required,
			Choices: q.Choices, Validation: q.Describe(), Rules: q.Validate,
			Section: q.Section, When: q.When, Placeholder: q.PlaceholderReason,
		}
		node := q.Default
		if bp != nil {
			if n, ok := bp.Defaults[q.Name]; ok {
				node = n
			}
		}
		if node.Kind != 0 {
			var v any
			if err := node.Decode(&v); err == nil {
				j.Default = v
			}
		}
		out = append(out, j)
	}
	return out
}

func controlsJSON(cat *catalog.Catalog, ids []string) []controlJSON {
	out := make([]controlJSON, 0, len(ids))
	for _, id := range ids {
		c, _ := cat.Registry.Lookup(id)
		out = append(out, controlJSON{ID: id, Title: c.Title, Description: c.Description})
	}
	return out
}

// componentControlsJSON lists a component's controls in registry order,
// each with its condition.
func componentControlsJSON(cat *catalog.Catalog, c *catalog.Component) []controlJSON {
	when := make(map[string]string, len(c.Controls))
	for _, ref := range c.Controls {
		when[ref.ID] = ref.When
	}
	out := controlsJSON(cat, cat.Controls([]string{c.Name}))
	for i := range out {
		out[i].When = when[out[i].ID]
	}
	return out
}

func printQuestions(w io.Writer, qs []questionJSON) {
	fmt.Fprintf(w, "\nQuestions (%d):\n", len(qs))
	for _, q := range qs {
		req := ""
		if q.Required {
			req = ", required"
		}
		fmt.Fprintf(w, "  %s (%s%s, section %s): %s\n", q.Name, q.Type, req, q.Section, q.Prompt)
		if q.When != "" {
			fmt.Fprintf(w, "      asked when: %s\n", q.When)
		}
		if q.Default != nil {
			fmt.Fprintf(w, "      default: %v\n", q.Default)
		}
		if q.Placeholder != "" {
			fmt.Fprintf(w, "      placeholder: %s\n", q.Placeholder)
		}
		if q.Validation != "" {
			fmt.Fprintf(w, "      valid: %s\n", q.Validation)
		}
	}
}

func printControls(w io.Writer, cs []controlJSON) {
	fmt.Fprintf(w, "\nControls (%d):\n", len(cs))
	for _, c := range cs {
		if c.When != "" {
			fmt.Fprintf(w, "  %-7s %s (when %s)\n", c.ID, c.Title, c.When)
			continue
		}
		fmt.Fprintf(w, "  %-7s %s\n", c.ID, c.Title)
	}
}

// showCatalog is the catalog show reads: NAME/ENTRY's, --catalog's, else,
// inside a project, the project's own catalog at its recorded version, else
// the built-in one.
func showCatalog(ctx context.Context, opts *ShowOptions) (*project.Catalog, string, error) {
	if name, _ := project.SplitEntry(opts.Name); name == "" && opts.Source.Catalog == "" && opts.Source.Keyring == "" {
		if _, found, err := project.Locate(""); err == nil && found {
			p, err := openProject(ctx, "", ProjectSource{Offline: opts.Source.Offline}, project.Recorded, false)
			if err != nil {
				return nil, "", err
			}
			return p.Catalog, opts.Name, nil
		}
	}
	return openFor(ctx, opts.Source, opts.Name)
}
