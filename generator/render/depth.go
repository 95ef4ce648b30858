package render

import (
	"text/template"
	"text/template/parse"

	"github.com/secgen/secgen/generator/failure"
)

// MaxTemplateDepth bounds how deeply {{template}} calls may nest. A
// template that calls itself, directly or through others, is refused
// outright: text/template's own bound (100,000 frames) is far too deep for
// a hostile catalog.
const MaxTemplateDepth = 16

// checkCalls refuses recursive {{template}} calls and nesting deeper than
// MaxTemplateDepth, looking only at the templates t can reach.
func checkCalls(t *template.Template) error {
	c := &callChecker{set: t, depth: map[string]int{}, active: map[string]bool{}}
	if t.Tree == nil {
		return nil
	}
	_, err := c.node(t.Name(), t.Tree.Root)
	return err
}

type callChecker struct {
	set    *template.Template
	depth  map[string]int // finished templates: their call depth
	active map[string]bool
}

// visit returns the call depth below the template called name.
func (c *callChecker) visit(from, name string) (int, error) {
	if d, ok := c.depth[name]; ok {
		return d, nil
	}
	if c.active[name] {
		return 0, failure.Invalidf("template %s calls template %q recursively, which secgen does not allow", from, name)
	}
	t := c.set.Lookup(name)
	if t == nil || t.Tree == nil {
		return 0, nil // text/template reports an undefined template itself
	}
	c.active[name] = true
	d, err := c.node(name, t.Tree.Root)
	delete(c.active, name)
	if err != nil {
		return 0, err
	}
	c.depth[name] = d
	return d, nil
}

// node returns the deepest call chain below n, inside template name.
func (c *callChecker) node(name string, n parse.Node) (int, error) {
	var kids []parse.Node
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return 0, nil
		}
		kids = n.Nodes
	case *parse.IfNode:
		kids = []parse.Node{n.List, n.ElseList}
	case *parse.RangeNode:
		kids = []parse.Node{n.List, n.ElseList}
	case *parse.WithNode:
		kids = []parse.Node{n.List, n.ElseList}
	case *parse.TemplateNode:
		d, err := c.visit(name, n.Name)
		if err != nil {
			return 0, err
		}
		if d+1 > MaxTemplateDepth {
			return 0, failure.Invalidf("template %s nests {{template}} calls more than %d deep", name, MaxTemplateDepth)
		}
		return d + 1, nil
	}
	deepest := 0
	for _, k := range kids {
		if l, ok := k.(*parse.ListNode); ok && l == nil {
			continue
		}
		d, err := c.node(name, k)
		if err != nil {
			return 0, err
		}
		deepest = max(deepest, d)
	}
	return deepest, nil
}
