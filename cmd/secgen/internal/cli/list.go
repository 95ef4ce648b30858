package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/catalog"
)

// ListOptions are the inputs of `secgen list`.
type ListOptions struct {
	Output string
}

func newListCmd(streams *IO, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the catalog's blueprints and components",
		Args:  argsBetween(0, 0, "secgen list [--output json]"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runList(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "table", "output format: table or json")
	registerCompletions(cmd, nil, "table", "json")
	return cmd
}

type listDoc struct {
	Catalog    catalogJSON     `json:"catalog"`
	Blueprints []blueprintJSON `json:"blueprints"`
	Components []componentJSON `json:"components"`
}

type catalogJSON struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
}

type blueprintJSON struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Components  []string `json:"components"`
}

type componentJSON struct {
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	Description string   `json:"description"`
	Requires    []string `json:"requires,omitempty"`
	Controls    []string `json:"controls"`
}

func runList(ctx context.Context, streams *IO, opts *ListOptions) error {
	if err := checkOutput(opts.Output, "table", "json"); err != nil {
		return err
	}
	cat, err := loadCatalog(ctx)
	if err != nil {
		return err
	}
	doc := listDocument(cat)
	if opts.Output == "json" {
		return writeJSON(streams.Out, doc)
	}
	w := streams.Out
	fmt.Fprintf(w, "Catalog %s %s\n\n", doc.Catalog.ID, doc.Catalog.Version)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BLUEPRINT\tCOMPONENTS\tDESCRIPTION")
	for _, b := range doc.Blueprints {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", b.Name, strings.Join(b.Components, ", "), b.Description)
	}
	fmt.Fprintln(tw, "\t\t")
	fmt.Fprintln(tw, "COMPONENT\tVERSION\tCONTROLS\tDESCRIPTION")
	for _, c := range doc.Components {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", c.Name, c.Version, len(c.Controls), c.Description)
	}
	return tw.Flush()
}

// listDocument describes a catalog's blueprints and components.
func listDocument(cat *catalog.Catalog) listDoc {
	doc := listDoc{Catalog: catalogJSON{ID: cat.ID, Version: cat.Version, Commit: cat.Commit}}
	for _, name := range cat.BlueprintNames() {
		bp, _ := cat.Blueprint(name)
		doc.Blueprints = append(doc.Blueprints, blueprintJSON{Name: bp.Name, Description: bp.Description, Components: bp.Components})
	}
	for _, name := range cat.ComponentNames() {
		c, _ := cat.Component(name)
		ids := append([]string{}, c.Controls...) // [] rather than null for a component without controls
		doc.Components = append(doc.Components, componentJSON{Name: c.Name, Version: c.Version, Description: c.Description, Requires: c.Requires, Controls: ids})
	}
	return doc
}

// blueprintNames completes blueprint names; errors complete nothing.
func blueprintNames(ctx context.Context) []string {
	if ctx == nil {
		ctx = context.Background()
	}
	cat, err := loadCatalog(ctx)
	if err != nil {
		return nil
	}
	return cat.BlueprintNames()
}
