// Package goldens holds secgen's golden tests: for every case under
// goldens/<blueprint-or-component>/<case>/, the answers (answers.yaml), what
// to render (case.yaml) and the expected tree (tree/). The test renders each
// case with the embedded catalog and compares file set, modes and bytes.
//
// Re-record with `make goldens` (go test ./goldens -run TestGoldens -update)
// and review the diff before committing it.
package goldens
