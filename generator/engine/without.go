package engine

import (
	"context"
	"slices"

	"github.com/secgen/secgen/generator/base"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/plan"
	"github.com/secgen/secgen/generator/writer"
)

// without returns the blueprint's components minus those named, checking
// that each is in the blueprint and that no remaining one needs it.
func (e *Engine) without(bp *catalog.Blueprint, drop []string) ([]string, error) {
	for _, d := range drop {
		if !slices.Contains(bp.Components, d) {
			return nil, failure.Invalidf("blueprint %s has no component %s to leave out (it has %v)", bp.Name, failure.Quote(d), bp.Components)
		}
	}
	var out []string
	for _, c := range bp.Components {
		if !slices.Contains(drop, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, failure.Invalidf("leaving those components out leaves blueprint %s with no component; adopt a directory with secgen init instead", bp.Name)
	}
	for _, c := range out {
		comp, err := e.Catalog.Component(c)
		if err != nil {
			return nil, err
		}
		for _, r := range comp.Requires {
			if slices.Contains(drop, r) {
				return nil, failure.Invalidf("component %s requires component %s, so %s cannot be left out", c, r, r)
			}
		}
	}
	return out, nil
}

// storeDirBases stores the content of every generated file (the manifest
// aside) under dir's .secgen/base, for a project without git. dir is a new
// project's staging directory: the bases are created there exclusively,
// as the project's files are, and move into place with it.
func storeDirBases(ctx context.Context, dir string, files []plan.File) error {
	contents := make([][]byte, 0, len(files))
	for _, f := range files {
		if f.Path != manifest.FileName {
			contents = append(contents, f.Content)
		}
	}
	return writer.WriteTree(ctx, dir, base.Files(contents), 0)
}
