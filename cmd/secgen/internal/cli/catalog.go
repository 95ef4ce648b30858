package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/catalogs"
	"github.com/secgen/secgen/generator/catsource"
	"github.com/secgen/secgen/generator/failure"
)

// CatalogOptions are the inputs of `secgen catalog ...`.
type CatalogOptions struct {
	Name    string
	Source  string
	Ref     string
	Keyring string
	Offline bool
	Output  string
}

func newCatalogCmd(streams *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "Manage named catalogs: a directory or git repository, pinned to a commit",
		Long: "Named catalogs are kept in your configuration directory (secgen/catalogs.yaml). A git\n" +
			"catalog is pinned to the commit its ref resolved to when added or last updated, and, with a\n" +
			"keyring, verified: the tag or commit must be signed by one of its keys. Address a named\n" +
			"catalog's entries as NAME/ENTRY: secgen new acme/go-service.",
		Example: "  secgen catalog add acme https://git.example.com/platform/catalog --ref v1.2.0\n" +
			"  secgen catalog list",
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newCatalogAddCmd(streams), newCatalogListCmd(streams), newCatalogUpdateCmd(streams), newCatalogRemoveCmd(streams))
	return cmd
}

func newCatalogAddCmd(streams *IO) *cobra.Command {
	opts := &CatalogOptions{}
	cmd := &cobra.Command{
		Use:   "add NAME SOURCE",
		Short: "Add a named catalog from a directory or git URL[@REF]",
		Example: "  secgen catalog add acme https://git.example.com/platform/catalog --ref v1.2.0 --keyring platform.asc\n" +
			"  secgen catalog add local ./my-catalog",
		Args: argsBetween(2, 2, "secgen catalog add NAME SOURCE [--ref REF] [--keyring FILE]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name, opts.Source = args[0], args[1]
			return runCatalogAdd(cmd.Context(), streams, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Ref, "ref", "", "the branch, tag or commit to follow (default: the remote's HEAD)")
	f.StringVar(&opts.Keyring, "keyring", "", "require signatures by the armored OpenPGP public keys in `FILE` (copied into the configuration)")
	f.BoolVar(&opts.Offline, "offline", false, "never use the network: the catalog must be in the cache")
	return cmd
}

func runCatalogAdd(ctx context.Context, streams *IO, opts *CatalogOptions) error {
	if err := catalogs.CheckName(opts.Name); err != nil {
		return err
	}
	spec, err := catsource.Parse(opts.Source, opts.Ref)
	if err != nil {
		return err
	}
	if spec.Kind == catsource.Builtin {
		return failure.Invalidf("the built-in catalog is always there; name a directory or git URL")
	}
	ring, err := readKeyring(opts.Keyring)
	if err != nil {
		return err
	}
	store, f, err := openNamedCatalogs()
	if err != nil {
		return err
	}
	if _, ok := f.Find(opts.Name); ok {
		return failure.Invalidf("a catalog named %s exists already; remove it first or run secgen catalog update %s", opts.Name, opts.Name)
	}
	op, err := (&catsource.Opener{Offline: opts.Offline}).Open(ctx, catsource.Request{Spec: spec, Keyring: ring})
	if err != nil {
		return err
	}
	e := entryOf(opts.Name, spec, op)
	if ring != nil {
		if e.Keyring, err = store.PutKeyring(opts.Name, ring); err != nil {
			return err
		}
	}
	f.Put(e)
	if err := store.Save(f); err != nil {
		return err
	}
	fmt.Fprintf(streams.Out, "Added catalog %s: %s %s%s.\n", e.Name, e.ID, e.Version, describePin(e))
	return nil
}

// entryOf records an opened catalog as a named one.
func entryOf(name string, spec catsource.Spec, op *catsource.Opened) catalogs.Entry {
	return catalogs.Entry{
		Name: name, Source: spec.URL, Ref: spec.Ref, Pin: op.Origin.Pin, Commit: op.Origin.Commit,
		Signer: op.Origin.Signer, ID: op.Catalog.ID, Version: op.Catalog.Version,
	}
}

func describePin(e catalogs.Entry) string {
	s := ""
	if e.Ref != "" {
		s += " at " + e.Ref
	}
	if e.Commit != "" {
		s += " (commit " + e.Commit[:12] + ")"
	}
	if e.Signer != "" {
		s += ", signed by " + e.Signer
	}
	return s
}

func newCatalogListCmd(streams *IO) *cobra.Command {
	opts := &CatalogOptions{}
	cmd := &cobra.Command{
		Use: "list",
		Example: "  secgen catalog list\n" +
			"  secgen catalog list -o json",
		Short: "List the named catalogs",
		Args:  argsBetween(0, 0, "secgen catalog list [--output json]"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(opts.Output, "table", "json"); err != nil {
				return err
			}
			_, f, err := openNamedCatalogs()
			if err != nil {
				return err
			}
			if opts.Output == "json" {
				list := []catalogs.Entry{}
				for _, e := range f.Catalogs {
					e.Source = displaySource(e.Source) // no user name, even in JSON
					list = append(list, e)
				}
				return writeJSON(streams.Out, list)
			}
			tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tCATALOG\tSOURCE\tREF\tCOMMIT\tSIGNER")
			for _, e := range f.Catalogs {
				commit := e.Commit
				if len(commit) > 12 {
					commit = commit[:12]
				}
				fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\t%s\n", e.Name, e.ID, e.Version, displaySource(e.Source), dash(e.Ref), dash(commit), dash(e.Signer))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "table", "output format: table or json")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// displaySource is a stored source without user information.
func displaySource(source string) string {
	spec, err := catsource.Parse(source, "")
	if err != nil {
		return "(invalid)"
	}
	return spec.Display
}

func newCatalogUpdateCmd(streams *IO) *cobra.Command {
	opts := &CatalogOptions{}
	cmd := &cobra.Command{
		Use: "update [NAME]",
		Example: "  secgen catalog update\n" +
			"  secgen catalog update acme --ref v1.3.0",
		Short: "Resolve a named catalog's ref again (all catalogs without NAME) and pin the new commit",
		Long: "Fetch each named catalog's ref, verify it against the catalog's keyring and pin the commit it\n" +
			"now resolves to, printing old → new. --ref also moves the catalog to another ref. Projects follow\n" +
			"with secgen update.",
		Args: argsBetween(0, 1, "secgen catalog update [NAME] [--ref REF]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			return runCatalogUpdate(cmd.Context(), streams, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Ref, "ref", "", "follow `REF` (branch, tag or commit) from now on (needs NAME)")
	return cmd
}

func runCatalogUpdate(ctx context.Context, streams *IO, opts *CatalogOptions) error {
	if opts.Ref != "" && opts.Name == "" {
		return failure.Invalidf("--ref needs the NAME of the catalog to move")
	}
	store, f, err := openNamedCatalogs()
	if err != nil {
		return err
	}
	todo := f.Catalogs
	if opts.Name != "" {
		if err := catalogs.CheckName(opts.Name); err != nil {
			return err
		}
		e, ok := f.Find(opts.Name)
		if !ok {
			return failure.Invalidf("there is no catalog named %s", failure.Quote(opts.Name))
		}
		todo = []catalogs.Entry{e}
	}
	// Everything is resolved and verified before the file is written once.
	var lines []string
	for _, e := range todo {
		ref := e.Ref
		if opts.Ref != "" {
			ref = opts.Ref
		}
		l, err := openEntry(ctx, store, e, catsource.Request{}, ref, false)
		if err != nil {
			return fmt.Errorf("catalog %s: %w", e.Name, err)
		}
		spec, err := catsource.Parse(e.Source, ref)
		if err != nil {
			return err
		}
		next := entryOf(e.Name, spec, l.Opened)
		next.Keyring = e.Keyring
		switch {
		case next.Commit == "":
			lines = append(lines, fmt.Sprintf("%s: %s %s (a directory, read as it is)", e.Name, next.ID, next.Version))
		case next.Commit == e.Commit:
			lines = append(lines, fmt.Sprintf("%s: %s (unchanged)", e.Name, short(e.Commit)))
		default:
			lines = append(lines, fmt.Sprintf("%s: %s → %s (%s %s)", e.Name, short(e.Commit), short(next.Commit), next.ID, next.Version))
		}
		f.Put(next)
	}
	if err := store.Save(f); err != nil {
		return err
	}
	for _, line := range lines {
		fmt.Fprintln(streams.Out, line)
	}
	return nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	if id == "" {
		return "(none)"
	}
	return id
}

func newCatalogRemoveCmd(streams *IO) *cobra.Command {
	return &cobra.Command{
		Use:     "remove NAME",
		Example: "  secgen catalog remove acme",
		Short:   "Remove a named catalog and its keyring",
		Args:    argsBetween(1, 1, "secgen catalog remove NAME"),
		RunE: func(_ *cobra.Command, args []string) error {
			name := args[0]
			if err := catalogs.CheckName(name); err != nil {
				return err
			}
			store, f, err := openNamedCatalogs()
			if err != nil {
				return err
			}
			if !f.Remove(name) {
				return failure.Invalidf("there is no catalog named %s", failure.Quote(name))
			}
			if err := store.Save(f); err != nil {
				return err
			}
			if err := store.RemoveKeyring(name); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "Removed catalog %s.\n", name)
			return nil
		},
	}
}
