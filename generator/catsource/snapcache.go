package catsource

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Decoded snapshots: reading a catalog out of git objects (loading the pack
// index, inflating and resolving deltas for every blob) costs more than the
// rest of `new`, so once the catalog a ref points at has been read, checked
// and loaded, it is also written to snap/<id> (id: the annotated tag or
// commit the ref points at) in a flat format: the raw tag and commit
// objects, then the files. A later open checks that the stored objects hash
// to id (and the tag to its commit), verifies the signature on them exactly
// as on git's own objects, and reads the files with the same path checks
// and limits, without opening the repository.
//
// Format: the magic line, then entries, each a kind byte ('t' raw tag
// object, 'c' raw commit object, 'd' directory, 'f' file, 'x' executable
// file) followed by
// uvarint-length-prefixed fields (objects: the raw object; directories: the
// path; files: the path and the content); at the end the SHA-256 of
// everything before it, so a truncated or damaged snapshot is ignored (and
// the catalog read from git again).
//
// proof/<id> holds, in the same format, what secgen lint and test read: the
// catalog and its goldens/.
const (
	snapDir      = "snap"
	proofSnapDir = "proof"
	snapMagic    = "secgen catalog snapshot 1\n"
)

func (g *gitCache) snapPath(kind, id string) string { return filepath.Join(g.dir, kind, id) }

// snap is a decoded snapshot.
type snap struct {
	tag, commit []byte // raw objects; tag is nil when the ref is not an annotated tag
	files       *memFS
}

// encodeSnapshot serialises a snapshot deterministically.
func encodeSnapshot(sn snap) []byte {
	m := sn.files
	var buf bytes.Buffer
	buf.WriteString(snapMagic)
	put := func(b []byte) {
		buf.Write(binary.AppendUvarint(nil, uint64(len(b))))
		buf.Write(b)
	}
	if sn.tag != nil {
		buf.WriteByte('t')
		put(sn.tag)
	}
	buf.WriteByte('c')
	put(sn.commit)
	for _, d := range slices.Sorted(maps.Keys(m.dirs)) {
		buf.WriteByte('d')
		put([]byte(d))
	}
	for _, p := range slices.Sorted(maps.Keys(m.files)) {
		kind := byte('f')
		if m.exec[p] {
			kind = 'x'
		}
		buf.WriteByte(kind)
		put([]byte(p))
		put(m.files[p])
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	return buf.Bytes()
}

var errBadSnapshot = errors.New("damaged catalog snapshot")

// decodeSnapshot rebuilds a snapshot, applying the path checks and limits.
func decodeSnapshot(data []byte) (snap, error) {
	var sn snap
	if len(data) < len(snapMagic)+sha256.Size || !bytes.HasPrefix(data, []byte(snapMagic)) {
		return sn, errBadSnapshot
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return sn, errBadSnapshot
	}
	rest := body[len(snapMagic):]
	next := func() ([]byte, error) {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return nil, errBadSnapshot
		}
		b := rest[k : k+int(n)]
		rest = rest[k+int(n):]
		return b, nil
	}
	s := newSnapshot()
	for len(rest) > 0 {
		kind := rest[0]
		rest = rest[1:]
		p, err := next()
		if err != nil {
			return sn, err
		}
		switch kind {
		case 't':
			sn.tag = p
			continue
		case 'c':
			sn.commit = p
			continue
		}
		name := string(p)
		if name != "." {
			for _, el := range strings.Split(name, "/") {
				if err := checkName("", el); err != nil {
					return sn, err
				}
			}
		}
		switch kind {
		case 'd':
			s.addDir(name)
		case 'f', 'x':
			content, err := next()
			if err != nil {
				return sn, err
			}
			if err := s.addFile(name, content); err != nil {
				return sn, err
			}
			if kind == 'x' {
				s.exec[name] = true
			}
		default:
			return sn, errBadSnapshot
		}
	}
	if sn.commit == nil {
		return sn, errBadSnapshot
	}
	sn.files = s.fs()
	return sn, nil
}

// readSnapshot returns the cached snapshot of id with its objects decoded
// and checked against id; ok is false when there is none or it is damaged.
func (g *gitCache) readSnapshot(kind, id string) (c *object.Commit, tag *object.Tag, m *memFS, ok bool) {
	p := g.snapPath(kind, id)
	info, err := os.Lstat(p)
	if err != nil || !info.Mode().IsRegular() || info.Size() > MaxTotalSize+MaxFiles*64+1<<20 {
		return nil, nil, nil, false
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, nil, nil, false
	}
	sn, err := decodeSnapshot(data)
	if err != nil {
		return nil, nil, nil, false
	}
	want := plumbing.NewHash(id)
	if sn.tag != nil {
		tag = &object.Tag{}
		if decodeObject(plumbing.TagObject, sn.tag, tag) != want || tag.TargetType != plumbing.CommitObject {
			return nil, nil, nil, false
		}
		want = tag.Target
	}
	c = &object.Commit{}
	if decodeObject(plumbing.CommitObject, sn.commit, c) != want {
		return nil, nil, nil, false
	}
	return c, tag, sn.files, true
}

// decodeObject decodes a raw git object into into and returns the object's
// id (zero when it does not decode).
func decodeObject(t plumbing.ObjectType, raw []byte, into interface {
	Decode(plumbing.EncodedObject) error
}) plumbing.Hash {
	obj := &plumbing.MemoryObject{}
	obj.SetType(t)
	if _, err := obj.Write(raw); err != nil {
		return plumbing.ZeroHash
	}
	if err := into.Decode(obj); err != nil {
		return plumbing.ZeroHash
	}
	return obj.Hash()
}

// rawObject reads an object's raw content from a store.
func rawObject(st storer.EncodedObjectStorer, t plumbing.ObjectType, h plumbing.Hash) ([]byte, error) {
	obj, err := st.EncodedObject(t, h)
	if err != nil {
		return nil, err
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, MaxFileSize))
}

// writeSnapshot stores the snapshot of id (read from st) atomically. It is
// only a cache: the caller may ignore a failure.
func (g *gitCache) writeSnapshot(kind string, st storer.EncodedObjectStorer, id string, c *object.Commit, tag *object.Tag, m *memFS) error {
	sn := snap{files: m}
	var err error
	if tag != nil {
		if sn.tag, err = rawObject(st, plumbing.TagObject, plumbing.NewHash(id)); err != nil {
			return fmt.Errorf("store catalog snapshot: %w", err)
		}
	}
	if sn.commit, err = rawObject(st, plumbing.CommitObject, c.Hash); err != nil {
		return fmt.Errorf("store catalog snapshot: %w", err)
	}
	dir := filepath.Join(g.dir, kind)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("store catalog snapshot: %w", err)
	}
	f, err := os.CreateTemp(dir, "tmp-")
	if err != nil {
		return fmt.Errorf("store catalog snapshot: %w", err)
	}
	_, werr := f.Write(encodeSnapshot(sn))
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("store catalog snapshot: %w", err)
	}
	if err := os.Rename(f.Name(), g.snapPath(kind, id)); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("store catalog snapshot: %w", err)
	}
	return nil
}
