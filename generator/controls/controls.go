// Package controls holds secgen's registry of hardening controls: every ID a
// component may claim, with its title. The registry is data embedded in the
// binary; IDs are stable and never renumbered.
package controls

import (
	"bytes"
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed registry.yaml
var registryYAML []byte

// Control is one hardening control.
type Control struct {
	ID      string `yaml:"id" json:"id"`
	Area    string `yaml:"area" json:"area"`
	Title   string `yaml:"title" json:"title"`
	Retired bool   `yaml:"retired,omitempty" json:"retired,omitempty"`
	// Engine marks a control that secgen's engine implements itself.
	Engine bool `yaml:"engine,omitempty" json:"engine,omitempty"`
}

// Registry is an immutable set of controls, ordered as declared.
type Registry struct {
	ordered []Control
	byID    map[string]Control
}

var idPattern = regexp.MustCompile(`^(APP|CTR|K8S|IAM|ENC|SC|SEC)-[0-9]{2}$`)

// Builtin parses the embedded registry.
func Builtin() (*Registry, error) {
	return Parse(registryYAML)
}

// Parse reads a registry document strictly: unknown fields, malformed or
// duplicate IDs and empty titles are errors.
func Parse(data []byte) (*Registry, error) {
	var doc struct {
		Controls []Control `yaml:"controls"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse controls registry: %w", err)
	}
	r := &Registry{byID: make(map[string]Control, len(doc.Controls))}
	for _, c := range doc.Controls {
		if !idPattern.MatchString(c.ID) {
			return nil, fmt.Errorf("controls registry: malformed id %q", c.ID)
		}
		if strings.TrimSpace(c.Title) == "" {
			return nil, fmt.Errorf("controls registry: %s has no title", c.ID)
		}
		if _, dup := r.byID[c.ID]; dup {
			return nil, fmt.Errorf("controls registry: duplicate id %s", c.ID)
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
