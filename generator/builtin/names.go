package builtin

import (
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/blueprints"
	"github.com/secgen/secgen/templates"
)

// Meta is what the embedded catalog says of itself in catalog.yaml.
type Meta struct {
	ID      string `yaml:"id"`
	Version string `yaml:"version"`
}

// ReadMeta returns the embedded catalog's id and version from its
// catalog.yaml alone, without loading the rest (secgen version needs no
// more). The test of this package proves it agrees with Catalog.
func ReadMeta() (Meta, error) { return meta() }

var meta = sync.OnceValues(func() (Meta, error) {
	data, err := fs.ReadFile(templates.FS, "catalog.yaml")
	if err != nil {
		return Meta{}, fmt.Errorf("built-in catalog: %w", err)
	}
	var m Meta
	if err := yaml.Unmarshal(data, &m); err != nil {
		return Meta{}, fmt.Errorf("built-in catalog: catalog.yaml: %w", err)
	}
	return m, nil
})

// BlueprintNames lists the embedded catalog's blueprints, sorted, from
// their file names alone: the catalog requires each blueprint's name to
// equal its file name, and the test of this package proves the embedded
// one does. Shell completion lists them without loading the catalog.
func BlueprintNames() []string {
	var names []string
	entries, _ := fs.ReadDir(blueprints.FS, ".")
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && e.Type().IsRegular() {
			names = append(names, name)
		}
	}
	return names
}

// ComponentNames lists the embedded catalog's components, sorted, from
// their directory names alone (a component's name equals its directory's).
func ComponentNames() []string {
	var names []string
	entries, _ := fs.ReadDir(templates.FS, ".")
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}
