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
//   - engine: orchestrates the commands
//
// The engine never prints, exits or reads a terminal: it returns values and errors.
package generator
