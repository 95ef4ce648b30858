package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func newVersionCmd(streams *IO) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print secgen's version and its embedded catalog's",
		Args:  argsBetween(0, 0, "secgen version [--output json]"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			cat, err := loadCatalog(cmd.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(streams.Out, map[string]string{
					"version": Version(), "go": runtime.Version(), "catalog": cat.ID, "catalog_version": cat.Version,
				})
			}
			fmt.Fprintf(streams.Out, "secgen %s (%s, catalog %s %s)\n", Version(), runtime.Version(), cat.ID, cat.Version)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	registerCompletions(cmd, nil, "text", "json")
	return cmd
}
