package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/catalogs"
	"github.com/secgen/secgen/generator/catsource"
	"github.com/secgen/secgen/generator/project"
)

// ListOptions are the inputs of `secgen list`.
type ListOptions struct {
	Output string
	Source SourceOptions
}

func newListCmd(streams *IO, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the blueprints and components of every catalog",
		Long: "List the built-in catalog and every named catalog (secgen catalog add), whose entries are\n" +
			"addressed as NAME/ENTRY; with --catalog, only that catalog.",
		Example: "  secgen list\n" +
			"  secgen list --catalog ../platform-catalog -o json",
		Args: argsBetween(0, 0, "secgen list [--catalog SOURCE] [--output json]"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runList(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "table", "output format: table or json")
	registerCompletions(cmd, nil, "table", "json")
	opts.Source.register(cmd.Flags())
	return cmd
}

// listDoc is one catalog's listing; the first (the built-in catalog, or
// --catalog) carries the named catalogs in Named.
type listDoc struct {
	Catalog    catalogJSON     `json:"catalog"`
	Blueprints []blueprintJSON `json:"blueprints"`
	Components []componentJSON `json:"components"`
	Named      []listDoc       `json:"named,omitempty"`
}

type catalogJSON struct {
	Name    string `json:"name,omitempty"`
	ID      string `json:"id"`
	Version string `json:"version"`
	Source  string `json:"source"`
	Ref     string `json:"ref,omitempty"`
	Commit  string `json:"commit,omitempty"`
	Signer  string `json:"signer,omitempty"`
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
	l, err := openSource(ctx, opts.Source)
	if err != nil {
		return err
	}
	doc := listing(l, "")
	if opts.Source.Catalog == "" {
		names, err := namedCatalogs()
		if err != nil {
			return err
		}
		for _, name := range names {
			n, err := resolver(opts.Source.Offline).Named(ctx, name)
			if err != nil {
				return fmt.Errorf("catalog %s: %w", name, err)
			}
			doc.Named = append(doc.Named, listing(n, name+"/"))
		}
	}
	if opts.Output == "json" {
		return writeJSON(streams.Out, doc)
	}
	if err := printListing(streams.Out, doc); err != nil {
		return err
	}
	for _, n := range doc.Named {
		fmt.Fprintln(streams.Out)
		if err := printListing(streams.Out, n); err != nil {
			return err
		}
	}
	return nil
}

// namedCatalogs lists the names of the user's named catalogs; none when
// there is no configuration directory.
func namedCatalogs() ([]string, error) {
	store, err := catalogs.Default()
	if err != nil {
		return nil, nil
	}
	f, err := store.Load()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range f.Catalogs {
		names = append(names, e.Name)
	}
	return names, nil
}

// listing describes one catalog with its provenance, its entries named
// with prefix.
func listing(l *project.Catalog, prefix string) listDoc {
	doc := listDocument(l.Catalog)
	r := l.Ref
	doc.Catalog = catalogJSON{Name: r.Name, ID: r.ID, Version: r.Version, Source: r.Source, Ref: r.Ref, Commit: r.Commit, Signer: r.Signer}
	for i := range doc.Blueprints {
		doc.Blueprints[i].Name = prefix + doc.Blueprints[i].Name
	}
	for i := range doc.Components {
		doc.Components[i].Name = prefix + doc.Components[i].Name
	}
	return doc
}

func printListing(w io.Writer, doc listDoc) error {
	c := doc.Catalog
	fmt.Fprintf(w, "Catalog %s %s", c.ID, c.Version)
	if c.Name != "" {
		fmt.Fprintf(w, " (named %s)", c.Name)
	}
	if c.Source != catsource.BuiltinName {
		fmt.Fprintf(w, " from %s", c.Source)
	}
	if c.Commit != "" {
		fmt.Fprintf(w, " at %s", c.Commit[:12])
	}
	fmt.Fprint(w, "\n\n")
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
		ids := catalog.IDs(c.Controls) // [] rather than null for a component without controls
		doc.Components = append(doc.Components, componentJSON{Name: c.Name, Version: c.Version, Description: c.Description, Requires: c.Requires, Controls: ids})
	}
	return doc
}
