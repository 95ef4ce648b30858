package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/base"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/render"
)

// VersionOpener opens the catalog a manifest records, at exactly the
// recorded version (a git catalog at its recorded commit), so update can
// re-render what secgen wrote last time. It returns an error saying what
// is missing when it cannot. The project-opening layer implements it
// (project.Project).
type VersionOpener interface {
	OpenVersion(ctx context.Context, ref manifest.CatalogRef) (*catalog.Catalog, error)
}

// VersionFunc adapts a function to VersionOpener.
type VersionFunc func(ctx context.Context, ref manifest.CatalogRef) (*catalog.Catalog, error)

// OpenVersion calls f.
func (f VersionFunc) OpenVersion(ctx context.Context, ref manifest.CatalogRef) (*catalog.Catalog, error) {
	return f(ctx, ref)
}

// baseFinder finds the merge base of a file: what the recorded catalog
// version renders with the recorded answers, checked against the recorded
// git blob id; stored objects (git, .secgen/base) are only a fallback.
// The walk's gather renders each earlier version it needs once, up front
// (load, loadPrevious), before any path is decided.
type baseFinder struct {
	ctx      context.Context
	e        *Engine
	root     string
	m        *manifest.Manifest
	store    *base.Store
	rendered map[string][]byte
	// sources maps each template identity (plan.File.Source) the recorded
	// version rendered to the path it rendered to.
	sources map[string]string
	missing string // why the recorded version could not be rendered
	tried   bool
	// previous is what the catalog before the last update renders.
	previous      map[string][]byte
	triedPrevious bool
}

// loadPrevious renders, once, the catalog version the project was at
// before its last update.
func (b *baseFinder) loadPrevious() {
	if b.m.Previous != nil && !b.triedPrevious {
		b.triedPrevious = true
		b.previous, _, _ = b.renderAt(*b.m.Previous)
	}
}

// previousAt returns what the version before the last update renders at
// path (loaded by loadPrevious), or nil.
func (b *baseFinder) previousAt(path string) []byte { return b.previous[path] }

// find returns the base of rec, or nil and why it is not available.
func (b *baseFinder) find(rec manifest.FileRecord) ([]byte, string, error) {
	b.load()
	if c, ok := b.rendered[rec.Path]; ok && (rec.GitBlob == "" || base.BlobID(c) == rec.GitBlob) {
		return c, "", nil
	}
	if rec.GitBlob == "" {
		return nil, b.why(), nil
	}
	if b.store == nil {
		s, err := base.Open(b.root)
		if err != nil {
			return nil, "", err
		}
		b.store = s
	}
	c, err := b.store.Get(rec.GitBlob)
	switch {
	case errors.Is(err, base.ErrNotFound):
		return nil, b.why(), nil
	case err != nil:
		return nil, "", err
	}
	return c, "", nil
}

// load renders the recorded version once.
func (b *baseFinder) load() {
	if !b.tried {
		b.tried = true
		b.rendered, b.sources, b.missing = b.renderAt(b.m.Catalog)
	}
}

// recordedSources maps each template identity of the recorded version to
// the path it rendered with the recorded answers; nil when that version
// cannot be rendered.
func (b *baseFinder) recordedSources() map[string]string {
	b.load()
	return b.sources
}

func (b *baseFinder) why() string {
	if b.missing != "" {
		return b.missing
	}
	return fmt.Sprintf("catalog %s %s renders it differently than recorded", b.m.Catalog.ID, b.m.Catalog.Version)
}

// renderAt renders the recorded components with the recorded answers from
// catalog version ref.
func (b *baseFinder) renderAt(ref manifest.CatalogRef) (map[string][]byte, map[string]string, string) {
	cat := b.e.Catalog
	if !sameVersion(ref, b.e.catalogRef()) {
		if b.e.Versions == nil {
			return nil, nil, fmt.Sprintf("catalog %s %s cannot be opened here", ref.ID, ref.Version)
		}
		c, err := b.e.Versions.OpenVersion(b.ctx, ref)
		if err != nil {
			return nil, nil, err.Error()
		}
		cat = c
	}
	components := componentNames(b.m)
	values, err := recordedValues(cat, b.m, components)
	if err != nil {
		return nil, nil, err.Error()
	}
	p, err := b.e.renderPlan(b.ctx, render.Input{Catalog: cat, Present: components, Answers: values})
	if err != nil {
		return nil, nil, fmt.Sprintf("catalog %s %s does not render the recorded project: %v", ref.ID, ref.Version, err)
	}
	out := make(map[string][]byte, len(p.Files))
	sources := make(map[string]string, len(p.Files))
	for _, f := range p.Files {
		out[f.Path] = f.Content
		sources[f.Source] = f.Path
	}
	return out, sources, ""
}

// recordedValues parses the recorded answers against cat's questions.
func recordedValues(cat *catalog.Catalog, m *manifest.Manifest, components []string) (answers.Values, error) {
	questions, err := cat.Questions(components)
	if err != nil {
		return nil, err
	}
	stored, err := m.AnswerNodes()
	if err != nil {
		return nil, err
	}
	values := answers.Values{}
	for _, q := range questions {
		n, ok := stored[q.Name]
		if !ok {
			continue
		}
		v, err := answers.ParseNode(q.Question, n)
		if err != nil {
			return nil, fmt.Errorf("recorded answer %q: %w", q.Name, err)
		}
		values[q.Name] = v
	}
	return values, nil
}

// sameVersion reports whether two references name the same catalog
// content.
func sameVersion(a, b manifest.CatalogRef) bool {
	return a.ID == b.ID && a.Version == b.Version && a.Commit == b.Commit && a.Digest == b.Digest && a.Source == b.Source
}
