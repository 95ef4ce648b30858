package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/catalogs"
	"github.com/secgen/secgen/generator/catsource"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/project"
)

// CatalogOptions are the inputs of `secgen catalog ...`.
type CatalogOptions struct {
	Name    string
	Source  string
	Ref     string
	Keyring string
	Offline bool
	Output  string
	// AcceptMovedTag and AcceptSigner are catalog update's overrides.
	AcceptMovedTag bool
	AcceptSigner   string
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
	ring, err := project.ReadKeyring(opts.Keyring)
	if err != nil {
		return err
	}
	e, err := resolver(opts.Offline).AddNamed(ctx, opts.Name, opts.Source, opts.Ref, ring)
	if err != nil {
		return err
	}
	fmt.Fprintf(streams.Out, "Added catalog %s: %s %s%s.\n", e.Name, e.ID, e.Version, describePin(e))
	return nil
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
			_, f, err := resolver(false).Catalogs()
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
			"now resolves to, printing old → new. A catalog pinned to a semver tag moves to the newest semver\n" +
			"tag; --ref moves it to another ref. A tag that moved, or a signature by another key than the\n" +
			"pinned signer, is refused unless accepted. --keyring replaces the stored keyring (key rotation).\n" +
			"Projects follow with secgen update.",
		Args: argsBetween(0, 1, "secgen catalog update [NAME] [--ref REF] [--keyring FILE]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			return runCatalogUpdate(cmd.Context(), streams, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Ref, "ref", "", "follow `REF` (branch, tag or commit) from now on (needs NAME)")
	f.StringVar(&opts.Keyring, "keyring", "", "replace the catalog's keyring with the armored OpenPGP public keys in `FILE` (key rotation; needs NAME)")
	f.BoolVar(&opts.AcceptMovedTag, "accept-moved-tag", false, "accept a release tag that now points at another commit than the pinned one")
	f.StringVar(&opts.AcceptSigner, "accept-signer", "", "accept a signature by the key with fingerprint `FPR` instead of the pinned signer")
	return cmd
}

func runCatalogUpdate(ctx context.Context, streams *IO, opts *CatalogOptions) error {
	ring, err := project.ReadKeyring(opts.Keyring)
	if err != nil {
		return err
	}
	changes, err := resolver(opts.Offline).UpdateNamed(ctx, project.NamedUpdate{
		Name: opts.Name, Ref: opts.Ref, Keyring: ring, AcceptMovedTag: opts.AcceptMovedTag, AcceptSigner: opts.AcceptSigner,
	})
	if err != nil {
		return err
	}
	for _, c := range changes {
		fmt.Fprintln(streams.Out, c.String())
	}
	return nil
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
			store, f, err := resolver(false).Catalogs()
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
