package gitinit

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/sha1" // git names objects by SHA-1: an identifier, not a security hash
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
)

// The git object types a pack holds here (pack entry type codes).
const (
	objCommit = 1
	objTree   = 2
	objBlob   = 3
)

// object is one git object: its type, its content (without the
// "type size\x00" header) and its name, the SHA-1 of header and content.
type object struct {
	typ  int
	data []byte
	id   [sha1.Size]byte
}

// typeNames are the header words of the object types.
var typeNames = [...]string{objCommit: "commit", objTree: "tree", objBlob: "blob"}

// newObject names data as an object of typ.
func newObject(typ int, data []byte) object {
	h := sha1.New()
	h.Write([]byte(typeNames[typ]))
	h.Write([]byte{' '})
	h.Write(strconv.AppendInt(nil, int64(len(data)), 10))
	h.Write([]byte{0})
	h.Write(data)
	o := object{typ: typ, data: data}
	h.Sum(o.id[:0])
	return o
}

// hexID is the object's name as git prints it.
func (o object) hexID() string { return hex.EncodeToString(o.id[:]) }

// entry is one file of the commit, with its blob.
type entry struct {
	path string // slash-separated
	exec bool
	blob object
}

// buildTrees makes the tree objects of entries (sorted by path) and returns
// them, the root tree last.
func buildTrees(entries []entry) []object {
	var trees []object
	var build func(prefix string, es []entry) object
	build = func(prefix string, es []entry) object {
		type item struct {
			name string // a directory's name compares with a trailing "/"
			mode string
			id   [sha1.Size]byte
		}
		var items []item
		for i := 0; i < len(es); {
			rest := es[i].path[len(prefix):]
			dir, _, nested := strings.Cut(rest, "/")
			if !nested {
				mode := "100644"
				if es[i].exec {
					mode = "100755"
				}
				items = append(items, item{name: rest, mode: mode, id: es[i].blob.id})
				i++
				continue
			}
			j := i
			sub := prefix + dir + "/"
			for j < len(es) && strings.HasPrefix(es[j].path, sub) {
				j++
			}
			t := build(sub, es[i:j])
			items = append(items, item{name: dir + "/", mode: "40000", id: t.id})
			i = j
		}
		sort.Slice(items, func(a, b int) bool { return items[a].name < items[b].name })
		var buf bytes.Buffer
		for _, it := range items {
			buf.WriteString(it.mode)
			buf.WriteByte(' ')
			buf.WriteString(strings.TrimSuffix(it.name, "/"))
			buf.WriteByte(0)
			buf.Write(it.id[:])
		}
		t := newObject(objTree, buf.Bytes())
		trees = append(trees, t)
		return t
	}
	build("", entries)
	return trees
}

// writePack writes objs as one pack (undeltified, zlib-stored) and its
// version 2 index into dir (.git/objects/pack), named by the pack's
// checksum, as git names the packs it writes.
func writePack(dir string, objs []object) error {
	tmp, err := os.CreateTemp(dir, "tmp_pack_")
	if err != nil {
		return fmt.Errorf("create pack: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // no-op once renamed
	sum := sha1.New()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	w := &countingWriter{w: bw, h: sum}
	var hdr [12]byte
	copy(hdr[:], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(objs)))
	_, _ = w.Write(hdr[:])
	offsets := make([]uint32, len(objs))
	crcs := make([]uint32, len(objs))
	// Stored, not compressed: deflating each of a few hundred small objects
	// cost as much CPU as rendering them, for a pack of a megabyte or two
	// that git's own gc compresses whenever it repacks.
	zw, _ := zlib.NewWriterLevel(nil, zlib.NoCompression)
	for i, o := range objs {
		if w.n >= 1<<31 {
			return fmt.Errorf("pack: more than 2 GiB of objects")
		}
		offsets[i] = uint32(w.n)
		crc := crc32.NewIEEE()
		ew := &countingWriter{w: w, h: crc}
		_, _ = ew.Write(entryHeader(o.typ, len(o.data)))
		zw.Reset(ew)
		_, _ = zw.Write(o.data)
		if err := zw.Close(); err != nil {
			return fmt.Errorf("pack: %w", err)
		}
		crcs[i] = crc.Sum32()
	}
	if w.err != nil {
		return fmt.Errorf("write pack: %w", w.err)
	}
	checksum := sum.Sum(nil)
	if _, err := bw.Write(checksum); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	name := path.Join(dir, "pack-"+hex.EncodeToString(checksum))
	if err := os.WriteFile(name+".idx", packIndex(objs, offsets, crcs, checksum), 0o444); err != nil {
		return fmt.Errorf("write pack index: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o444); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	if err := os.Rename(tmp.Name(), name+".pack"); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	return nil
}

// entryHeader is a pack entry's type and size: 3 bits of type and the
// size's low 4 bits, then 7 bits a byte, little end first.
func entryHeader(typ, size int) []byte {
	b := []byte{byte(typ<<4 | size&0x0f)}
	for size >>= 4; size > 0; size >>= 7 {
		b[len(b)-1] |= 0x80
		b = append(b, byte(size&0x7f))
	}
	return b
}

// packIndex is the version 2 index of a pack: the fan-out table, the
// sorted names, their CRC-32s and offsets, the pack's checksum and its own.
func packIndex(objs []object, offsets, crcs []uint32, packSum []byte) []byte {
	order := make([]int, len(objs))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return bytes.Compare(objs[order[a]].id[:], objs[order[b]].id[:]) < 0 })
	var b bytes.Buffer
	b.Write([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 2})
	var fan [256]uint32
	for _, o := range objs {
		fan[o.id[0]]++
	}
	var u [4]byte
	total := uint32(0)
	for _, n := range fan {
		total += n
		binary.BigEndian.PutUint32(u[:], total)
		b.Write(u[:])
	}
	for _, i := range order {
		b.Write(objs[i].id[:])
	}
	for _, i := range order {
		binary.BigEndian.PutUint32(u[:], crcs[i])
		b.Write(u[:])
	}
	for _, i := range order {
		binary.BigEndian.PutUint32(u[:], offsets[i])
		b.Write(u[:])
	}
	b.Write(packSum)
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	return b.Bytes()
}

// countingWriter writes through to w, hashing into h and counting bytes;
// it keeps the first error.
type countingWriter struct {
	w   interface{ Write([]byte) (int, error) }
	h   hash.Hash
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	c.err = err
	return n, err
}

// fileStat is what the index records of a file as it is on disk, so git
// status sees it unchanged without hashing it again.
type fileStat struct {
	ctimeSec, ctimeNsec, mtimeSec, mtimeNsec uint32
	dev, ino, uid, gid, size                 uint32
}

// indexFile is a version 2 index (.git/index) of entries (sorted by path),
// each with the stat data of its file.
func indexFile(entries []entry, stats []fileStat) []byte {
	var b bytes.Buffer
	b.WriteString("DIRC")
	var u [4]byte
	binary.BigEndian.PutUint32(u[:], 2)
	b.Write(u[:])
	binary.BigEndian.PutUint32(u[:], uint32(len(entries)))
	b.Write(u[:])
	for i, e := range entries {
		s := stats[i]
		mode := uint32(0o100644)
		if e.exec {
			mode = 0o100755
		}
		for _, v := range []uint32{s.ctimeSec, s.ctimeNsec, s.mtimeSec, s.mtimeNsec, s.dev, s.ino, mode, s.uid, s.gid, s.size} {
			binary.BigEndian.PutUint32(u[:], v)
			b.Write(u[:])
		}
		b.Write(e.blob.id[:])
		flags := min(len(e.path), 0xfff)
		b.Write([]byte{byte(flags >> 8), byte(flags)})
		b.WriteString(e.path)
		// NUL-padded to a multiple of 8 bytes, at least one NUL.
		n := 62 + len(e.path)
		pad := 8 - n%8
		b.Write(make([]byte, pad))
	}
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	return b.Bytes()
}
