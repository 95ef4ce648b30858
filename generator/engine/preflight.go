package engine

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/writer"
)

// preflight checks, before the first write, that every path a change
// writes or removes can be: the nearest existing directory above it (and
// the project root, where the transaction is staged) must accept a new
// file. It probes each such directory once by creating and removing a
// file, which answers for the real permissions, ACLs and read-only mounts
// alike. It refuses with every path that cannot be written.
func preflight(r *os.Root, changes []writer.Change) error {
	verdict := map[string]error{}
	probe := func(dir string) error {
		if err, ok := verdict[dir]; ok {
			return err
		}
		name := path.Join(dir, ".secgen-probe-"+strconv.Itoa(os.Getpid()))
		f, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			err = errors.Join(f.Close(), r.Remove(name))
		}
		verdict[dir] = err
		return err
	}
	var bad []string
	if err := probe("."); err != nil {
		bad = append(bad, ". (the project root)")
	}
	for _, c := range changes {
		dir := existingDir(r, path.Dir(c.Path))
		if err := probe(dir); err != nil {
			bad = append(bad, c.Path)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return failure.Invalidf("nothing was written: %d path(s) cannot be written or removed (check the permissions of their directories): %s", len(bad), strings.Join(bad, ", "))
}

// existingDir is the nearest directory at or above dir that exists.
func existingDir(r *os.Root, dir string) string {
	for ; dir != "."; dir = path.Dir(dir) {
		info, err := r.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue
		}
		if err == nil && info.IsDir() {
			return dir
		}
		return dir // the writer refuses it with its own reason
	}
	return "."
}
