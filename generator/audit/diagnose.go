package audit

import (
	"fmt"

	"github.com/google/cel-go/cel"

	"github.com/secgen/secgen/generator/catalog"
)

// Issue is one problem of a rule's CEL expression, located in the
// component's checks.yaml.
type Issue struct {
	// Rule is the ID of the check.
	Rule string
	// Field is the expression at fault: select, expr or when.
	Field string
	// File is the path of checks.yaml relative to the catalog's templates/
	// directory; Line is the line of the error in that file.
	File string
	Line int
	// Message is the compiler's, with the column in the expression.
	Message string
}

// Diagnose compiles every rule of every component of cat in the CEL
// environment the audit evaluates rules in, and returns each syntax error,
// type error and undefined variable or function, located in checks.yaml.
// An expression whose result is not a boolean is an error too: a rule
// holds only when its expression is true.
func Diagnose(cat *catalog.Catalog) ([]Issue, error) {
	env, err := newEnv()
	if err != nil {
		return nil, fmt.Errorf("audit: build CEL environment: %w", err)
	}
	var out []Issue
	for _, name := range cat.ComponentNames() {
		comp, err := cat.Component(name)
		if err != nil {
			return nil, err
		}
		checks, err := comp.Checks()
		if err != nil {
			return nil, err
		}
		for _, c := range checks {
			file := c.Pos.File
			if file == "" {
				file = name + "/checks.yaml"
			}
			for _, f := range []struct{ field, src string }{{"select", c.Select}, {"expr", c.Expr}, {"when", c.When}} {
				if f.src == "" {
					continue
				}
				ast, iss := env.Compile(f.src)
				if iss.Err() != nil {
					for _, e := range iss.Errors() {
						out = append(out, Issue{
							Rule: c.ID, Field: f.field, File: file,
							Line:    c.Pos.TextLine(f.field, e.Location.Line()),
							Message: fmt.Sprintf("%s (line %d, column %d of the expression)", e.Message, e.Location.Line(), e.Location.Column()+1),
						})
					}
					continue
				}
				if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
					out = append(out, Issue{
						Rule: c.ID, Field: f.field, File: file, Line: c.Pos.TextLine(f.field, 1),
						Message: fmt.Sprintf("the expression is of type %s, not bool: the rule could never hold", t),
					})
				}
			}
		}
	}
	return out, nil
}
