// Package blueprints embeds secgen's built-in blueprints: named starting
// points, each a list of components plus defaults. It is data; it imports
// nothing. See docs/catalog-format.md.
package blueprints

import "embed"

// FS holds the built-in blueprints, one <name>.yaml each.
//
//go:embed *.yaml
var FS embed.FS
