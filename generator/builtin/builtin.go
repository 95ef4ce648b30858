// Package builtin loads the catalog embedded in the secgen binary.
package builtin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"sync"

	"github.com/secgen/secgen/blueprints"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/templates"
)

// Catalog returns the embedded catalog, loaded on the first call of the
// process and shared by every caller after it: it never
// changes, and nothing may modify it.
func Catalog(ctx context.Context) (*catalog.Catalog, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return load()
}

// load decodes the embedded data once. It is data compiled into the
// binary, so no context can make a first load fail that a later one would
// not: the load is never cancelled. Its validation ran at test time
// (catalog's TestLoadEmbeddedIsLoadOfAValidCatalog loads the same data
// with catalog.Load), so the load skips it, and defers each component's
// audit rules and breakages to the verbs that read them.
var load = sync.OnceValues(func() (*catalog.Catalog, error) {
	cat, err := catalog.LoadEmbedded(context.Background(), catalog.Source{Templates: templates.FS, Blueprints: blueprints.FS})
	if err != nil {
		return nil, fmt.Errorf("built-in catalog: %w", err)
	}
	return cat, nil
})

// Digest is "sha256:" and the hex SHA-256 over the embedded catalog's files:
// for each file of templates/ then blueprints/, in lexical order, its
// slash-separated path, a NUL, its length in decimal, a NUL and its bytes.
// The same catalog files always give the same digest.
func Digest() (string, error) { return digest() }

var digest = sync.OnceValues(func() (string, error) {
	h := sha256.New()
	buf := make([]byte, 32<<10) // the files stream through it: no copy of the catalog
	for _, part := range []struct {
		dir  string
		fsys fs.FS
	}{{"templates", templates.FS}, {"blueprints", blueprints.FS}} {
		err := fs.WalkDir(part.fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			f, err := part.fsys.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			h.Write([]byte(part.dir + "/" + p + "\x00" + strconv.FormatInt(info.Size(), 10) + "\x00"))
			_, err = io.CopyBuffer(h, f, buf)
			return err
		})
		if err != nil {
			return "", fmt.Errorf("digest the built-in catalog: %w", err)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
})
