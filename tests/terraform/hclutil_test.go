package terraform

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// blocksOf returns the nested blocks of body with the given type whose labels start with
// the given labels.
func blocksOf(body *hclsyntax.Body, typ string, labels ...string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range body.Blocks {
		if b.Type != typ || len(b.Labels) < len(labels) {
			continue
		}
		match := true
		for i, l := range labels {
			if b.Labels[i] != l {
				match = false
			}
		}
		if match {
			out = append(out, b)
		}
	}
	return out
}

// literalString returns the value of an expression that is a constant string (no
// references, no function calls).
func literalString(expr hclsyntax.Expression) (string, bool) {
	v, diags := expr.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// sourceText is the expression as written in the file, with surrounding space trimmed.
func sourceText(src []byte, expr hclsyntax.Expression) string {
	return strings.TrimSpace(string(expr.Range().SliceBytes(src)))
}

// objectKey returns the key of an object constructor item as written (an identifier or a
// constant string).
func objectKey(item hclsyntax.ObjectConsItem) (string, bool) {
	if kw := hcl.ExprAsKeyword(item.KeyExpr); kw != "" {
		return kw, true
	}
	if k, ok := item.KeyExpr.(*hclsyntax.ObjectConsKeyExpr); ok {
		return literalString(k.Wrapped)
	}
	return literalString(item.KeyExpr)
}

// objectItems maps the keys of an object constructor to their value expressions.
func objectItems(obj *hclsyntax.ObjectConsExpr) map[string]hclsyntax.Expression {
	items := map[string]hclsyntax.Expression{}
	for _, item := range obj.Items {
		if k, ok := objectKey(item); ok {
			items[k] = item.ValueExpr
		}
	}
	return items
}

// elements returns the items of a tuple constructor, or the expression itself.
func elements(expr hclsyntax.Expression) []hclsyntax.Expression {
	if tup, ok := expr.(*hclsyntax.TupleConsExpr); ok {
		return tup.Exprs
	}
	return []hclsyntax.Expression{expr}
}

// literalParts renders a string expression with every interpolation replaced by "${}" so
// that wildcards written in the file can be told from values computed elsewhere. It
// returns false for expressions that are not strings written in place.
func literalParts(expr hclsyntax.Expression) (string, bool) {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		if e.Val.Type() == cty.String {
			return e.Val.AsString(), true
		}
		return "", false
	case *hclsyntax.TemplateWrapExpr:
		return "${}", true
	case *hclsyntax.TemplateExpr:
		var b strings.Builder
		for _, p := range e.Parts {
			if lit, ok := p.(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String {
				b.WriteString(lit.Val.AsString())
			} else {
				b.WriteString("${}")
			}
		}
		return b.String(), true
	}
	return "", false
}
