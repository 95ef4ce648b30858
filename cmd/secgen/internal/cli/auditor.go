package cli

import (
	"context"

	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/engine"
)

// auditor is the engine's Auditor: the audit package's CEL rules. The
// engine calls it only when update judges what it is about to write, so
// no other verb builds a CEL environment through the engine.
type auditor struct{}

// Compile compiles the named components' rules of cat.
func (auditor) Compile(cat *catalog.Catalog, names []string) (engine.AuditRules, error) {
	rs, err := audit.Compile(cat, names)
	if err != nil {
		return nil, err
	}
	return auditRules{rs}, nil
}

// auditRules adapts compiled audit rules to the engine's AuditRules.
type auditRules struct{ rules *audit.Rules }

// Failing runs the rules on req; every finding is restorable by update,
// since the project was generated from the catalog the rules come from.
func (r auditRules) Failing(ctx context.Context, req engine.AuditRequest) ([]engine.AuditFinding, error) {
	rep, err := r.rules.Run(ctx, audit.Request{Root: req.Root, Answers: req.Answers, Restorable: true, Only: req.Only, Files: req.Files})
	if err != nil {
		return nil, err
	}
	out := make([]engine.AuditFinding, len(rep.Findings))
	for i, f := range rep.Findings {
		out[i] = engine.AuditFinding{Control: f.Control, ControlTitle: f.ControlTitle, Rule: f.Rule, File: f.File, Line: f.Line, Message: f.Message}
	}
	return out, nil
}
