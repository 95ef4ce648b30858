package goldentest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/plan"
)

// Render renders a case with the catalog and returns the plan its tree must
// equal: for a blueprint or component case, what `secgen new` writes; for an
// add case, what `secgen add` writes onto a fresh project. Add cases need a
// scratch project; it lives in a temporary directory removed on return.
func Render(ctx context.Context, cat *catalog.Catalog, c Case) (*plan.Plan, error) {
	scratch, err := os.MkdirTemp("", "secgen-golden-")
	if err != nil {
		return nil, fmt.Errorf("%s: scratch directory: %w", c.Name, err)
	}
	defer os.RemoveAll(scratch)
	root := filepath.Join(scratch, TargetBase)
	eng := &engine.Engine{Catalog: cat, Version: Version}
	if c.Spec.Add != "" {
		return renderAdd(ctx, eng, c, root)
	}
	req := engine.NewRequest{
		Blueprint:   c.Spec.Blueprint,
		Target:      root,
		AnswersFile: c.Answers,
		DryRun:      true,
		Without:     c.Spec.Without,
	}
	if c.Spec.Component != "" {
		req.Components = []string{c.Spec.Component}
	}
	res, err := eng.New(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("%s: render: %w", c.Name, err)
	}
	return res.Plan, nil
}

// renderAdd starts a project from the case's blueprint without the
// component at root, then adds the component in a dry run and returns what
// add would write.
func renderAdd(ctx context.Context, eng *engine.Engine, c Case, root string) (*plan.Plan, error) {
	bp, err := eng.Catalog.Blueprint(c.Spec.Blueprint)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	rest := slices.DeleteFunc(slices.Clone(bp.Components), func(n string) bool { return n == c.Spec.Add })
	if len(rest) == len(bp.Components) {
		return nil, failure.Invalidf("%s: blueprint %s has no component %s", c.Name, bp.Name, failure.Quote(c.Spec.Add))
	}
	if len(rest) == 0 {
		if err := os.Mkdir(root, 0o755); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		_, err = eng.Init(ctx, engine.InitRequest{Dir: root, Blueprint: bp.Name, AnswersFile: c.Answers})
	} else {
		_, err = eng.New(ctx, engine.NewRequest{Blueprint: bp.Name, Target: root, AnswersFile: c.Answers, Without: []string{c.Spec.Add}})
	}
	if err != nil {
		return nil, fmt.Errorf("%s: start the project: %w", c.Name, err)
	}
	res, err := eng.Add(ctx, engine.AddRequest{Dir: root, Component: c.Spec.Add, AnswersFile: c.Answers, DryRun: true})
	if err != nil {
		return nil, fmt.Errorf("%s: add: %w", c.Name, err)
	}
	if len(res.Conflicts) > 0 {
		return nil, fmt.Errorf("%s: adding %s onto a fresh project conflicts on %d file(s)", c.Name, c.Spec.Add, len(res.Conflicts))
	}
	var files []plan.File
	for _, ch := range res.Changes {
		if ch.Writes() {
			files = append(files, plan.File{Path: ch.Path, Mode: ch.Mode, Content: ch.New, Component: ch.Component})
		}
	}
	p, err := plan.New(files)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	return p, nil
}
