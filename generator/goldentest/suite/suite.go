// Package suite is the TestMain of verification suites that read every
// golden tree whole: it materializes the goldens (which record each
// distinct output once) into a temporary directory for the suite's tests.
// It is a package of its own so that secgen's binary, which links
// goldentest, does not link the testing package.
package suite

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/secgen/secgen/generator/goldentest"
)

// Main materializes the goldens directory goldens, stores the directory of
// whole trees in *dir, runs the tests and removes it; it returns the exit
// code for os.Exit.
func Main(m *testing.M, goldens string, dir *string) int {
	d, cleanup, err := goldentest.MaterializeTemp(context.Background(), goldens)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	*dir = d
	return m.Run()
}
