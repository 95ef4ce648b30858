package terraform

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/secgen/secgen/generator/goldentest"
)

// goldensDir holds every golden case with its whole tree, laid out like
// goldens/ (which records each distinct output once); TestMain
// materializes it with the golden machinery.
var goldensDir string

func TestMain(m *testing.M) {
	dir, cleanup, err := goldentest.MaterializeTemp(context.Background(), "../../goldens")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	goldensDir = dir
	code := m.Run()
	cleanup()
	os.Exit(code)
}
