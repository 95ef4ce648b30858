// Package goldens holds secgen's golden tests: for every case under
// goldens/<blueprint-or-component>/<case>/, the answers (answers.yaml), what
// to render (case.yaml) and the expected tree (tree/). The cases run through
// generator/goldentest, the same code as `secgen test`, which renders each
// case with the embedded catalog and compares file set, modes and bytes.
// Each distinct output is recorded once: a tree holds its manifest and the
// files no other tree holds; the manifest refers to the rest by SHA-256,
// and an add case holds what differs from the new case it adds to (usually
// nothing but its manifest). See docs/platform-catalogs.md, "Golden cases";
// verification suites read whole trees from goldentest.Materialize.
// The tests here add what only secgen's own catalog promises: hostile text
// arrives as data, add renders what new renders, every component has an add
// case.
//
// Re-record with `make goldens` (`go run ./cmd/secgen test --update .`) and
// review the diff before committing it.
package goldens
