package goldentest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/secgen/secgen/generator/plan"
	"github.com/secgen/secgen/generator/writer"
)

// Materialize writes every case of goldensDir, whole, under dst, which must
// exist and be empty: dst/<entry>/<case>/ holds the case's case.yaml,
// answers.yaml and tree/ with every file the case expects, including those
// its tree shares with other cases. Verification suites (scanners, builds)
// read these directories instead of goldens/, whose trees record each
// distinct output once. It returns the cases, sorted by name, with Dir set
// to their directory under dst.
func Materialize(ctx context.Context, goldensDir, dst string) ([]Case, error) {
	cases, err := Load(ctx, goldensDir)
	if err != nil {
		return nil, err
	}
	store, err := OpenStore(cases)
	if err != nil {
		return nil, err
	}
	out := make([]Case, 0, len(cases))
	for _, c := range cases {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tree, err := store.Tree(c)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(dst, filepath.FromSlash(c.Name))
		files := []plan.File{{Path: "answers.yaml", Mode: plan.ModeFile, Content: c.Answers}}
		spec, err := readRegular(filepath.Join(c.Dir, "case.yaml"))
		if err != nil {
			return nil, err
		}
		files = append(files, plan.File{Path: "case.yaml", Mode: plan.ModeFile, Content: spec})
		for _, p := range sortedPaths(tree) {
			files = append(files, plan.File{Path: "tree/" + p, Mode: tree[p].Mode, Content: tree[p].Content})
		}
		if err := os.MkdirAll(dir, plan.ModeDir); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		if err := writer.WriteTree(ctx, dir, files, 0); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		c.Dir = dir
		out = append(out, c)
	}
	return out, nil
}

// MaterializeTemp materializes goldensDir into a new temporary directory,
// for a verification suite's TestMain. It returns the directory (its
// layout is that of goldens/) and a function that removes it.
func MaterializeTemp(ctx context.Context, goldensDir string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "secgen-goldens-")
	if err != nil {
		return "", nil, fmt.Errorf("materialize goldens: %w", err)
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	if _, err := Materialize(ctx, goldensDir, dir); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("materialize %s: %w", goldensDir, err)
	}
	return dir, cleanup, nil
}
