package catsource

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// maxTagScan bounds the cached repositories CachedTags reads.
const maxTagScan = 1000

// CachedTags lists the tags of a git catalog that the cache knows (those
// fetched before), sorted, without touching the network: what shell
// completion offers after --ref. A source that is not a git repository, or
// a cache that cannot be read, has none.
func (o *Opener) CachedTags(spec Spec) []string {
	if spec.Kind != Git {
		return nil
	}
	dir, err := o.cacheDir()
	if err != nil {
		return nil
	}
	g := &gitCache{dir: dir}
	repos, err := os.ReadDir(filepath.Join(dir, objDir))
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var tags []string
	for i, r := range repos {
		if i == maxTagScan {
			break
		}
		if !r.IsDir() || !CommitPattern.MatchString(r.Name()) {
			continue
		}
		for _, name := range repoTags(g.objPath(r.Name())) {
			at := spec
			at.Ref = name
			if !seen[name] && g.cachedRef(at) != "" {
				seen[name] = true
				tags = append(tags, name)
			}
		}
	}
	slices.Sort(tags)
	return tags
}

// repoTags are the tag names a cached repository holds.
func repoTags(repo string) []string {
	st := openStore(repo)
	defer st.Close()
	refs, err := st.IterReferences()
	if err != nil {
		return nil
	}
	var names []string
	_ = refs.ForEach(func(r *plumbing.Reference) error {
		if name, ok := strings.CutPrefix(r.Name().String(), "refs/tags/"); ok {
			names = append(names, name)
		}
		return nil
	})
	return names
}
