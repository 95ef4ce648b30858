package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
	projectpkg "github.com/secgen/secgen/generator/project"
)

// InitRequest asks to adopt an existing directory.
type InitRequest struct {
	Dir string // "" is the working directory
	// Blueprint, when set, answers its components' questions now, so later
	// `secgen add`s ask nothing, and gives them its defaults.
	Blueprint   string
	Set         []string
	AnswersFile []byte
	Prompter    answers.Prompter
	DryRun      bool
}

// Init adopts a directory secgen did not create: it records a manifest with
// the answers and no components or files, so `secgen add` works there, and
// writes nothing else. It goes through the steps of every project verb:
// gather (the answers), decide (the per-file walk, over the no files init
// renders) and commit.
func (e *Engine) Init(ctx context.Context, req InitRequest) (*ProjectResult, error) {
	p, in, err := e.gatherInit(ctx, req)
	if err != nil {
		return nil, err
	}
	defer p.release()
	defer in.r.Close()
	o := newOutcome(p, []string{})
	if err := e.newWalk(ctx, p, in.r, o, ConflictMark).walk(nil, false); err != nil {
		return nil, err
	}
	next := e.nextManifest(p.manifest, []manifest.ComponentRef{}, e.catalogRef(), []manifest.FileRecord{}, o)
	data, err := e.encodeManifest(next, in.all)
	if err != nil {
		return nil, err
	}
	if err := e.commit(ctx, p, o, in.r, data, nil, req.DryRun); err != nil {
		return nil, err
	}
	return o.res, nil
}

// initInput is what init gathers: the answers and the directory's root.
type initInput struct {
	all map[string]any
	r   *os.Root
}

// gatherInit locks the directory, checks it has no manifest yet and
// resolves the answers of the blueprint's components (none without one).
func (e *Engine) gatherInit(ctx context.Context, req InitRequest) (*project, *initInput, error) {
	var components []string
	if req.Blueprint != "" {
		bp, err := e.Catalog.Blueprint(req.Blueprint)
		if err != nil {
			return nil, nil, err
		}
		components = bp.Components
	}
	root, err := projectpkg.ResolveDir(req.Dir)
	if err != nil {
		return nil, nil, err
	}
	p, err := lockProject(root, req.DryRun)
	if err != nil {
		return nil, nil, err
	}
	in, err := e.initAnswers(ctx, p, components, req)
	if err != nil {
		p.release()
		return nil, nil, err
	}
	return p, in, nil
}

// initAnswers refuses a directory that has a manifest, then resolves the
// answers into an empty manifest and opens the root.
func (e *Engine) initAnswers(ctx context.Context, p *project, components []string, req InitRequest) (*initInput, error) {
	if _, err := os.Lstat(filepath.Join(p.root, manifest.FileName)); !errors.Is(err, fs.ErrNotExist) {
		if err != nil {
			return nil, err
		}
		return nil, failure.Invalidf("%s already has %s: use secgen add or secgen update there", failure.Quote(p.root), manifest.FileName)
	}
	p.manifest = &manifest.Manifest{Blueprint: req.Blueprint}
	_, all, err := e.projectAnswers(ctx, p.root, p.manifest, components, answerInput{Set: req.Set, AnswersFile: req.AnswersFile, Prompter: req.Prompter})
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(p.root)
	if err != nil {
		return nil, fmt.Errorf("open project: %w", err)
	}
	return &initInput{all: all, r: r}, nil
}
