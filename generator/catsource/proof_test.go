package catsource

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/filemode"

	"github.com/secgen/secgen/generator/catsource/catsourcetest"
	"github.com/secgen/secgen/generator/failure"
)

// proofRepo commits the fixture catalog with golden files and tags each
// variant: good (one executable golden file), and hostile ones.
func proofRepo(t *testing.T) (url string, ring []byte) {
	t.Helper()
	dir := t.TempDir()
	repo, err := catsourcetest.Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, ring, err := catsourcetest.NewKey("Publisher")
	if err != nil {
		t.Fatal(err)
	}
	const tree = "goldens/service/defaults/tree/"
	variants := map[string]func(catsourcetest.Files){
		"good": func(catsourcetest.Files) {},
		"link": func(fs catsourcetest.Files) {
			fs[tree+"passwd"] = catsourcetest.Entry{Data: []byte("/etc/passwd"), Mode: filemode.Symlink}
		},
		"dotdot":    func(fs catsourcetest.Files) { fs[tree+"../../escape"] = catsourcetest.Entry{Data: []byte("x")} },
		"dotgit":    func(fs catsourcetest.Files) { fs["goldens/.git/config"] = catsourcetest.Entry{Data: []byte("x")} },
		"submodule": func(fs catsourcetest.Files) { fs[tree+"sub"] = catsourcetest.Entry{Mode: filemode.Submodule} },
		"big": func(fs catsourcetest.Files) {
			fs[tree+"big.bin"] = catsourcetest.Entry{Data: make([]byte, MaxFileSize+1)}
		},
		"notdir": func(fs catsourcetest.Files) {
			for p := range fs {
				if strings.HasPrefix(p, "goldens/") {
					delete(fs, p)
				}
			}
			fs["goldens"] = catsourcetest.Entry{Data: []byte("x")}
		},
	}
	for name, edit := range variants {
		files := catsourcetest.Catalog("1.0.0", control, "")
		files["goldens/service/defaults/case.yaml"] = catsourcetest.Entry{Data: []byte("blueprint: service\n")}
		files["goldens/service/defaults/answers.yaml"] = catsourcetest.Entry{Data: []byte("name: golden\n")}
		files[tree+"run.sh"] = catsourcetest.Entry{Data: []byte("#!/bin/sh\n"), Mode: filemode.Executable}
		edit(files)
		c, err := repo.Commit(files, name, key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Tag(name, c, key); err != nil {
			t.Fatal(err)
		}
	}
	return "file://" + dir, ring
}

// TestProofCarriesGoldensVerified: a proof open reads goldens/ (executable
// bits included) from the signed commit, does not load the catalog, caches
// a snapshot of its own that is verified again on every hit, and refuses
// the hostile variants with one sentence as invalid input.
func TestProofCarriesGoldensVerified(t *testing.T) {
	url, ring := proofRepo(t)
	cache := t.TempDir()
	req := Request{Spec: spec(t, url+"@good"), Keyring: ring, Proof: true}
	got, err := open(t, cache, false, req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Catalog != nil || got.Proof == nil || got.Origin.Signer == "" {
		t.Fatalf("proof open: catalog %v, proof %v, origin %+v", got.Catalog, got.Proof, got.Origin)
	}
	check := func(p *Proof) {
		t.Helper()
		data, err := fs.ReadFile(p.Goldens, "service/defaults/case.yaml")
		if err != nil || string(data) != "blueprint: service\n" {
			t.Fatalf("case.yaml: %q %v", data, err)
		}
		info, err := fs.Stat(p.Goldens, "service/defaults/tree/run.sh")
		if err != nil || info.Mode().Perm()&0o100 == 0 {
			t.Fatalf("run.sh: %v %v, want executable", info, err)
		}
		if _, err := fs.Stat(p.Source.Templates, "catalog.yaml"); err != nil {
			t.Fatalf("templates: %v", err)
		}
	}
	check(got.Proof)
	if _, err := os.Stat(filepath.Join(cache, proofSnapDir, got.Origin.Pin)); err != nil {
		t.Fatalf("no proof snapshot: %v", err)
	}
	// The plain snapshot stays without goldens: new never pays for them.
	plain, err := open(t, cache, true, Request{Spec: spec(t, url+"@good"), Keyring: ring})
	if err != nil || plain.Catalog == nil {
		t.Fatalf("plain open: %v", err)
	}
	// Offline, from the snapshot; a stranger's keyring is still refused.
	again, err := open(t, cache, true, req)
	if err != nil {
		t.Fatal(err)
	}
	check(again.Proof)
	_, stranger, err := catsourcetest.NewKey("Stranger")
	if err != nil {
		t.Fatal(err)
	}
	bad := req
	bad.Keyring = stranger
	if _, err := open(t, cache, true, bad); !errors.Is(err, failure.ErrInvalidInput) {
		t.Fatalf("a stranger's keyring on a snapshot hit: %v", err)
	}
	for tag, want := range map[string]string{
		"link":      `catalog path "goldens/service/defaults/tree/passwd" is a symbolic link`,
		"dotdot":    `has an empty, . or .. element`,
		"dotgit":    `names a .git directory`,
		"submodule": `is a git submodule`,
		"big":       `is larger than the 4 MiB limit`,
		"notdir":    `catalog path goldens is not a directory`,
	} {
		_, err := open(t, cache, false, Request{Spec: spec(t, url+"@"+tag), Keyring: ring, Proof: true})
		if !errors.Is(err, failure.ErrInvalidInput) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one sentence with %q", tag, err, want)
		}
	}
	if _, err := open(t, cache, false, Request{Spec: spec(t, "builtin"), Proof: true}); err == nil {
		t.Error("a proof open of the built-in catalog was accepted")
	}
}
