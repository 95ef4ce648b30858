package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/project"
)

// AuditOptions are the inputs of `secgen audit`.
type AuditOptions struct {
	Dir        string
	Format     string
	Output     string
	Components string
	Source     ProjectSource
}

func newAuditCmd(streams *IO, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{}
	cmd := &cobra.Command{
		Use:   "audit [DIR]",
		Short: "Check that every control still holds in the project's files as they are now",
		Long: "audit evaluates the catalog's rules (CEL over parsed YAML, Terraform, Dockerfile,\n" +
			"go.mod and Go source) for the components the project's .secgen.yaml records, or\n" +
			"those named with --components for a repository secgen did not generate.\n" +
			"Exit 1 when a rule fails.",
		Args: argsBetween(0, 1, "secgen audit [DIR] [-C DIR] [--format text|json|sarif] [--output FILE] [--components a,b]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if opts.Dir != "" {
					return failure.Invalidf("give the directory either as an argument or with -C, not both")
				}
				opts.Dir = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runAudit(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Dir, "dir", "C", "", "the directory to audit (default: the working directory)")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "report format: text, json or sarif")
	cmd.Flags().StringVar(&opts.Output, "output", "", "write the report to FILE instead of standard output")
	cmd.Flags().StringVar(&opts.Components, "components", "", "audit with these components' rules (comma-separated) instead of the manifest's")
	opts.Source.register(cmd.Flags())
	return cmd
}

func runAudit(ctx context.Context, streams *IO, opts *AuditOptions) error {
	switch opts.Format {
	case "text", "json", "sarif":
	default:
		return failure.Invalidf("--format must be one of text, json, sarif, got %s", failure.Quote(opts.Format))
	}
	var names []string
	if opts.Components != "" {
		for _, n := range strings.Split(opts.Components, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			return failure.Invalidf("--components names no component")
		}
	}
	p, err := openProject(ctx, opts.Dir, opts.Source, project.Recorded, true)
	if err != nil {
		return err
	}
	cat := p.Catalog.Catalog
	rep, err := audit.Project(ctx, cat, audit.ProjectRequest{Dir: p.Root, Manifest: p.Manifest, Components: names})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch opts.Format {
	case "json":
		err = audit.WriteJSON(&buf, rep)
	case "sarif":
		err = audit.WriteSARIF(&buf, rep, cat.Registry, streams.version())
	default:
		err = audit.WriteText(&buf, rep)
	}
	if err != nil {
		return fmt.Errorf("write the audit report: %w", err)
	}
	if opts.Output != "" {
		if err := writeReport(opts.Output, buf.Bytes()); err != nil {
			return err
		}
	} else if _, err := streams.Out.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write the audit report: %w", err)
	}
	if n := len(rep.Findings); n > 0 {
		return fmt.Errorf("audit: %d finding(s) under %d control(s)", n, countControls(rep))
	}
	return nil
}

func countControls(rep *audit.Report) int {
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		seen[f.Control] = true
	}
	return len(seen)
}

// writeReport writes the report file atomically (a temporary file in the
// same directory, renamed) and refuses to write through a symbolic link.
func writeReport(name string, data []byte) error {
	if info, err := os.Lstat(name); err == nil && !info.Mode().IsRegular() {
		return failure.Invalidf("--output %s exists and is not a regular file", failure.Quote(name))
	}
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
