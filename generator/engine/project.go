package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/base"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lock"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/merge"
	"github.com/secgen/secgen/generator/plan"
	projectpkg "github.com/secgen/secgen/generator/project"
	"github.com/secgen/secgen/generator/render"
	"github.com/secgen/secgen/generator/writer"
)

// Action says what a command does, or would do, to one path.
type Action string

// The actions of add, update and init.
const (
	ActionCreate    Action = "create"    // absent; written
	ActionUnchanged Action = "unchanged" // already holds secgen's content
	ActionReplace   Action = "replace"   // unchanged by the user; replaced by the new content
	ActionMerge     Action = "merge"     // changed on both sides; merged cleanly
	ActionConflict  Action = "conflict"  // changed on both sides; written with conflict markers (update) or refused (add)
	ActionSkip      Action = "skip"      // differs from secgen's content; the user's file is kept (add --conflict=skip)
	ActionNew       Action = "new"       // differs, or became the user's; secgen's content written beside it as <path>.secgen-new
	ActionRemove    Action = "remove"    // no longer rendered and unchanged; removed
	ActionKeep      Action = "keep"      // no longer rendered but changed by the user; kept and no longer tracked
	ActionMove      Action = "move"      // the file moved to a new path (a declared rename, or a path over answers that changed), the user's edits kept
	ActionManifest  Action = "manifest"  // the manifest itself
)

// FileChange is one path a project command looked at.
type FileChange struct {
	Path      string
	Component string
	Action    Action
	// Old is the file's content on disk before (nil when absent), New what
	// the command writes (nil when it removes or leaves the file).
	Old, New []byte
	// Written is the path New goes to when it is not Path (<path>.secgen-new).
	Written string
	// Mode is the mode New is written with.
	Mode fs.FileMode
	// Reason is a one-line explanation for conflicts, skips and keeps.
	Reason string
}

// Writes reports whether the change writes or removes a file.
func (c FileChange) Writes() bool {
	switch c.Action {
	case ActionCreate, ActionReplace, ActionMerge, ActionMove, ActionNew, ActionRemove, ActionManifest:
		return true
	case ActionConflict:
		return c.New != nil
	}
	return false
}

// ProjectResult is what add, update and init did (or, in a dry run, would
// do) to a project.
type ProjectResult struct {
	Root       string
	Components []string // the project's components afterwards
	Changes    []FileChange
	// Conflicts are the changes whose Action is ActionConflict.
	Conflicts []FileChange
	// Finished is true when an earlier run that was interrupted after its
	// commit point was finished first.
	Finished bool
	// Recovered lists files kept while finishing that run.
	Recovered []string
	// Wrote is false in a dry run and when add refused on conflicts.
	Wrote bool
	// Weakenings are the controls update's changes made fail (update only,
	// not in a dry run).
	Weakenings []Weakening
	// Notices are one-line messages for the user (answers defaulted or
	// dropped).
	Notices []string
	// Skipped lists the rendered paths the manifest's skip patterns keep
	// secgen away from.
	Skipped []string
}

// ConflictPolicy says what add does with a file that exists and differs.
type ConflictPolicy string

// The conflict policies of add.
const (
	ConflictFail ConflictPolicy = "fail" // write nothing, report (default)
	ConflictSkip ConflictPolicy = "skip" // keep the user's file
	ConflictNew  ConflictPolicy = "new"  // write <path>.secgen-new beside it
	// ConflictMark is update's: merge, and write overlapping changes with
	// conflict markers.
	ConflictMark ConflictPolicy = "mark"
)

// project is an opened, locked project.
type project struct {
	root     string
	lock     *lock.Lock // nil in a dry run
	manifest *manifest.Manifest
	recov    writer.Recovered
}

func (p *project) release() {
	if p.lock != nil {
		_ = p.lock.Release()
		p.lock = nil
	}
}

// lockProject takes the project's lock and finishes an interrupted run.
// A dry run takes no lock and refuses to look at a half-finished change.
func lockProject(root string, dryRun bool) (*project, error) {
	p := &project{root: root}
	if dryRun {
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(writer.TxnDir))); err == nil {
			return nil, fmt.Errorf("an interrupted secgen run left %s; run the command for real (not as a dry run) to finish it first", writer.TxnDir)
		}
		return p, nil
	}
	l, err := lock.Acquire(filepath.Join(root, lock.FileName))
	if err != nil {
		return nil, err
	}
	p.lock = l
	rec, err := writer.Recover(root)
	if err != nil {
		p.release()
		return nil, err
	}
	p.recov = rec
	return p, nil
}

// openOptions tune openProject.
type openOptions struct {
	dryRun         bool
	allowDowngrade bool
	allowDirty     bool
}

// ErrDowngrade is wrapped by the refusal of a catalog older than the one
// a project records, or of another catalog.
var ErrDowngrade = errors.New("catalog downgrade")

// ErrUnresolved is wrapped by the refusal to work on a project whose
// recorded conflicts still hold markers.
var ErrUnresolved = errors.New("unresolved conflicts")

// openProject locks the project (opened, or else found from dir) and
// takes its manifest: the one the opening layer read, unless finishing an
// interrupted run changed it. It refuses another catalog or an older
// version of the recorded one unless allowed, and a project whose recorded
// conflicts still hold markers.
func (e *Engine) openProject(opened *projectpkg.Project, dir string, opt openOptions) (*project, error) {
	root, m := "", (*manifest.Manifest)(nil)
	if opened != nil && opened.Manifest != nil {
		root, m = opened.Root, opened.Manifest
	} else {
		var err error
		if root, _, err = projectpkg.Locate(dir); err != nil {
			return nil, err
		}
	}
	p, err := lockProject(root, opt.dryRun)
	if err != nil {
		return nil, err
	}
	if m == nil || p.recov.RolledForward {
		read, err := readManifest(root)
		if err != nil {
			p.release()
			return nil, err
		}
		if m != nil && read.Catalog != m.Catalog {
			p.release()
			return nil, fmt.Errorf("finishing an interrupted secgen run changed the project's catalog; run the command again")
		}
		m = read
	}
	if err := e.checkDowngrade(m.Catalog, opt.allowDowngrade); err != nil {
		p.release()
		return nil, err
	}
	if err := unresolved(root, m.Conflicts); err != nil {
		p.release()
		return nil, err
	}
	if !opt.allowDirty && !opt.dryRun {
		if err := checkClean(root); err != nil {
			p.release()
			return nil, err
		}
	}
	for _, c := range m.Components {
		if !e.Catalog.HasComponent(c.Name) {
			p.release()
			return nil, failure.Invalidf("%s lists component %s, which catalog %s does not have", manifest.FileName, failure.Quote(c.Name), e.Catalog.ID)
		}
	}
	p.manifest = m
	return p, nil
}

// checkDowngrade refuses a catalog other than the recorded one, or an
// older version of it, unless allowed.
func (e *Engine) checkDowngrade(rec manifest.CatalogRef, allow bool) error {
	if allow {
		return nil
	}
	if rec.ID != e.Catalog.ID {
		return failure.Invalid(&refusal{fmt.Sprintf("this project comes from catalog %s, not %s", failure.Quote(rec.ID), failure.Quote(e.Catalog.ID)), ErrDowngrade})
	}
	if compareVersions(e.Catalog.Version, rec.Version) < 0 {
		return failure.Invalid(&refusal{fmt.Sprintf("this project was generated by catalog %s %s, newer than this catalog's %s", rec.ID, rec.Version, e.Catalog.Version), ErrDowngrade})
	}
	return nil
}

// unresolved refuses while a file recorded as conflicted still holds a
// conflict marker line.
func unresolved(root string, conflicts []string) error {
	if len(conflicts) == 0 {
		return nil
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("open project: %w", err)
	}
	defer r.Close()
	var still []string
	for _, c := range conflicts {
		b, err := readProjectFile(r, c)
		if err != nil && !errors.Is(err, errNotRegular) {
			return err
		}
		if merge.MarkerLine(b) > 0 {
			still = append(still, c)
		}
	}
	if len(still) == 0 {
		return nil
	}
	return failure.Invalid(&refusal{fmt.Sprintf("%d file(s) still hold conflict markers from an earlier run: %s; resolve the marked lines (<<<<<<< yours ... >>>>>>> secgen) first", len(still), strings.Join(still, ", ")), ErrUnresolved})
}

// refusal is an error that errors.Is matches to its kind (ErrDowngrade,
// ErrUnresolved) without repeating the kind's text.
type refusal struct {
	msg  string
	kind error
}

func (r *refusal) Error() string        { return r.msg }
func (r *refusal) Is(target error) bool { return target == r.kind }

// readManifest reads and parses root's manifest.
func readManifest(root string) (*manifest.Manifest, error) { return projectpkg.ReadManifest(root) }

// componentNames lists the manifest's components in order.
func componentNames(m *manifest.Manifest) []string {
	out := make([]string, 0, len(m.Components))
	for _, c := range m.Components {
		out = append(out, c.Name)
	}
	return out
}

// answerInput is what a project command knows about answers.
type answerInput struct {
	Set         []string
	AnswersFile []byte
	Prompter    answers.Prompter
	// Change lets Set and AnswersFile change recorded answers (update).
	Change bool
	// notices, when set, collects what the user should be told.
	notices *[]string
}

// asksAnywhere reports whether any component of the catalog asks question
// name.
func (e *Engine) asksAnywhere(name string) bool {
	qs, err := e.Catalog.Questions(e.Catalog.ComponentNames())
	if err != nil {
		return true // keep what cannot be judged
	}
	return slices.ContainsFunc(qs, func(q answers.Asked) bool { return q.Name == name })
}

// projectAnswers parses the recorded answers against the questions of
// components and asks (or defaults) only the questions not answered yet.
// It returns the values of those questions, for rendering, and every
// recorded answer, for the manifest (answers of questions no present
// component asks, such as those init recorded, are kept as they are).
func (e *Engine) projectAnswers(ctx context.Context, root string, m *manifest.Manifest, components []string, in answerInput) (values answers.Values, all map[string]any, err error) {
	questions, err := e.Catalog.Questions(components)
	if err != nil {
		return nil, nil, err
	}
	stored, err := m.AnswerNodes()
	if err != nil {
		return nil, nil, err
	}
	known := answers.Values{}
	var ask []answers.Asked
	asked := map[string]answers.Asked{}
	for _, q := range questions {
		asked[q.Name] = q
		n, ok := stored[q.Name]
		if !ok {
			ask = append(ask, q)
			continue
		}
		v, err := answers.ParseNode(q.Question, n)
		if err == nil {
			err = q.Check(v)
		}
		if err != nil {
			return nil, nil, failure.Invalidf("%s: recorded answer %q: %w", manifest.FileName, q.Name, err)
		}
		known[q.Name] = v
	}
	// Recorded answers stand for add: --set may not change them, and an
	// answers file (often the one `new` used) may repeat them. Update may
	// change them (in.Change): the new value is validated as in new.
	var set []string
	for _, kv := range in.Set {
		key, text, _ := strings.Cut(kv, "=")
		if v, ok := known[key]; ok {
			if answers.FormatText(v) == text {
				continue
			}
			if !in.Change {
				return nil, nil, failure.Invalidf("answer %q is recorded in %s as %s; add does not change recorded answers (update does)", key, manifest.FileName, failure.Quote(answers.FormatText(v)))
			}
			delete(known, key)
			ask = append(ask, asked[key])
		}
		set = append(set, kv)
	}
	var file map[string]*yaml.Node
	if in.AnswersFile != nil {
		file, err = answers.ParseFile(in.AnswersFile)
		if err != nil {
			return nil, nil, err
		}
		for k := range file {
			if _, ok := known[k]; !ok {
				continue
			}
			if in.Change {
				delete(known, k)
				ask = append(ask, asked[k])
			} else {
				delete(file, k)
			}
		}
	}
	src := e.sources(components, filepath.Base(root))
	src.Known, src.Set, src.File, src.Prompter = known, set, file, in.Prompter
	if bp, err := e.Catalog.Blueprint(m.Blueprint); m.Blueprint != "" && err == nil {
		src.Defaults = nodes(bp.Defaults)
	}
	values, err = answers.Resolve(ctx, ask, src)
	if err != nil {
		return nil, nil, err
	}
	if in.notices != nil {
		var fresh []string
		for _, q := range ask {
			// A question whose condition is false was not asked: no notice.
			if _, active := values[q.Name]; !active {
				continue
			}
			if _, recorded := stored[q.Name]; recorded {
				continue
			}
			if !slices.ContainsFunc(set, func(kv string) bool { return strings.HasPrefix(kv, q.Name+"=") }) && file[q.Name] == nil {
				fresh = append(fresh, q.Name)
			}
		}
		if len(fresh) > 0 && in.Prompter == nil {
			*in.notices = append(*in.notices, "the catalog asks new question(s), answered with their defaults: "+strings.Join(fresh, ", ")+"")
		}
	}
	all = map[string]any{}
	var dropped []string
	for k, n := range stored {
		if _, ok := asked[k]; ok {
			continue
		}
		if in.Change && !e.asksAnywhere(k) {
			dropped = append(dropped, k)
			continue
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, nil, failure.Invalidf("%s: recorded answer %q: %w", manifest.FileName, k, err)
		}
		all[k] = v
	}
	for k, v := range values {
		all[k] = v
	}
	if len(dropped) > 0 && in.notices != nil {
		sort.Strings(dropped)
		*in.notices = append(*in.notices, "recorded answer(s) no question of the catalog asks any more were dropped: "+strings.Join(dropped, ", "))
	}
	return values, all, nil
}

// encodeManifest sets the answers of m and encodes it, its lists sorted.
func (e *Engine) encodeManifest(m *manifest.Manifest, all map[string]any) ([]byte, error) {
	node, err := manifest.AnswersNode(all)
	if err != nil {
		return nil, err
	}
	m.Answers = node
	// The controls applied with these answers; a directory adopted by init
	// has no components and so none.
	m.Controls = []string{}
	if len(m.Components) > 0 {
		names := make([]string, len(m.Components))
		for i, c := range m.Components {
			names[i] = c.Name
		}
		if m.Controls, err = e.appliedControls(names, all); err != nil {
			return nil, err
		}
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	sort.Strings(m.Skip)
	m.Conflicts = slices.Compact(slices.Sorted(slices.Values(m.Conflicts)))
	return m.Marshal()
}

// readProjectFile reads a file of the project: nil when absent; an error
// when something other than a regular file is there.
func readProjectFile(r *os.Root, p string) ([]byte, error) {
	b, _, err := readProjectFileInfo(r, p)
	return b, err
}

// readProjectFileInfo is readProjectFile that also returns what Lstat said
// (nil when absent).
func readProjectFileInfo(r *os.Root, p string) ([]byte, fs.FileInfo, error) {
	info, err := r.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("inspect %s: %w", p, err)
	}
	if !info.Mode().IsRegular() {
		return nil, info, errNotRegular
	}
	f, err := r.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	b := make([]byte, 0, info.Size()+1)
	b, err = readAllInto(b, io.LimitReader(f, render.MaxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, info, nil
}

// readAllInto reads r to its end into b.
func readAllInto(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

var errNotRegular = errors.New("not a regular file")

// isNotDir is true when a path cannot exist because one of its parents is
// a file.
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// expectOf is the writer's expectation for content read by readProjectFile.
func expectOf(old []byte) string {
	if old == nil {
		return ""
	}
	return plan.File{Content: old}.SHA256()
}

// renderPlan renders into a checked plan: every path valid and unique, and
// none that secgen keeps for itself (the manifest, the lock, stored bases).
func (e *Engine) renderPlan(ctx context.Context, in render.Input) (*plan.Plan, error) {
	files, err := render.Render(ctx, in)
	if err != nil {
		return nil, err
	}
	p, err := plan.New(files)
	if err != nil {
		return nil, err
	}
	for _, f := range p.Files {
		if manifest.Reserved(f.Path) {
			return nil, failure.Invalidf("component %s renders %s, a path secgen keeps for itself", f.Component, failure.Quote(f.Path))
		}
	}
	return p, nil
}

// mergeOptions label conflict markers for users.
var mergeOptions = merge.Options{OursLabel: "yours", TheirsLabel: "secgen"}

// storeBases records the content secgen generated, so the next update can
// merge against it.
func storeBases(root string, files []plan.File) (*base.Store, error) {
	s, err := base.Open(root)
	if err != nil {
		return nil, err
	}
	if !s.HasGit() {
		contents := make([][]byte, 0, len(files))
		for _, f := range files {
			contents = append(contents, f.Content)
		}
		return s, base.PutDirAll(root, contents)
	}
	for _, f := range files {
		if _, err := s.Put(f.Content); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// catalogRef is the catalog reference new manifests record.
func (e *Engine) catalogRef() manifest.CatalogRef {
	ref := e.Origin
	if ref.Source == "" {
		ref = manifest.CatalogRef{Source: "builtin"}
	}
	ref.ID, ref.Version = e.Catalog.ID, e.Catalog.Version
	return ref
}
