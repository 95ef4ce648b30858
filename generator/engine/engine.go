// Package engine orchestrates secgen's commands on a catalog: it resolves
// answers, renders a plan and applies it. It never prints, exits or touches a
// terminal; the CLI does that with what the engine returns.
package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/gitinit"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/plan"
	projectpkg "github.com/secgen/secgen/generator/project"
	"github.com/secgen/secgen/generator/render"
	"github.com/secgen/secgen/generator/writer"
)

// Engine runs commands against one catalog.
type Engine struct {
	Catalog *catalog.Catalog
	// Version is the secgen version recorded in manifests.
	Version string
	// Origin is where Catalog came from, as manifests record it; its ID
	// and Version are Catalog's. The zero value records the built-in
	// catalog without a digest.
	Origin manifest.CatalogRef
	// Keyring holds the armored public keys that verified Catalog (nil
	// when it was not verified). New commits them with the project as
	// .secgen/keyring.asc, so every clone (CI included) verifies the
	// catalog again with the same keys.
	Keyring []byte
	// Versions opens the catalog versions a project records, to re-render
	// merge bases (a *project.Project does); nil allows only Catalog.
	Versions VersionOpener
	// Auditor evaluates the catalog's audit rules when update judges what
	// it is about to write; update refuses to run without one.
	Auditor Auditor

	// failAfter is the writer's fault-injection seam, set only by this
	// package's tests.
	failAfter int
}

// NewRequest asks for a new project.
type NewRequest struct {
	// Blueprint names the starting point. When empty, Components are
	// rendered on their own (used by component goldens).
	Blueprint  string
	Components []string
	// Target is the directory to create; it must be absent or empty. When
	// empty, the project goes to ./NAME where NAME is the "name" answer.
	Target string
	// Set are "key=value" answers from the command line.
	Set []string
	// AnswersFile is the content of an answers file, or nil.
	AnswersFile []byte
	// Prompter asks for missing answers; nil disables input.
	Prompter answers.Prompter
	// Review, when set with a Prompter, is shown the project before it is
	// written and may have a section answered again (not in a dry run).
	Review Reviewer
	// DryRun computes the plan and writes nothing.
	DryRun bool
	// Git, when set, initialises a repository with an initial commit.
	Git *GitOptions
	// Without names components of the blueprint to leave out (for a
	// later `secgen add`).
	Without []string
	// StoreBases keeps, in a project without git, the generated content
	// under .secgen/base so `secgen update` can merge three ways.
	StoreBases bool
}

// GitOptions describe the initial commit.
type GitOptions struct {
	Author  gitinit.Author
	SignKey *openpgp.Entity
	When    time.Time // zero: now
	// Nested creates the repository even when the target is inside
	// another one; without it, a project inside an enclosing repository
	// (a monorepo) gets none and belongs to that one.
	Nested bool
}

// Result describes a rendered (and, unless a dry run, written) project.
type Result struct {
	Target     string
	Blueprint  string
	Components []string
	Controls   []string
	Answers    answers.Values
	// Placeholders are the placeholder defaults still in use, with the
	// files whose content carries them.
	Placeholders []PlaceholderUse
	// BeforeDeploy are the files to add and what the cluster must run,
	// which secgen cannot do (the components' before_deploy steps).
	BeforeDeploy []DeployStep
	Plan         *plan.Plan // includes the manifest
	Commit       string     // the initial commit, when git was requested
	// Enclosing is the work tree of the git repository the target is
	// inside, when git was requested and no nested repository was made
	// for that reason (the merge bases then go to .secgen/base).
	Enclosing string
}

// New renders a project and, unless req.DryRun, writes it atomically.
func (e *Engine) New(ctx context.Context, req NewRequest) (*Result, error) {
	components, bp, err := e.selection(req)
	if err != nil {
		return nil, err
	}
	// Refuse a bad target before asking any question. Without a target,
	// the project goes to ./NAME, known once the answers are.
	target, err := newTarget(req.Target)
	if err != nil {
		return nil, err
	}
	questions, err := e.Catalog.Questions(components)
	if err != nil {
		return nil, err
	}
	var again *answers.Redo // a section to answer again, after a review
	for {
		resolved, err := e.newAnswers(ctx, req, components, questions, bp, target, again)
		if err != nil {
			return nil, err
		}
		res, err := e.newResult(ctx, components, bp, target, resolved)
		if err != nil {
			return nil, err
		}
		if req.DryRun {
			return res, nil
		}
		if req.Review != nil && req.Prompter != nil {
			p := pending(res.Target, components, questions, resolved, len(res.Plan.Files))
			p.Blueprint = res.Blueprint
			v, err := req.Review.Review(ctx, p)
			if err != nil {
				return nil, err
			}
			if v.Edit != "" {
				if again, err = redo(v, p, resolved); err != nil {
					return nil, err
				}
				continue
			}
		}
		if err := writer.Create(ctx, res.Target, res.Plan, e.createOptions(req, res)); err != nil {
			return nil, err
		}
		return res, nil
	}
}

// newResult renders a new project with resolved answers into target (""
// is ./NAME).
func (e *Engine) newResult(ctx context.Context, components []string, bp *catalog.Blueprint, target string, resolved *answers.Resolution) (*Result, error) {
	values := resolved.Values
	if target == "" {
		name, ok := values["name"].(string)
		if !ok || name == "" {
			return nil, failure.Invalidf("name the target directory: the components ask no service name to default it to")
		}
		var err error
		if target, err = newTarget(name); err != nil {
			return nil, err
		}
	}
	applied, err := e.appliedControls(components, values)
	if err != nil {
		return nil, err
	}
	p, err := e.render(ctx, components, values, blueprintName(bp), applied)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Target:     target,
		Blueprint:  blueprintName(bp),
		Components: components,
		Controls:   applied,
		Answers:    values,
		Plan:       p,
	}
	res.Placeholders = placeholderUses(resolved.Placeholders, p)
	if res.BeforeDeploy, err = e.beforeDeploy(components, values, ""); err != nil {
		return nil, err
	}
	return res, nil
}

// newTarget makes a target absolute and checks it can receive a project;
// "" stays "".
func newTarget(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	target, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve target: %w", err)
	}
	return target, writer.CheckTarget(target)
}

// newAnswers resolves every question of the components from the request's
// sources and the blueprint's defaults.
func (e *Engine) newAnswers(ctx context.Context, req NewRequest, components []string, questions []answers.Asked, bp *catalog.Blueprint, target string, again *answers.Redo) (*answers.Resolution, error) {
	var file map[string]*yaml.Node
	if req.AnswersFile != nil {
		var err error
		if file, err = answers.ParseFile(req.AnswersFile); err != nil {
			return nil, err
		}
	}
	base := ""
	if target != "" {
		base = filepath.Base(target)
	}
	src := e.sources(components, base)
	src.Known, src.Set, src.File, src.Prompter, src.Redo = answers.Values{}, req.Set, file, req.Prompter, again
	if bp != nil {
		src.Defaults = nodes(bp.Defaults)
	}
	return answers.ResolveAll(ctx, questions, src)
}

// createOptions are the writer's options for a new project: the initial
// commit in a repository of its own (none inside an enclosing one, unless
// forced: the merge bases then go to .secgen/base), or the stored bases.
func (e *Engine) createOptions(req NewRequest, res *Result) writer.Options {
	opt := writer.Options{FailAfter: e.failAfter}
	git, storeBases := req.Git, req.StoreBases
	if git != nil && !git.Nested {
		if res.Enclosing = gitinit.Enclosing(filepath.Dir(res.Target)); res.Enclosing != "" {
			git, storeBases = nil, true
		}
	}
	switch {
	case git != nil:
		g, files := *git, res.Plan.Files
		opt.Finish = func(ctx context.Context, dir string) error {
			hash, err := gitinit.InitAndCommit(ctx, dir, files, gitinit.Options{
				Author:  g.Author,
				Message: commitMessage(res),
				SignKey: g.SignKey,
				When:    g.When,
			})
			res.Commit = hash
			return err
		}
	case storeBases:
		files := res.Plan.Files
		opt.Finish = func(ctx context.Context, dir string) error { return storeDirBases(ctx, dir, files) }
	}
	return opt
}

// sources are the answer sources every command shares: template defaults,
// conditions and section titles, rendered with the project's components.
func (e *Engine) sources(components []string, targetBase string) answers.Sources {
	return answers.Sources{
		ExpandDefault: func(text string, sofar answers.Values) (string, error) {
			return render.Expand(e.Catalog, components, text, sofar, targetBase)
		},
		Condition: func(text string, sofar answers.Values) (bool, error) {
			return render.Condition(e.Catalog, components, text, sofar, targetBase)
		},
		SectionTitle: e.Catalog.SectionTitle,
	}
}

// selection resolves the components of a request, in order.
func (e *Engine) selection(req NewRequest) ([]string, *catalog.Blueprint, error) {
	if req.Blueprint == "" {
		if len(req.Components) == 0 {
			return nil, nil, failure.Invalidf("name a blueprint or at least one component")
		}
		seen := map[string]bool{}
		comps := make([]*catalog.Component, 0, len(req.Components))
		for _, c := range req.Components {
			comp, err := e.Catalog.Component(c)
			if err != nil {
				return nil, nil, err
			}
			if seen[c] {
				return nil, nil, failure.Invalidf("component %q is named twice", c)
			}
			seen[c] = true
			comps = append(comps, comp)
		}
		for _, comp := range comps {
			for _, r := range comp.Requires {
				if !seen[r] {
					return nil, nil, failure.Invalidf("component %s requires component %s", comp.Name, r)
				}
			}
		}
		return append([]string(nil), req.Components...), nil, nil
	}
	bp, err := e.Catalog.Blueprint(req.Blueprint)
	if err != nil {
		return nil, nil, err
	}
	components, err := e.without(bp, req.Without)
	if err != nil {
		return nil, nil, err
	}
	return components, bp, nil
}

// render renders components and appends the manifest, which records the
// applied controls.
func (e *Engine) render(ctx context.Context, components []string, values answers.Values, blueprint string, applied []string) (*plan.Plan, error) {
	rendered, err := e.renderPlan(ctx, render.Input{Catalog: e.Catalog, Present: components, Answers: values})
	if err != nil {
		return nil, err
	}
	files := rendered.Files
	m, err := e.manifest(components, values, blueprint, files, applied)
	if err != nil {
		return nil, err
	}
	data, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	files = append(files, plan.File{Path: manifest.FileName, Mode: plan.ModeFile, Content: data, Component: "secgen"})
	if e.Keyring != nil {
		files = append(files, plan.File{Path: projectpkg.KeyringFile, Mode: plan.ModeFile, Content: e.Keyring, Component: "secgen"})
	}
	return plan.New(files)
}

func (e *Engine) manifest(components []string, values answers.Values, blueprint string, files []plan.File, applied []string) (*manifest.Manifest, error) {
	node, err := manifest.AnswersNode(values)
	if err != nil {
		return nil, err
	}
	m := &manifest.Manifest{
		Schema:        manifest.SchemaVersion,
		SecgenVersion: e.Version,
		Catalog:       e.catalogRef(),
		Blueprint:     blueprint,
		Controls:      applied,
		Answers:       node,
		Files:         manifest.Records(files),
	}
	for _, name := range components {
		comp, err := e.Catalog.Component(name)
		if err != nil {
			return nil, err
		}
		m.Components = append(m.Components, manifest.ComponentRef{Name: comp.Name, Version: comp.Version})
	}
	return m, nil
}

// appliedControls are the controls the components implement with these
// answers (each control's condition evaluated) plus those secgen itself
// implements while generating (for example SEC-02: it took no secret), in
// registry order.
func (e *Engine) appliedControls(components []string, values answers.Values) ([]string, error) {
	return render.AppliedControls(render.Input{Catalog: e.Catalog, Present: components, Answers: values})
}

func commitMessage(res *Result) string {
	what := res.Blueprint
	if what == "" {
		what = fmt.Sprint(res.Components)
	}
	return fmt.Sprintf("Initial commit: generated by secgen (%s)\n\nControls applied: %d, listed in %s.\n", what, len(res.Controls), manifest.FileName)
}

func blueprintName(bp *catalog.Blueprint) string {
	if bp == nil {
		return ""
	}
	return bp.Name
}
