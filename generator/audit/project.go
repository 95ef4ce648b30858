package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
)

// ProjectRequest asks to audit a directory.
type ProjectRequest struct {
	// Dir is the directory to audit; "" is the working directory.
	Dir string
	// Components, when not empty, names the components whose rules apply
	// (for repositories secgen did not generate); otherwise they come from
	// the directory's manifest.
	Components []string
	// Manifest, when set, is the directory's manifest as the project layer
	// read it (it is not read again).
	Manifest *manifest.Manifest
}

// Project audits a directory with cat's rules: those of the components its
// manifest records, or of req.Components.
func Project(ctx context.Context, cat *catalog.Catalog, req ProjectRequest) (*Report, error) {
	rs, r, err := Prepare(cat, req)
	if err != nil {
		return nil, err
	}
	return rs.Run(ctx, r)
}

// Prepare resolves what Project audits: the compiled rules and the request.
func Prepare(cat *catalog.Catalog, req ProjectRequest) (*Rules, Request, error) {
	dir := req.Dir
	if dir == "" {
		dir = "."
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, Request{}, fmt.Errorf("resolve %s: %w", failure.Quote(dir), err)
	}
	info, err := os.Lstat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, Request{}, failure.Invalidf("directory %s does not exist", failure.Quote(dir))
	case err != nil:
		return nil, Request{}, fmt.Errorf("inspect %s: %w", failure.Quote(dir), err)
	case !info.IsDir():
		return nil, Request{}, failure.Invalidf("%s is not a directory", failure.Quote(dir))
	}
	out := Request{Root: root}
	m := req.Manifest
	if m == nil {
		if m, err = readManifest(root); err != nil {
			return nil, Request{}, err
		}
	}
	names := req.Components
	for _, n := range names {
		if !cat.HasComponent(n) {
			return nil, Request{}, failure.Invalidf("catalog %s has no component %s", cat.ID, failure.Quote(n))
		}
	}
	if m != nil {
		nodes, err := m.AnswerNodes()
		if err != nil {
			return nil, Request{}, err
		}
		out.Answers = map[string]any{}
		for k, n := range nodes {
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, Request{}, failure.Invalidf("%s: answer %s: %w", manifest.FileName, failure.Quote(k), err)
			}
			out.Answers[k] = v
		}
		out.Restorable = m.Catalog.ID == cat.ID
		if len(names) == 0 {
			for _, c := range m.Components {
				if !cat.HasComponent(c.Name) {
					return nil, Request{}, failure.Invalidf("%s lists component %s, which catalog %s does not have", manifest.FileName, failure.Quote(c.Name), cat.ID)
				}
				names = append(names, c.Name)
			}
		}
	}
	if len(names) == 0 {
		return nil, Request{}, failure.Invalidf("%s has no %s and no --components were named: nothing to audit", failure.Quote(dir), manifest.FileName)
	}
	rs, err := Compile(cat, names)
	if err != nil {
		return nil, Request{}, err
	}
	return rs, out, nil
}

// readManifest returns the directory's parsed manifest, or nil when it has
// none.
func readManifest(root string) (*manifest.Manifest, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", root, err)
	}
	defer r.Close()
	data, err := readFile(r, manifest.FileName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, failure.Invalidf("read %s: %w", manifest.FileName, err)
	}
	return manifest.Parse(data)
}
