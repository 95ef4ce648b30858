// Package builtin loads the catalog embedded in the secgen binary.
package builtin

import (
	"context"
	"fmt"

	"github.com/secgen/secgen/blueprints"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/templates"
)

// Catalog loads and validates the embedded catalog.
func Catalog(ctx context.Context) (*catalog.Catalog, error) {
	cat, err := catalog.Load(ctx, catalog.Source{Templates: templates.FS, Blueprints: blueprints.FS})
	if err != nil {
		return nil, fmt.Errorf("built-in catalog: %w", err)
	}
	return cat, nil
}
