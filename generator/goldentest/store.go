package goldentest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/plan"
)

// Store is the golden content of a goldens directory: every case's tree/ as
// recorded, and an index of every recorded file by content. Each distinct
// output is recorded once. A case's tree/ holds its manifest (.secgen.yaml)
// and the files whose content no other tree holds; any other file of the
// case is one its manifest records by path and SHA-256 and whose bytes (and
// executable bit) come from the tree that holds that content. An add case
// expects, of its manifest's records, only those of the component it adds:
// what `secgen add` writes.
type Store struct {
	local  map[string]map[string]TreeFile // case name -> its tree/
	byHash map[string][]TreeFile          // content SHA-256 -> files holding it
}

// OpenStore reads the trees of the cases (all cases of one goldens
// directory) and indexes their content.
func OpenStore(cases []Case) (*Store, error) {
	s := &Store{local: map[string]map[string]TreeFile{}, byHash: map[string][]TreeFile{}}
	for _, c := range cases {
		files, err := c.readTree()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		s.local[c.Name] = files
		for _, p := range sortedPaths(files) {
			s.add(files[p])
		}
	}
	return s, nil
}

func (s *Store) add(f TreeFile) {
	h := sum(f.Content)
	for _, have := range s.byHash[h] {
		if have.Mode == f.Mode {
			return
		}
	}
	s.byHash[h] = append(s.byHash[h], TreeFile{Mode: f.Mode, Content: f.Content})
}

// holds reports whether some tree records content with the mode.
func (s *Store) holds(content []byte, mode fs.FileMode) bool {
	for _, f := range s.byHash[sum(content)] {
		if f.Mode == mode {
			return true
		}
	}
	return false
}

// Tree returns the whole tree the case expects: its own files and those
// its manifest refers to. A file that comes from another tree has Shared
// set. A manifest record whose content no tree holds is invalid input.
func (s *Store) Tree(c Case) (map[string]TreeFile, error) {
	local, ok := s.local[c.Name]
	if !ok {
		return nil, fmt.Errorf("%s: case not in the store", c.Name)
	}
	out := make(map[string]TreeFile, len(local))
	for p, f := range local {
		out[p] = f
	}
	records, err := sharedRecords(c, local[manifest.FileName].Content, local)
	if err != nil {
		return nil, err
	}
	for _, r := range records {
		have := s.byHash[r.SHA256]
		if len(have) == 0 {
			return nil, failure.Says(fmt.Sprintf("%s: tree/%s records %s with SHA-256 %s, which no golden tree holds; re-record with secgen test ",
				c.Name, manifest.FileName, r.Path, r.SHA256), failure.FieldRerecord)
		}
		f := have[0]
		f.Shared = true
		out[r.Path] = f
	}
	return out, nil
}

// sharedRecords returns the records of a case's manifest that the case
// expects but does not hold in tree/: for an add case only those of the
// added component. Without a manifest there are none.
func sharedRecords(c Case, manifestData []byte, local map[string]TreeFile) ([]manifest.FileRecord, error) {
	if _, ok := local[manifest.FileName]; !ok {
		return nil, nil
	}
	m, err := manifest.Parse(manifestData)
	if err != nil {
		return nil, fmt.Errorf("%s: tree/%s: %w", c.Name, manifest.FileName, err)
	}
	var out []manifest.FileRecord
	for _, r := range m.Files {
		if _, ok := local[r.Path]; ok || (c.Spec.Add != "" && r.Component != c.Spec.Add) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// layout decides which files each rendered case records in its own tree:
// its manifest, every file its manifest cannot refer to, and one copy of
// each content shared between cases. The copy stays where a tree already
// holds a file at that path (the first such case by name), so a changed
// line shows up as a one-line diff of that file; otherwise it goes to the
// first case by name. Cases absent from plans (they failed to render) keep
// their trees, which count as storage.
func layout(cases []Case, plans map[string]*plan.Plan, s *Store) (map[string]map[string]TreeFile, error) {
	type key struct {
		sum  string
		mode fs.FileMode
	}
	held := map[key]bool{}
	addCase := map[string]bool{}
	for _, c := range cases {
		addCase[c.Name] = c.Spec.Add != ""
		if plans[c.Name] != nil {
			continue
		}
		for _, f := range s.local[c.Name] {
			held[key{sum(f.Content), f.Mode}] = true
		}
	}
	out := map[string]map[string]TreeFile{}
	renders := map[string]map[string]plan.File{}
	users := map[key][]ref{}
	var keys []key
	for _, c := range cases {
		p := plans[c.Name]
		if p == nil {
			continue
		}
		own := map[string]TreeFile{}
		out[c.Name] = own
		rendered := map[string]plan.File{}
		for _, f := range p.Files {
			rendered[f.Path] = f
		}
		renders[c.Name] = rendered
		mf, ok := rendered[manifest.FileName]
		if !ok {
			for _, f := range p.Files {
				own[f.Path] = TreeFile{Mode: f.Mode, Content: f.Content}
			}
			continue
		}
		own[manifest.FileName] = TreeFile{Mode: mf.Mode, Content: mf.Content}
		records, err := sharedRecords(c, mf.Content, own)
		if err != nil {
			return nil, err
		}
		referable := map[string]bool{}
		for _, r := range records {
			f, ok := rendered[r.Path]
			if !ok {
				return nil, fmt.Errorf("%s: the rendered manifest records %s, which the case does not render", c.Name, r.Path)
			}
			if f.SHA256() == r.SHA256 {
				referable[r.Path] = true
			}
		}
		for _, f := range p.Files {
			if f.Path == manifest.FileName {
				continue
			}
			if !referable[f.Path] {
				own[f.Path] = TreeFile{Mode: f.Mode, Content: f.Content}
				continue
			}
			k := key{f.SHA256(), f.Mode}
			if held[k] {
				continue
			}
			if users[k] == nil {
				keys = append(keys, k)
			}
			users[k] = append(users[k], ref{c.Name, f.Path})
		}
	}
	for _, k := range keys {
		owner := pickOwner(users[k], func(r ref) (bool, bool) {
			_, held := s.local[r.c][r.path]
			return addCase[r.c], held
		})
		f := renders[owner.c][owner.path]
		out[owner.c][owner.path] = TreeFile{Mode: f.Mode, Content: f.Content}
	}
	return out, nil
}

// ref is one file of one case.
type ref struct {
	c    string
	path string
}

// pickOwner chooses the case that records a content its refs share: a
// blueprint or component case before an add case (an add case records only
// what differs from new), and among those the first that already holds a
// file at that path, so an edit stays an edit of that file.
func pickOwner(refs []ref, rank func(ref) (isAdd, held bool)) ref {
	best, bestScore := refs[0], 4
	for _, r := range refs {
		isAdd, held := rank(r)
		score := 0
		if isAdd {
			score += 2
		}
		if !held {
			score++
		}
		if score < bestScore {
			best, bestScore = r, score
		}
	}
	return best
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func sortedPaths(m map[string]TreeFile) []string {
	out := make([]string, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
