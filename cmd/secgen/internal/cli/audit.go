package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/project"
)

// AuditOptions are the inputs of `secgen audit`.
type AuditOptions struct {
	Dir string
	// Output is the report's format: text, json or sarif.
	Output string
	// OutputFile, when set, receives the report instead of standard output.
	OutputFile string
	Components string
	// Exclude are globs of paths not audited (--exclude, repeatable).
	Exclude []string
	// Config is an audit configuration file; Baseline a file of waivers.
	Config   string
	Baseline string
	// Set gives answers (KEY=VALUE) to a directory without a manifest.
	Set []string
	// BaseManifest is the base branch's manifest (pull requests).
	BaseManifest string
	Source       ProjectSource
}

func newAuditCmd(streams *IO, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{}
	cmd := &cobra.Command{
		Use:   "audit [DIR]",
		Short: "Check that every control still holds in the project's files as they are now",
		Long: "audit evaluates the catalog's rules (CEL over parsed YAML, Terraform, Dockerfile,\n" +
			"go.mod and Go source) for the components the project's .secgen.yaml records, or\n" +
			"those named with --components for a repository secgen did not generate. Without a\n" +
			"directory it audits the project the working directory is in (walking up to its\n" +
			".secgen.yaml). Exit 1 when a rule fails.",
		Example: "  secgen audit\n" +
			"  secgen audit -o sarif --output-file results.sarif\n" +
			"  secgen audit ./vendor-service --components go-service,k8s -o json",
		Args: argsBetween(0, 1, "secgen audit [DIR] [-C DIR] [-o text|json|sarif] [--output-file FILE] [--components a,b]"),
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
	f := cmd.Flags()
	f.StringVarP(&opts.Dir, "directory", "C", "", "the `DIR` to audit (default: the project the working directory is in)")
	f.StringVarP(&opts.Output, "output", "o", "text", "report format: text, json or sarif")
	f.StringVar(&opts.OutputFile, "output-file", "", "write the report to `FILE` instead of standard output")
	f.StringVar(&opts.Components, "components", "", "audit with these components' rules (comma-separated) instead of the manifest's")
	f.StringArrayVar(&opts.Exclude, "exclude", nil, "do not audit the paths this glob matches (repeatable; ** spans directories)")
	f.StringVar(&opts.Config, "config", "", "audit configuration file (exclude, set, waivers; default: "+audit.ConfigName+" in the directory)")
	f.StringVar(&opts.Baseline, "baseline", "", "file of accepted exceptions (waivers with a reason and an expiry)")
	f.StringVar(&opts.BaseManifest, "base-manifest", "", "the base branch's .secgen.yaml: fail when this manifest drops components or controls or goes back in version without audit_opt_out")
	f.StringArrayVar(&opts.Set, "set", nil, "an answer KEY=VALUE for rules that need one (database_port, oidc_issuer) when there is no manifest")
	opts.Source.register(f)
	registerCompletions(cmd, componentsFlagScope, "text", "json", "sarif")
	return cmd
}

func runAudit(ctx context.Context, streams *IO, opts *AuditOptions) error {
	if err := checkOutput(opts.Output, "text", "json", "sarif"); err != nil {
		return err
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
	set := map[string]any{}
	for _, kv := range opts.Set {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return failure.Invalidf("--set %s is not KEY=VALUE", failure.Quote(kv))
		}
		set[k] = answerValue(v)
	}
	cat := p.Catalog.Catalog
	rep, err := audit.Project(ctx, cat, audit.ProjectRequest{Dir: p.Root, Manifest: p.Manifest, Components: names,
		Exclude: opts.Exclude, ConfigFile: opts.Config, BaselineFile: opts.Baseline, Set: set, BaseManifest: opts.BaseManifest})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch opts.Output {
	case "json":
		err = audit.WriteJSON(&buf, rep)
	case "sarif":
		err = audit.WriteSARIFWith(&buf, rep, cat.Registry, audit.SARIFOptions{Version: streams.version(), Prefix: audit.RepositoryPrefix(p.Root)})
		if err == nil && audit.Truncated(rep) {
			fmt.Fprintf(streams.Err, "secgen: warning: the SARIF log holds the first %d of %d results, the most code scanning accepts; -o json lists all\n", audit.MaxSARIFResults, len(rep.Findings)+len(rep.Waived))
		}
	default:
		err = audit.WriteText(&buf, rep)
	}
	if err != nil {
		return fmt.Errorf("write the audit report: %w", err)
	}
	if opts.OutputFile != "" {
		if err := writeReport(opts.OutputFile, buf.Bytes()); err != nil {
			return err
		}
	} else if _, err := streams.Out.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write the audit report: %w", err)
	}
	n, incomplete := len(rep.Findings), rep.Incomplete()
	switch {
	case n > 0 && incomplete > 0:
		return fmt.Errorf("audit: %d finding(s) under %d control(s), and %d file(s) or document(s) not audited", n, countControls(rep), incomplete)
	case n > 0:
		return fmt.Errorf("audit: %d finding(s) under %d control(s)", n, countControls(rep))
	case incomplete > 0:
		return fmt.Errorf("audit: %d file(s) or document(s) could not be audited (see the diagnostics); exclude them or fix them", incomplete)
	}
	return nil
}

// answerValue reads a --set value: an integer, true/false, or a string.
func answerValue(v string) any {
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return i
	}
	if b, err := strconv.ParseBool(v); err == nil && (v == "true" || v == "false") {
		return b
	}
	return v
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
		return failure.Invalidf("--output-file %s exists and is not a regular file", failure.Quote(name))
	}
	// The error names the report file, never the temporary one beside it.
	unwritable := func(err error) error {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return failure.Invalidf("cannot write the report to %s: %v", failure.Quote(name), err)
	}
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return unwritable(err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return unwritable(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return unwritable(err)
	}
	if err := tmp.Close(); err != nil {
		return unwritable(err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		var le *os.LinkError
		if errors.As(err, &le) {
			err = le.Err
		}
		return unwritable(err)
	}
	return nil
}
