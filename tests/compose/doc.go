// Package compose verifies the compose.yaml that secgen renders for the local
// dev loop of the Go service (make dev's PostgreSQL, for Docker users), as
// recorded in the goldens: each one loads strictly with the compose-spec
// library (schema validation on, so an unknown key fails), every image is
// pinned by digest with its tag beside it, and every published port is bound
// to 127.0.0.1.
//
// The package holds only tests; it is a module of its own so that the
// compose-spec library stays out of secgen's own go.mod.
package compose
