package engine

import (
	"context"
	"io/fs"

	"github.com/secgen/secgen/generator/catalog"
)

// Auditor compiles a catalog's audit rules. The engine depends on this
// interface, not on an audit implementation: update's judge is the one
// place the engine evaluates rules, and whoever builds the Engine (the CLI
// passes the audit package's rules) decides what evaluates them. The
// engine itself builds no CEL environment and parses no HCL or
// Dockerfile.
type Auditor interface {
	// Compile compiles the rules of cat's named components (every
	// component when names is empty). A rule that does not compile is
	// invalid input naming it.
	Compile(cat *catalog.Catalog, names []string) (AuditRules, error)
}

// AuditRules are a catalog's compiled rules, evaluated as many times as
// update's judge asks.
type AuditRules interface {
	// Failing evaluates the rules on req and returns every place where one
	// does not hold.
	Failing(ctx context.Context, req AuditRequest) ([]AuditFinding, error)
}

// AuditRequest is what the judge audits: the paths of Only as Files holds
// them (Files may overlay the project's disk with what update is to
// write). Findings are restorable by update: the project was generated
// from the catalog.
type AuditRequest struct {
	// Root is the project directory.
	Root string
	// Answers are the project's answers (rules with a when read them).
	Answers map[string]any
	// Only are the project paths audited.
	Only map[string]bool
	// Files holds the project's files, by project path.
	Files fs.FS
}

// AuditFinding is one place where a rule does not hold, as the judge
// reports it.
type AuditFinding struct {
	Control      string
	ControlTitle string
	Rule         string
	File         string
	Line         int
	Message      string
}
