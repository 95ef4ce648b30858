// Package goservice verifies the Go service that secgen renders, as recorded in the
// goldens (every golden tree with a go.mod, materialized whole): each tree builds, vets and passes its
// own security tests with the race detector from a temporary copy; gosec and staticcheck
// report nothing, with no exclusions; the Dockerfile and .dockerignore hold CTR-01..03;
// go.mod pins the Go version and every dependency; and every APP and CTR control is
// mapped to the rendered files and rendered tests that implement and prove it.
//
// The package holds only tests; it is a module of its own so that its YAML dependency
// stays out of secgen's own go.mod.
package goservice
