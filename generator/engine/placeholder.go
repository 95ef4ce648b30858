package engine

import (
	"bytes"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/plan"
)

// PlaceholderUse is a placeholder answer still in use and the files that
// carry it.
type PlaceholderUse struct {
	Name   string   `json:"name"`
	Value  string   `json:"value"`
	Reason string   `json:"reason"`
	Files  []string `json:"files"`
}

// placeholderUses finds, for each placeholder, the files whose rendered
// content contains its value (a textual search, so a value a template
// derives from it, such as a bucket name ending in the account ID, counts
// too). The manifest is left out: it records every answer.
func placeholderUses(ps []answers.Placeholder, p *plan.Plan) []PlaceholderUse {
	out := make([]PlaceholderUse, 0, len(ps))
	for _, ph := range ps {
		u := PlaceholderUse{Name: ph.Name, Value: ph.Value, Reason: ph.Reason, Files: []string{}}
		if ph.Value != "" {
			for _, f := range p.Files {
				if f.Path != manifest.FileName && bytes.Contains(f.Content, []byte(ph.Value)) {
					u.Files = append(u.Files, f.Path)
				}
			}
		}
		out = append(out, u)
	}
	return out
}
