// Package sarif validates secgen audit's SARIF 2.1.0 output against the
// official JSON schema (testdata/sarif-schema-2.1.0.json). It is a nested
// module so the JSON-schema library stays out of secgen's own dependencies.
package sarif
