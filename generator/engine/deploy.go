package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/render"
)

// DeployStep is one thing to do before the first deployment that secgen
// cannot do itself: a file to add to the project (Missing while it is not
// there) or what the cluster must run.
type DeployStep struct {
	Component string `json:"component"`
	// Kind is "file" or "cluster".
	Kind string `json:"kind"`
	// What is the file's path, or what the cluster must run.
	What    string `json:"what"`
	Why     string `json:"why"`
	Missing bool   `json:"missing,omitempty"`
}

// beforeDeploy evaluates the components' before_deploy steps with the
// answers; a file step is Missing when root (the project, or "" before it
// exists) does not hold a regular file at its path.
func (e *Engine) beforeDeploy(components []string, values answers.Values, root string) ([]DeployStep, error) {
	steps, err := render.BeforeDeploy(render.Input{Catalog: e.Catalog, Present: components, Answers: values})
	if err != nil {
		return nil, err
	}
	out := []DeployStep{}
	for _, s := range steps {
		d := DeployStep{Component: s.Component, Kind: "cluster", What: s.Cluster, Why: s.Why}
		if s.File != "" {
			d.Kind, d.What, d.Missing = "file", s.File, true
			if root != "" {
				info, err := os.Lstat(filepath.Join(root, filepath.FromSlash(s.File)))
				switch {
				case err == nil:
					d.Missing = !info.Mode().IsRegular()
				case !errors.Is(err, fs.ErrNotExist):
					return nil, fmt.Errorf("inspect %s: %w", s.File, err)
				}
			}
		}
		out = append(out, d)
	}
	return out, nil
}
