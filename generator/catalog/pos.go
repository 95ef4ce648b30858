package catalog

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Pos locates a declaration of a catalog file (checks.yaml, breakages.yaml)
// so that errors and lint findings name the file and line at fault.
type Pos struct {
	// File is the path relative to the catalog's templates/ directory.
	File string
	// Line is the 1-based line where the declaration starts.
	Line int
	// Fields maps each field of the declaration to the line of its value.
	Fields map[string]int
	// Literal records the fields whose value is a block scalar (| or >):
	// their text starts on the line after Fields[field].
	Literal map[string]bool
}

// At returns the line of a field's value, or the declaration's line when
// the field is absent.
func (p Pos) At(field string) int {
	if l, ok := p.Fields[field]; ok {
		return l
	}
	return p.Line
}

// TextLine returns the file line of line n (1-based) of a field's text: a
// CEL error at line 3 of a block scalar is two lines below its first line.
func (p Pos) TextLine(field string, n int) int {
	l := p.At(field)
	if p.Literal[field] {
		return l + max(n, 1)
	}
	return l
}

// Where is "file:line" of a field.
func (p Pos) Where(field string) string {
	return p.File + ":" + strconv.Itoa(p.At(field))
}

// posOf records the position of a mapping node and of its fields.
func posOf(file string, n *yaml.Node) Pos {
	p := Pos{File: file, Fields: map[string]int{}, Literal: map[string]bool{}}
	if n == nil {
		return p
	}
	p.Line = n.Line
	if n.Kind != yaml.MappingNode {
		return p
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p.Fields[k.Value] = v.Line
		// An alias's text is where its anchor is: only its line is known.
		p.Literal[k.Value] = v.Kind != yaml.AliasNode && v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	}
	return p
}

// listItems returns the items of the sequence under key of a document's
// top-level mapping, or nil.
func listItems(doc *yaml.Node, key string) []*yaml.Node {
	if doc == nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.SequenceNode {
			return m.Content[i+1].Content
		}
	}
	return nil
}

// field returns the value node of key in a mapping node, or nil.
func fieldNode(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
