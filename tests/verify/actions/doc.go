// Package actions verifies the GitHub Actions workflows that secgen renders, as recorded
// in the goldens (every golden tree, materialized whole): actionlint with shellcheck finds nothing,
// every action is pinned through the catalog's pins table (SC-05), every job holds the
// least token permissions (SC-06), checkouts keep no credentials and no expression
// reaches a script (SC-07), and every supply-chain control SC-01..SC-09 is still present.
// The sample catalog CI workflow of docs/platform-catalogs.md passes the same checks.
//
// The package holds only tests; it is a module of its own so that its YAML dependency
// stays out of secgen's own go.mod.
package actions
