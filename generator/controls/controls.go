// Package controls defines a catalog's registry of hardening controls: every
// ID a component may claim, with its title and description. The registry is
// catalog data (templates/controls.yaml); this package only parses and
// queries it, and holds no controls of its own. IDs are stable and never
// renumbered; a control is retired instead.
package controls

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/secgen/secgen/generator/lazyre"
	"go.yaml.in/yaml/v3"
)

// Control is one hardening control.
type Control struct {
	// ID is AREA-NN: an upper-case area, a dash and a number.
	ID          string `yaml:"id" json:"id"`
	Title       string `yaml:"title" json:"title"`
	Description string `yaml:"description" json:"description"`
	Retired     bool   `yaml:"retired,omitempty" json:"retired,omitempty"`
	// Secgen marks a control that secgen itself implements while generating;
	// it applies to every project, whichever components it has.
	Secgen bool `yaml:"secgen,omitempty" json:"secgen,omitempty"`
}

// Area is the part of the control's ID before the dash, such as "K8S".
func (c Control) Area() string {
	area, _, _ := strings.Cut(c.ID, "-")
	return area
}

// Registry is an immutable set of controls, ordered as declared.
type Registry struct {
	ordered []Control
	byID    map[string]Control
}

// Bounds of a registry: the number of controls and the length of an ID.
const (
	MaxControls = 10000
	MaxIDLength = 32
)

var idPattern = lazyre.New(`^[A-Z][A-Z0-9]*-[0-9]+$`)

// Parse reads a registry document strictly: unknown fields, malformed or
// duplicate IDs and empty titles or descriptions are errors.
func Parse(data []byte) (*Registry, error) {
	var doc struct {
		Controls []Control `yaml:"controls"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse controls: %w", err)
	}
	if len(doc.Controls) > MaxControls {
		return nil, fmt.Errorf("controls: more than %d controls", MaxControls)
	}
	r := &Registry{byID: make(map[string]Control, len(doc.Controls))}
	for i, c := range doc.Controls {
		if !idPattern.MatchString(c.ID) || len(c.ID) > MaxIDLength {
			return nil, fmt.Errorf("controls[%d]: id %q must look like AREA-01 (upper-case area, dash, number)", i, c.ID)
		}
		if strings.TrimSpace(c.Title) == "" || strings.ContainsAny(c.Title, "\n\r") {
			return nil, fmt.Errorf("controls[%d]: %s needs a one-line title", i, c.ID)
		}
		if strings.TrimSpace(c.Description) == "" {
			return nil, fmt.Errorf("controls[%d]: %s has no description", i, c.ID)
		}
		if _, dup := r.byID[c.ID]; dup {
			return nil, fmt.Errorf("controls[%d]: %s is declared twice", i, c.ID)
		}
		r.byID[c.ID] = c
		r.ordered = append(r.ordered, c)
	}
	return r, nil
}

// Lookup returns the control with the given ID.
func (r *Registry) Lookup(id string) (Control, bool) {
	c, ok := r.byID[id]
	return c, ok
}

// All returns every control in registry order.
func (r *Registry) All() []Control {
	return append([]Control(nil), r.ordered...)
}

// Sort orders control IDs by their position in the registry; unknown IDs
// sort last, alphabetically.
func (r *Registry) Sort(ids []string) {
	pos := make(map[string]int, len(r.ordered))
	for i, c := range r.ordered {
		pos[c.ID] = i
	}
	sort.SliceStable(ids, func(i, j int) bool {
		pi, iok := pos[ids[i]]
		pj, jok := pos[ids[j]]
		switch {
		case iok && jok:
			return pi < pj
		case iok != jok:
			return iok
		default:
			return ids[i] < ids[j]
		}
	})
}
