package catsource

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
)

// BuiltinVersion opens the built-in catalog at an earlier version this
// secgen released, from the history embedded in the binary (a packed git
// repository, see builtin.History), offline. The current version is the
// embedded catalog itself.
func BuiltinVersion(ctx context.Context, version string) (*catalog.Catalog, error) {
	cat, err := builtin.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	if version == cat.Version {
		return cat, nil
	}
	pack, refs := builtin.History()
	return historyVersion(ctx, pack, refs, version)
}

// historyVersion reads version from a packed history: pack is a git pack
// file and refs lines of "VERSION COMMIT".
func historyVersion(ctx context.Context, pack, refs []byte, version string) (*catalog.Catalog, error) {
	byVersion := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(refs))
	for sc.Scan() {
		v, id, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok || !CommitPattern.MatchString(id) {
			continue
		}
		byVersion[v] = id
	}
	id, ok := byVersion[version]
	if !ok {
		have := make([]string, 0, len(byVersion))
		for v := range byVersion {
			have = append(have, v)
		}
		sort.Strings(have)
		return nil, failure.Invalidf("built-in catalog %s is not in this secgen's history (it holds %s)", version, strings.Join(append(have, "the current one"), ", "))
	}
	st := memory.NewStorage()
	if err := packfile.UpdateObjectStorage(st, bytes.NewReader(pack)); err != nil {
		return nil, fmt.Errorf("read the built-in catalog's history: %w", err)
	}
	c, err := object.GetCommit(st, plumbing.NewHash(id))
	if err != nil {
		return nil, fmt.Errorf("built-in catalog %s: read commit %s: %w", version, short(id), err)
	}
	m, err := readTree(ctx, st, c, catalogDirs)
	if err != nil {
		return nil, err
	}
	return load(ctx, m, "")
}
