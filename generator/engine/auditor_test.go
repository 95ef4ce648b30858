package engine

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/catalog"
)

// testAuditor is the audit package's rules as the engine's Auditor, as the
// CLI passes them: the engine's tests judge updates with the real rules.
type testAuditor struct{}

func (testAuditor) Compile(cat *catalog.Catalog, names []string) (AuditRules, error) {
	rs, err := audit.Compile(cat, names)
	if err != nil {
		return nil, err
	}
	return testRules{rs}, nil
}

type testRules struct{ rules *audit.Rules }

func (r testRules) Failing(ctx context.Context, req AuditRequest) ([]AuditFinding, error) {
	rep, err := r.rules.Run(ctx, audit.Request{Root: req.Root, Answers: req.Answers, Restorable: true, Only: req.Only, Files: req.Files})
	if err != nil {
		return nil, err
	}
	var out []AuditFinding
	for _, f := range rep.Findings {
		out = append(out, AuditFinding{Control: f.Control, ControlTitle: f.ControlTitle, Rule: f.Rule, File: f.File, Line: f.Line, Message: f.Message})
	}
	return out, nil
}

// The engine depends on the Auditor interface, not on an audit stack: no
// package it links evaluates CEL or parses HCL or Dockerfiles, so building
// an Engine builds none of them.
func TestEngineLinksNoAuditStack(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, heavy := range []string{"github.com/secgen/secgen/generator/audit", "github.com/google/cel-go", "github.com/hashicorp/hcl", "github.com/moby/buildkit"} {
			if dep == heavy || strings.HasPrefix(dep, heavy+"/") {
				t.Errorf("the engine links %s", dep)
			}
		}
	}
}
