// Package generator is the root of secgen's engine. The engine is split into
// packages with one job each:
//
//   - catalog: loads and strictly validates components and blueprints from an fs.FS
//   - controls: parses a catalog's registry of hardening controls (controls.yaml)
//   - answers: question types, parsing and the one validator for every answer source
//   - render: turns components plus answers into an in-memory plan
//   - plan: the plan's types and the rendered-path checks
//   - writer: applies a plan atomically inside the target directory
//   - manifest: the .secgen.yaml schema
//   - gitinit: the initial git repository and commit
//   - catsource: catalog sources (built-in, directory, git), the git cache and trust
//   - catalogs: the user's named catalogs
//   - project: opens a project for every verb: finds its root, reads its
//     manifest once and resolves, verifies and opens its recorded catalog
//     (the one place catalog policy lives)
//   - engine: orchestrates the commands
//
// The engine never prints, exits or reads a terminal: it returns values and errors.
package generator
