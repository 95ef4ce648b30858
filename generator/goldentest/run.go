package goldentest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/merge"
	"github.com/secgen/secgen/generator/plan"
	"github.com/secgen/secgen/generator/writer"
)

// Status is the outcome of one case.
type Status string

// The statuses of a case.
const (
	// Pass: the rendered tree equals tree/.
	Pass Status = "pass"
	// Fail: the rendered tree differs from tree/.
	Fail Status = "fail"
	// Updated: the tree differed and was re-recorded (Options.Update).
	Updated Status = "updated"
	// Error: the case could not be rendered or its tree not read.
	Error Status = "error"
)

// Kind says how one file differs.
type Kind string

// The kinds of difference.
const (
	// Content: the file's bytes differ; Diff holds the unified diff.
	Content Kind = "content"
	// Mode: the file's executable bit differs.
	Mode Kind = "mode"
	// Missing: tree/ holds the file but the render does not produce it.
	Missing Kind = "missing"
	// Extra: the render produces the file but tree/ does not hold it.
	Extra Kind = "extra"
)

// Difference is one file of a case that differs from its golden tree.
type Difference struct {
	Path string `json:"path"`
	Kind Kind   `json:"kind"`
	// Want and Got are the modes for a Mode difference, also given as
	// octal strings ("0755") in JSON.
	Want     fs.FileMode `json:"-"`
	Got      fs.FileMode `json:"-"`
	WantMode string      `json:"want_mode,omitempty"`
	GotMode  string      `json:"got_mode,omitempty"`
	// Diff is the unified diff from tree/ (a/) to the render (b/) for a
	// Content difference.
	Diff string `json:"diff,omitempty"`
}

// Result is the outcome of one case.
type Result struct {
	Case        string       `json:"name"`
	Status      Status       `json:"status"`
	Differences []Difference `json:"differences,omitempty"`
	// Findings are the audit findings of the case's render under its
	// catalog's own rules (Prove only); a golden case must have none.
	Findings []audit.Finding `json:"findings,omitempty"`
	// Diagnostics are what that audit could not judge and that fails it (a
	// file it cannot parse, a rule over its cost limit).
	Diagnostics []audit.Diagnostic `json:"diagnostics,omitempty"`
	// Err is why a case has status Error.
	Err error `json:"-"`
}

// Options tune Run.
type Options struct {
	// Update re-records the tree of every differing case.
	Update bool
}

// Run renders and compares every case, in parallel, and returns one result
// per case in the order given. cases are all the cases of one goldens
// directory: a case's tree may refer to content another case's tree holds
// (see Store). With opt.Update, the trees are laid out again from the
// renders, each distinct output once, and every tree that changes is
// replaced atomically; cases whose tree changed only in layout are Updated
// too. A case that fails to render is an Error result, not an error of Run:
// the other cases still run, and its tree is kept.
func Run(ctx context.Context, cat *catalog.Catalog, cases []Case, opt Options) []Result {
	results, _ := run(ctx, cat, cases, opt)
	return results
}

// run is Run, returning each case's render too (nil when it failed).
func run(ctx context.Context, cat *catalog.Catalog, cases []Case, opt Options) ([]Result, []*plan.Plan) {
	results := make([]Result, len(cases))
	plans := make([]*plan.Plan, len(cases))
	store, storeErr := OpenStore(cases)
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(cases)) {
		wg.Go(func() {
			for i := range work {
				results[i], plans[i] = runCase(ctx, cat, cases[i], store, storeErr, opt)
			}
		})
	}
	for i := range cases {
		work <- i
	}
	close(work)
	wg.Wait()
	if opt.Update {
		relayout(ctx, cases, plans, store, storeErr, results)
	}
	return results, plans
}

// runCase renders and compares one case; it returns the render unless the
// case could not be rendered.
func runCase(ctx context.Context, cat *catalog.Catalog, c Case, store *Store, storeErr error, opt Options) (Result, *plan.Plan) {
	res := Result{Case: c.Name}
	if err := ctx.Err(); err != nil {
		res.Status, res.Err = Error, err
		return res, nil
	}
	p, err := Render(ctx, cat, c)
	if err != nil {
		res.Status, res.Err = Error, err
		return res, nil
	}
	if storeErr == nil {
		var want map[string]TreeFile
		if want, err = store.Tree(c); err == nil {
			res.Differences = compare(p, want, store)
		}
	} else {
		err = storeErr
	}
	switch {
	case err != nil && !opt.Update:
		res.Status, res.Err = Error, fmt.Errorf("%s: %w", c.Name, err)
	case err != nil || len(res.Differences) > 0:
		res.Status = Fail // Updated once relayout records it
	default:
		res.Status = Pass
	}
	return res, p
}

// relayout records the renders with each distinct output once and marks
// every case whose tree it rewrote as Updated.
func relayout(ctx context.Context, cases []Case, plans []*plan.Plan, store *Store, storeErr error, results []Result) {
	fail := func(err error) {
		for i := range results {
			if plans[i] != nil {
				results[i].Status, results[i].Err = Error, err
			}
		}
	}
	if storeErr != nil {
		// The trees cannot be read (a link, a non-regular file): record
		// nothing rather than replace what could not be inspected.
		fail(storeErr)
		return
	}
	byName := map[string]*plan.Plan{}
	for i, c := range cases {
		if plans[i] != nil {
			byName[c.Name] = plans[i]
		}
	}
	trees, err := layout(cases, byName, store)
	if err != nil {
		fail(err)
		return
	}
	for i, c := range cases {
		tree, ok := trees[c.Name]
		if !ok || sameTree(tree, store.local[c.Name]) {
			continue
		}
		if err := Record(ctx, c, tree); err != nil {
			results[i].Status, results[i].Err = Error, err
			continue
		}
		results[i].Status = Updated
	}
}

func sameTree(a, b map[string]TreeFile) bool {
	if len(a) != len(b) {
		return false
	}
	for p, f := range a {
		g, ok := b[p]
		if !ok || g.Mode != f.Mode || string(g.Content) != string(f.Content) {
			return false
		}
	}
	return true
}

// compare compares a plan with the whole tree a case expects: file set,
// executable bit and bytes. A file shared with another tree may take its
// executable bit from any tree that holds its content.
func compare(p *plan.Plan, want map[string]TreeFile, store *Store) []Difference {
	var diffs []Difference
	got := make(map[string]bool, len(p.Files))
	for _, f := range p.Files {
		got[f.Path] = true
		w, ok := want[f.Path]
		if !ok {
			diffs = append(diffs, Difference{Path: f.Path, Kind: Extra})
			continue
		}
		if w.Mode != f.Mode && !(w.Shared && string(w.Content) == string(f.Content) && store.holds(f.Content, f.Mode)) {
			diffs = append(diffs, Difference{Path: f.Path, Kind: Mode, Want: w.Mode, Got: f.Mode,
				WantMode: fmt.Sprintf("%04o", w.Mode.Perm()), GotMode: fmt.Sprintf("%04o", f.Mode.Perm())})
		}
		if string(w.Content) != string(f.Content) {
			d := merge.Unified("a/"+f.Path, "b/"+f.Path, w.Content, f.Content, merge.DefaultContext)
			diffs = append(diffs, Difference{Path: f.Path, Kind: Content, Diff: d})
		}
	}
	for p := range want {
		if !got[p] {
			diffs = append(diffs, Difference{Path: p, Kind: Missing})
		}
	}
	sort.SliceStable(diffs, func(i, j int) bool { return diffs[i].Path < diffs[j].Path })
	return diffs
}

// TreeFile is one file of a golden tree.
type TreeFile struct {
	// Mode is plan.ModeExecutable or plan.ModeFile: what git records.
	Mode    fs.FileMode
	Content []byte
	// Shared marks a file a case's manifest refers to and another case's
	// tree holds (Store.Tree).
	Shared bool
}

// ReadTreeFS reads the golden tree at dir inside fsys, refusing symbolic
// links and non-regular files. A missing directory is an empty tree.
func ReadTreeFS(fsys fs.FS, dir string) (map[string]TreeFile, error) {
	out := map[string]TreeFile{}
	info, err := fs.Stat(fsys, dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return out, nil
	case err != nil:
		return nil, fmt.Errorf("inspect %s: %w", dir, err)
	case !info.IsDir():
		return nil, failure.Invalidf("%s is not a directory", failure.Quote(dir))
	}
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	if err := walkTree(sub, out); err != nil {
		return nil, fmt.Errorf("read tree: %w", err)
	}
	return out, nil
}

// walkTree reads every regular file of fsys into out.
func walkTree(fsys fs.FS, out map[string]TreeFile) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return failure.Invalidf("tree/%s is not a regular file; golden trees hold regular files only", p)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		out[p] = TreeFile{Mode: execBit(info.Mode()), Content: data}
		return nil
	})
}

// ReadTree reads a golden tree through an os.Root, refusing symbolic links
// and non-regular files. A missing directory is an empty tree.
func ReadTree(dir string) (map[string]TreeFile, error) {
	out := map[string]TreeFile{}
	info, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return out, nil
	case err != nil:
		return nil, fmt.Errorf("inspect %s: %w", dir, err)
	case !info.IsDir():
		return nil, failure.Invalidf("%s is not a directory", failure.Quote(dir))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	defer root.Close()
	if err := walkTree(root.FS(), out); err != nil {
		return nil, fmt.Errorf("read tree: %w", err)
	}
	return out, nil
}

// execBit reduces a mode to what git records: executable or not.
func execBit(m fs.FileMode) fs.FileMode {
	if m.Perm()&0o100 != 0 {
		return plan.ModeExecutable
	}
	return plan.ModeFile
}

// Record replaces the case's tree with the files, atomically: the
// files are written into a staging directory inside the case directory,
// which then takes the place of tree/. Everything happens under the case
// directory through os.Root, and no symbolic link is followed.
func Record(ctx context.Context, c Case, tree map[string]TreeFile) (err error) {
	if c.fsys != nil {
		return failure.Invalidf("%s: golden cases read from a git catalog are read-only; re-record them in a checkout of the catalog", c.Name)
	}
	root, err := os.OpenRoot(c.Dir)
	if err != nil {
		return fmt.Errorf("%s: open case directory: %w", c.Name, err)
	}
	defer root.Close()
	stage, err := os.MkdirTemp(c.Dir, ".tree.secgen-stage-")
	if err != nil {
		return fmt.Errorf("%s: staging directory: %w", c.Name, err)
	}
	stageName := filepath.Base(stage)
	defer func() {
		if err != nil {
			_ = root.RemoveAll(stageName)
		}
	}()
	if err := root.Chmod(stageName, plan.ModeDir); err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	files := make([]plan.File, 0, len(tree))
	for _, p := range sortedPaths(tree) {
		files = append(files, plan.File{Path: p, Mode: tree[p].Mode, Content: tree[p].Content})
	}
	if err := writer.WriteTree(ctx, stage, files, 0); err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	old := ".tree.secgen-old-" + strings.TrimPrefix(stageName, ".tree.secgen-stage-")
	hadTree := true
	if err := root.Rename("tree", old); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: move the old tree aside: %w", c.Name, err)
		}
		hadTree = false
	}
	if err := root.Rename(stageName, "tree"); err != nil {
		if hadTree {
			_ = root.Rename(old, "tree")
		}
		return fmt.Errorf("%s: put the new tree in place: %w", c.Name, err)
	}
	if hadTree {
		if err := root.RemoveAll(old); err != nil {
			return fmt.Errorf("%s: remove the old tree %s: %w", c.Name, path.Join(c.Name, old), err)
		}
	}
	return nil
}
