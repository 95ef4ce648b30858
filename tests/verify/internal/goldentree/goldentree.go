// Package goldentree gives the verification suites the golden trees whole:
// goldens/ records each distinct output once (generator/goldentest), so a
// suite's TestMain materializes every case's full tree into a temporary
// directory and the checks read it there, laid out like goldens/.
package goldentree

import (
	"testing"

	"github.com/secgen/secgen/generator/goldentest/suite"
)

// Source is the repository's goldens directory, relative to a suite's
// package directory (tests/verify/<suite>).
const Source = "../../../goldens"

// Main materializes the goldens, stores their directory in *dir, runs the
// tests and removes the directory; it returns the exit code for os.Exit.
func Main(m *testing.M, dir *string) int { return suite.Main(m, Source, dir) }
