package audit_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/catalog"
)

// hostileCatalog is a one-component catalog whose only rule is expr.
func hostileCatalog(t *testing.T, expr string) *catalog.Catalog {
	t.Helper()
	templates := fstest.MapFS{
		"catalog.yaml":                {Data: []byte("id: hostile\nversion: 1.0.0\n")},
		"controls.yaml":               {Data: []byte("controls:\n  - id: ORG-01\n    title: Owners\n    description: Every service names its owners.\n")},
		"owners/component.yaml":       {Data: []byte("name: owners\ndescription: Owners.\nversion: 1.0.0\ncontrols: [ORG-01]\n")},
		"owners/files/OWNERS.md.tmpl": {Data: []byte("# Owners\n")},
		"owners/checks.yaml":          {Data: []byte("checks:\n  - id: spin\n    control: ORG-01\n    match: \"**\"\n    scope: project\n    expr: |\n      " + expr + "\n    severity: error\n    message: m\n    fix: f\n")},
	}
	cat, err := catalog.Load(context.Background(), catalog.Source{Templates: templates, Blueprints: fstest.MapFS{}})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// TestHostileRuleIsRefused: a rule whose evaluation would take 10^10 steps
// stops at the CEL cost limit and is refused by name (a diagnostic that
// fails the audit) instead of spinning.
func TestHostileRuleIsRefused(t *testing.T) {
	t.Parallel()
	ten := "[0,1,2,3,4,5,6,7,8,9]"
	expr := "true"
	for _, v := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		expr = ten + ".all(" + v + ", " + expr + ")"
	}
	cat := hostileCatalog(t, expr)
	rules, err := audit.Compile(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	tree := fstest.MapFS{"OWNERS.md": {Data: []byte("# Owners\n")}}
	rs, req, err := rules.ForFiles(cat, tree, []string{"owners"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := rs.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Incomplete() != 1 || len(rep.Diagnostics) != 1 {
		t.Fatalf("a rule of 10^10 steps: %d failing diagnostics, %+v", rep.Incomplete(), rep.Diagnostics)
	}
	d := rep.Diagnostics[0]
	if d.Rule != "spin" || d.Kind != audit.DiagEvaluation || !d.Fails || !strings.Contains(d.Reason, "rule spin exceeds its evaluation cost limit") {
		t.Errorf("diagnostic %+v does not refuse rule spin by name", d)
	}
}

// TestDiagnoseLocatesErrors: an undefined variable, a syntax error and a
// non-boolean rule are reported at their line of checks.yaml.
func TestDiagnoseLocatesErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ expr, want string }{
		{`file.content.contains("x")`, "undeclared reference to 'file'"},
		{`object.kind == == 1`, "Syntax error"},
		{`size(documents)`, "not bool"},
	} {
		cat := hostileCatalog(t, c.expr)
		issues, err := audit.Diagnose(cat)
		if err != nil {
			t.Fatal(err)
		}
		if len(issues) == 0 {
			t.Errorf("%s: no issue", c.expr)
			continue
		}
		is := issues[0]
		if is.Rule != "spin" || is.Field != "expr" || is.File != "owners/checks.yaml" || is.Line != 7 || !strings.Contains(is.Message, c.want) {
			t.Errorf("%s: issue %+v; want %q at owners/checks.yaml:7", c.expr, is, c.want)
		}
	}
}
