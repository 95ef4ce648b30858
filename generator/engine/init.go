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
// writes nothing else.
func (e *Engine) Init(ctx context.Context, req InitRequest) (*ProjectResult, error) {
	var components []string
	if req.Blueprint != "" {
		bp, err := e.Catalog.Blueprint(req.Blueprint)
		if err != nil {
			return nil, err
		}
		components = bp.Components
	}
	root, err := projectpkg.ResolveDir(req.Dir)
	if err != nil {
		return nil, err
	}
	p, err := lockProject(root, req.DryRun)
	if err != nil {
		return nil, err
	}
	defer p.release()
	if _, err := os.Lstat(filepath.Join(root, manifest.FileName)); !errors.Is(err, fs.ErrNotExist) {
		if err != nil {
			return nil, err
		}
		return nil, failure.Invalidf("%s already has %s: use secgen add or secgen update there", failure.Quote(root), manifest.FileName)
	}
	empty := &manifest.Manifest{Blueprint: req.Blueprint}
	_, all, err := e.projectAnswers(ctx, root, empty, components, answerInput{Set: req.Set, AnswersFile: req.AnswersFile, Prompter: req.Prompter})
	if err != nil {
		return nil, err
	}
	o := newOutcome(p, []string{})
	next := e.nextManifest(empty, []manifest.ComponentRef{}, e.catalogRef(), []manifest.FileRecord{}, o)
	data, err := e.encodeManifest(next, all)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open project: %w", err)
	}
	defer r.Close()
	if err := e.commit(ctx, p, o, r, data, nil, req.DryRun); err != nil {
		return nil, err
	}
	return o.res, nil
}
