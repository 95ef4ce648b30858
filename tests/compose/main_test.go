package compose

import (
	"os"
	"testing"

	"github.com/secgen/secgen/generator/goldentest/suite"
)

// goldensDir holds every golden case with its whole tree, laid out like
// goldens/; TestMain materializes it.
var goldensDir string

func TestMain(m *testing.M) { os.Exit(suite.Main(m, "../../goldens", &goldensDir)) }
