// Package generator is the root of secgen's engine. The engine is split into
// packages with one job each:
//
//   - answers: question types, parsing and the one validator for every answer source
//   - audit: evaluates a catalog's audit rules (CEL) on a project's files, as they are or as decided
//   - base: keeps the content secgen generated for each file, the merge base of update
//   - builtin: the catalog embedded in the binary, and its earlier released versions
//   - catalog: loads and strictly validates components, blueprints and golden cases from an fs.FS
//   - catalogs: the user's named catalogs (secgen catalog add), pinned to a commit
//   - catsource: turns a catalog SOURCE (built-in, directory, git at a ref) into a loaded catalog and its provenance
//   - catsource/catsourcetest: builds fixture catalog repositories for tests
//   - controls: parses a catalog's registry of hardening controls (controls.yaml)
//   - engine: orchestrates the commands; never prints, exits or reads a terminal
//   - failure: classifies errors (invalid input or not) and names the fields they are about
//   - gitinit: the initial git repository and commit, and the repository a directory is inside
//   - goldentest: records and compares golden trees byte for byte (secgen test)
//   - goldentest/suite: the TestMain of the verification suites that read every golden tree
//   - lazyre: regular expressions compiled on first use, so no command pays for a pattern it never matches
//   - lint: the static checks of secgen lint on a loaded catalog
//   - lock: keeps two secgen runs from working in one project at once
//   - manifest: the .secgen.yaml schema, written one entry per line and read back strictly
//   - merge: line diff, three-way merge with conflict markers, unified diff
//   - plan: the plan's types and the rendered-path checks
//   - project: opens a project for every verb: its root, its manifest read once, its recorded catalog
//   - render: turns components plus answers into an in-memory plan, hermetically
//   - suggest: the "did you mean" of errors: the names a mistyped one was probably meant to be
//   - writer: applies a plan atomically inside the target directory, and journals in-place changes
//
// The engine never prints, exits or reads a terminal: it returns values and errors.
package generator
