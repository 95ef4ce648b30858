package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/cmd/secgen/internal/buildinfo"
	"github.com/secgen/secgen/generator/builtin"
)

func newVersionCmd(streams *IO) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print secgen's version and its embedded catalog's",
		Long: "version prints secgen's version, taken from the module build information: X.Y.Z for\n" +
			"go install " + buildinfo.Command + "@vX.Y.Z, a pseudo-version for a build from a\n" +
			"git checkout, dev for go run. The generated CI installs the version .secgen.yaml records,\n" +
			"so only an installable version (\"installable\": true in -o json) keeps it green.",
		Example: "  secgen version\n" +
			"  secgen --version\n" +
			"  secgen version -o json",
		Args: argsBetween(0, 0, "secgen version [-o text|json]"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printVersion(streams, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	registerCompletions(cmd, nil, "text", "json")
	return cmd
}

// printVersion prints secgen's version (secgen version, secgen --version).
func printVersion(streams *IO, output string) error {
	if err := checkOutput(output, "text", "json"); err != nil {
		return err
	}
	cat, err := builtin.ReadMeta() // its catalog.yaml alone: version loads no more
	if err != nil {
		return err
	}
	b := streams.build()
	if output == "json" {
		return writeJSON(streams.Out, map[string]any{
			"version": b.Version, "installable": b.Installable, "go": runtime.Version(), "catalog": cat.ID, "catalog_version": cat.Version,
		})
	}
	fmt.Fprintf(streams.Out, "secgen %s (%s, catalog %s %s)\n", b.Version, runtime.Version(), cat.ID, cat.Version)
	return nil
}
