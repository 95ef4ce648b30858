package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/secgen/secgen/generator/audit"
)

// Weakening is a control that held in a file before update and fails after
// it: update's merge (possibly clean) weakened the project.
type Weakening struct {
	Control      string
	ControlTitle string
	Rule         string
	File         string
	Line         int
	Message      string
	// Cause says which side brought the change: the catalog's new version
	// alone, or your changes merged with it.
	Cause string
}

// securityAudit evaluates the audit rules of the project's components on
// the given paths (project-wide rules see every file).
type securityAudit struct {
	rules *audit.Rules
	req   audit.Request
}

func (e *Engine) newSecurityAudit(root string, components []string, answers map[string]any, paths map[string]bool) (*securityAudit, error) {
	rules, err := audit.Compile(e.Catalog, components)
	if err != nil {
		return nil, err
	}
	return &securityAudit{rules: rules, req: audit.Request{Root: root, Answers: answers, Restorable: true, Only: paths}}, nil
}

// failing returns the findings of the audit keyed by rule and file.
func (s *securityAudit) failing(ctx context.Context) (map[string]audit.Finding, error) {
	rep, err := s.rules.Run(ctx, s.req)
	if err != nil {
		return nil, fmt.Errorf("audit the updated files: %w", err)
	}
	out := make(map[string]audit.Finding, len(rep.Findings))
	for _, f := range rep.Findings {
		out[f.Rule+"\x00"+f.File] = f
	}
	return out, nil
}

// weakenings lists the findings of after that were not in before, on the
// files update changed without conflict.
func weakenings(before, after map[string]audit.Finding, actions map[string]Action) []Weakening {
	var out []Weakening
	for key, f := range after {
		if _, ok := before[key]; ok {
			continue
		}
		cause := "the catalog's new version"
		switch actions[f.File] {
		case ActionMerge:
			cause = "your changes merged with the catalog's new version"
		case ActionConflict:
			continue // reported as a conflict already
		}
		out = append(out, Weakening{Control: f.Control, ControlTitle: f.ControlTitle, Rule: f.Rule, File: f.File, Line: f.Line, Message: f.Message, Cause: cause})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}
