// Package writer applies a plan to disk without ever leaving a partial
// project: files are written into a staging directory beside the target,
// contained by os.Root, and the staging directory is renamed into place.
package writer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lazyre"
	"github.com/secgen/secgen/generator/lock"
	"github.com/secgen/secgen/generator/plan"
)

// Options tune Create.
type Options struct {
	// Finish runs in the staging directory after every file is written and
	// before the directory is renamed into place (for example git init).
	Finish func(ctx context.Context, dir string) error
	// FailAfter, when positive, makes Create fail after writing that many
	// files. It is a fault-injection seam for tests.
	FailAfter int
}

// CheckTarget verifies that target can receive a new project: it is absent
// (with an existing parent directory) or an empty directory, and it is not a
// symbolic link.
func CheckTarget(target string) error {
	info, err := os.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		parent := filepath.Dir(target)
		pinfo, perr := os.Stat(parent)
		if perr != nil || !pinfo.IsDir() {
			return failure.Invalidf("the parent directory of %s does not exist", failure.Quote(target))
		}
		return nil
	case err != nil:
		return fmt.Errorf("inspect target %s: %w", failure.Quote(target), err)
	case info.Mode()&fs.ModeSymlink != 0:
		return failure.Invalidf("target %s is a symbolic link; secgen never writes through links", failure.Quote(target))
	case !info.IsDir():
		return failure.Invalidf("target %s exists and is not a directory", failure.Quote(target))
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return fmt.Errorf("read target %s: %w", failure.Quote(target), err)
	}
	if len(entries) > 0 {
		return failure.Invalidf("target %s is not empty; secgen new only writes into an absent or empty directory", failure.Quote(target))
	}
	return nil
}

// Create writes the plan as a new project at target. On any error, nothing
// is left at target and the staging directory is removed.
func Create(ctx context.Context, target string, p *plan.Plan, opt Options) (err error) {
	target = filepath.Clean(target)
	if err := CheckTarget(target); err != nil {
		return err
	}
	if _, err := SweepStages(filepath.Dir(target)); err != nil {
		return err
	}
	stage, err := os.MkdirTemp(filepath.Dir(target), "."+filepath.Base(target)+stageInfix)
	if err != nil {
		return fmt.Errorf("create staging directory: %w", err)
	}
	// The stage's lock is its marker: a later run recognises a stage left
	// by a killed run by its name and its lock, and removes it only when
	// no live run holds that lock.
	l, err := lock.Acquire(stage + stageLockSuffix)
	if err != nil {
		_ = os.Remove(stage)
		return fmt.Errorf("lock staging directory: %w", err)
	}
	defer func() { _ = l.Release() }()
	defer func() {
		if err != nil {
			_ = os.RemoveAll(stage)
		}
	}()
	if err := WriteTree(ctx, stage, p.Files, opt.FailAfter); err != nil {
		return err
	}
	if err := os.Chmod(stage, plan.ModeDir); err != nil {
		return fmt.Errorf("set staging directory mode: %w", err)
	}
	if opt.Finish != nil {
		if err := opt.Finish(ctx, stage); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := moveIntoPlace(stage, target); err != nil {
		return fmt.Errorf("move project into %s: %w", failure.Quote(target), err)
	}
	return nil
}

// Staging directories of Create are named ".<target>" + stageInfix + digits,
// each with a lock file of the same name + stageLockSuffix beside it.
const (
	stageInfix      = ".secgen-stage-"
	stageLockSuffix = ".lock"
)

var stagePattern = lazyre.New(`^\..+\.secgen-stage-[0-9]+$`)

// SweepStages removes, in dir, the staging directories that killed runs of
// Create left behind: recognised by name and by their lock file, and only
// when no live run holds that lock. It returns the names removed.
func SweepStages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", failure.Quote(dir), err)
	}
	var removed []string
	for _, e := range entries {
		// A lock whose stage is gone already (killed while removing it).
		if name, ok := strings.CutSuffix(e.Name(), stageLockSuffix); ok && e.Type().IsRegular() && stagePattern.MatchString(name) {
			if _, err := os.Lstat(filepath.Join(dir, name)); errors.Is(err, fs.ErrNotExist) {
				if l, err := lock.Acquire(filepath.Join(dir, e.Name())); err == nil {
					_ = l.Release()
				}
			}
			continue
		}
		if !e.IsDir() || !stagePattern.MatchString(e.Name()) {
			continue // never a link: ReadDir does not follow them
		}
		stage := filepath.Join(dir, e.Name())
		if info, err := os.Lstat(stage + stageLockSuffix); err != nil || !info.Mode().IsRegular() {
			continue // not marked as secgen's
		}
		l, err := lock.Acquire(stage + stageLockSuffix)
		if err != nil {
			continue // a live run's stage, or a lock that cannot be proven stale
		}
		rerr := os.RemoveAll(stage)
		if err := errors.Join(rerr, l.Release()); err != nil {
			return removed, fmt.Errorf("remove a stale staging directory %s: %w", failure.Quote(stage), err)
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}

// ErrInjected is returned when Options.FailAfter triggers.
var ErrInjected = errors.New("injected failure")

// WriteTree writes files under dir, which must exist, through an os.Root so
// no path can leave dir or follow a symbolic link out of it. Files are
// created exclusively (never overwritten) with their exact modes.
func WriteTree(ctx context.Context, dir string, files []plan.File, failAfter int) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	dirs := map[string]*os.Root{".": root}
	defer func() {
		for _, r := range dirs {
			_ = r.Close()
		}
	}()
	// Directories first, in order; then the files, one after the other:
	// creating inodes in the same directories from several goroutines
	// contends on the file system's locks (ext4 on 2 cores: 4 writers took
	// 1.2x the time of cp -r, one writer 1.08x, interleaved medians).
	n, injected := len(files), false
	if failAfter > 0 && failAfter < n {
		n, injected = failAfter, true
	}
	parents := make([]*os.Root, n)
	for i, f := range files[:n] {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := plan.CheckPath(f.Path); err != nil {
			return failure.Invalidf("refusing to write %s: %w", failure.Quote(f.Path), err)
		}
		if parents[i], err = openDir(dirs, path.Dir(f.Path)); err != nil {
			return err
		}
	}
	for i, f := range files[:n] {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeFile(parents[i], path.Base(f.Path), f); err != nil {
			return err
		}
	}
	if injected {
		return ErrInjected
	}
	return nil
}

// openDir returns a root for dir, creating it (mode 0755 exactly) and its
// parents as needed. Each directory is opened once, through its parent, so
// files are then created by name alone and no link can redirect them.
func openDir(dirs map[string]*os.Root, dir string) (*os.Root, error) {
	if r, ok := dirs[dir]; ok {
		return r, nil
	}
	parent, err := openDir(dirs, path.Dir(dir))
	if err != nil {
		return nil, err
	}
	name := path.Base(dir)
	if err := parent.Mkdir(name, plan.ModeDir); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create directory %s: %w", dir, err)
	}
	r, err := parent.OpenRoot(name)
	if err != nil {
		return nil, fmt.Errorf("open directory %s: %w", dir, err)
	}
	dirs[dir] = r
	info, err := r.Stat(".")
	if err != nil || !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	if info.Mode().Perm() != plan.ModeDir {
		if err := parent.Chmod(name, plan.ModeDir); err != nil {
			return nil, fmt.Errorf("set mode of %s: %w", dir, err)
		}
	}
	return r, nil
}

// writeFile creates name in dir, exclusively, with f's content and mode.
func writeFile(dir *os.Root, name string, f plan.File) error {
	fh, err := dir.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|createFlags, f.Mode)
	if err != nil {
		return fmt.Errorf("create %s: %w", f.Path, err)
	}
	if _, err := fh.Write(f.Content); err != nil {
		_ = fh.Close()
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	// Modes are exact, whatever the umask: set again unless the umask is
	// known to have left them alone.
	if umaskClears(f.Mode) {
		if err := fh.Chmod(f.Mode); err != nil {
			_ = fh.Close()
			return fmt.Errorf("set mode of %s: %w", f.Path, err)
		}
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("close %s: %w", f.Path, err)
	}
	return nil
}
