// Package goldentree gives the verification suites the golden trees whole:
// goldens/ records each distinct output once (generator/goldentest), so a
// suite's TestMain materializes every case's full tree into a temporary
// directory and the checks read it there, laid out like goldens/.
package goldentree

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/secgen/secgen/generator/goldentest"
)

// Source is the repository's goldens directory, relative to a suite's
// package directory (tests/verify/<suite>).
const Source = "../../../goldens"

// Main materializes the goldens, stores their directory in *dir, runs the
// tests and removes the directory; it returns the exit code for os.Exit.
func Main(m *testing.M, dir *string) int {
	d, cleanup, err := goldentest.MaterializeTemp(context.Background(), Source)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	*dir = d
	return m.Run()
}
